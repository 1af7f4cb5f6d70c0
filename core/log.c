/* log — operator log lines on standard error (see log.h). */
#include "log.h"
#include "clock.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static enum log_level threshold = LOG_INFO; /* set once by log_init() */

void log_init(void) {
  const char *v = getenv("APPUI_LOG");
  if (!v) return;
  if (!strcmp(v, "error")) threshold = LOG_ERROR;
  else if (!strcmp(v, "warn")) threshold = LOG_WARN;
  else if (!strcmp(v, "debug")) threshold = LOG_DEBUG;
  else threshold = LOG_INFO;
}

void log_write(enum log_level level, const char *fmt, ...) {
  static const char *names[] = {"ERROR", "WARN", "INFO", "DEBUG"};
  if (level > threshold) return;
  char line[1024], when[40];
  clock_format(clock_now_ms(), when);
  int n = snprintf(line, sizeof line, "%s %s ", when, names[level]);
  va_list ap;
  va_start(ap, fmt);
  if (n > 0 && (size_t)n < sizeof line) n += vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n >= sizeof line - 1) n = (int)sizeof line - 2;
  line[n++] = '\n';
  ssize_t w = write(STDERR_FILENO, line, (size_t)n);
  (void)w;
}
