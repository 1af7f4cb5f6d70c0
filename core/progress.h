/* progress — how long operations (imports, generators) report how far they
 * are, without printing: the caller (cli/) decides how to show it. */
#ifndef APPUI_PROGRESS_H
#define APPUI_PROGRESS_H
#include <stdint.h>

struct progress {
  /* Called with a French label of the current step, the units done and the
   * total (0 if unknown). */
  void (*fn)(void *ctx, const char *label, int64_t done, int64_t total);
  void *ctx;
};

/* Reports to `p` if it is not NULL and has a function. */
void progress_report(const struct progress *p, const char *label, int64_t done, int64_t total);

#endif
