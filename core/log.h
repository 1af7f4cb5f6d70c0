/* log — operator log lines on standard error (server and long jobs).
 * Not for user-facing output, which belongs to cli/. The level is read once
 * from APPUI_LOG (error, warn, info, debug; default info) by log_init(). */
#ifndef APPUI_LOG_H
#define APPUI_LOG_H

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Reads APPUI_LOG; call once at start-up, before threads. */
void log_init(void);

/* Writes one line "time level message" to standard error if `level` is
 * enabled. Thread-safe (one write per line). */
void log_write(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_error(...) log_write(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_write(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_write(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_write(LOG_DEBUG, __VA_ARGS__)

#endif
