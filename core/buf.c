/* buf — growable byte buffer (see buf.h). */
#include "buf.h"
#include "err.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int grow(struct buf *b, size_t need) {
  if (b->len + need + 1 <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < b->len + need + 1) {
    if (cap > ((size_t)-1) / 2) return err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
    cap *= 2;
  }
  char *p = realloc(b->data, cap);
  if (!p) return err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
  b->data = p;
  b->cap = cap;
  return 0;
}

int buf_append(struct buf *b, const void *p, size_t n) {
  int rc = grow(b, n);
  if (rc) return rc;
  if (n) memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = 0;
  return 0;
}

int buf_puts(struct buf *b, const char *s) { return buf_append(b, s, strlen(s)); }

int buf_printf(struct buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) return err_set(ERR_INTERNAL, NULL, "format invalide");
  int rc = grow(b, (size_t)n);
  if (rc) return rc;
  va_start(ap, fmt);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
  return 0;
}

const char *buf_str(const struct buf *b) { return b->data ? b->data : ""; }

void buf_reset(struct buf *b) {
  b->len = 0;
  if (b->data) b->data[0] = 0;
}

void buf_free(struct buf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}
