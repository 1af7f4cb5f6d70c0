/* progress — reporting hook for long operations (see progress.h). */
#include "progress.h"
#include <stddef.h>

void progress_report(const struct progress *p, const char *label, int64_t done, int64_t total) {
  if (p && p->fn) p->fn(p->ctx, label, done, total);
}
