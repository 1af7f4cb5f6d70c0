/* buf — growable byte buffer, always NUL-terminated. Used to build SQL
 * texts, file contents and responses. */
#ifndef APPUI_BUF_H
#define APPUI_BUF_H
#include <stddef.h>

struct buf {
  char *data; /* owned; NULL until the first append */
  size_t len; /* bytes used, without the terminating NUL */
  size_t cap; /* bytes allocated */
};

#define BUF_INIT {0, 0, 0}

/* Appends `n` bytes; returns 0 or ERR_NOMEM (buffer unchanged). */
int buf_append(struct buf *b, const void *p, size_t n);

/* Appends a NUL-terminated string; returns 0 or ERR_NOMEM. */
int buf_puts(struct buf *b, const char *s);

/* Appends printf-style text; returns 0 or ERR_NOMEM. */
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The contents as a string ("" when empty); owned by the buffer. */
const char *buf_str(const struct buf *b);

/* Empties the buffer, keeping its memory. */
void buf_reset(struct buf *b);

/* Frees the memory; the buffer is empty and reusable afterwards. */
void buf_free(struct buf *b);

#endif
