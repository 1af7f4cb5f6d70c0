/* export — the rows of a SQLite query as CSV or XLSX (see export.h).
 *
 * Each cell is first read into a `struct cell` (its kind after conversion
 * by the column type), then written by the CSV or the XLSX writer. CSV goes
 * through a 256 KiB buffer flushed to a file descriptor or to a `struct
 * buf`; XLSX is written by libxlsxwriter into a named file. */
#include "export.h"
#include "clock.h"
#include "db.h"
#include "err.h"
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xlsxwriter.h>

#define SINK_CAP (256 * 1024)        /* CSV output buffer */
#define PROGRESS_EVERY 10000         /* rows between progress reports */
#define XLSX_MAX_ROWS (LXW_ROW_MAX - 1) /* data rows under the header row */
#define XLSX_MAX_UNITS 32767         /* characters (UTF-16 units) in a cell */
#define XLSX_MAX_EXACT 999999999999999LL /* 15 digits: what Excel holds exactly */
#define WIDTH_MIN 8                  /* XLSX column widths, in characters */
#define WIDTH_MAX 60
#define SHEET_MAX_UNITS 31           /* sheet name length (UTF-16 units) */

static const char REPLACEMENT[] = "\xEF\xBF\xBD"; /* U+FFFD */
static const char PROGRESS_LABEL[] = "Export des lignes";

/* ---- UTF-8 ---------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at `s` (`n` ≥ 1 bytes left) and its
 * code point in *cp, or 0 if invalid. NUL, surrogates, U+FFFE and U+FFFF
 * (not allowed in XML) count as invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp) {
  unsigned c = s[0];
  size_t len;
  uint32_t v, min;
  if (c < 0x80) {
    *cp = c;
    return c ? 1 : 0;
  }
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2, v = c & 0x1F, min = 0x80;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3, v = c & 0x0F, min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4, v = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (n < len) return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    v = v << 6 | (s[i] & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) || v == 0xFFFE || v == 0xFFFF) return 0;
  *cp = v;
  return len;
}

/* 1 if the `n` bytes at `s` are valid UTF-8 in the sense of utf8_seq(). */
static int utf8_ok(const unsigned char *s, size_t n) {
  size_t i = 0;
  uint32_t cp;
  while (i < n) {
    if (s[i] && s[i] < 0x80) {
      i++;
      continue;
    }
    size_t len = utf8_seq(s + i, n - i, &cp);
    if (!len) return 0;
    i += len;
  }
  return 1;
}

/* Byte classes for the one-pass scan of a text. */
enum { C_QUOTE = 1, C_CHECK = 2, C_UNDERSCORE = 4 };
#define CHECK8 C_CHECK, C_CHECK, C_CHECK, C_CHECK, C_CHECK, C_CHECK, C_CHECK, C_CHECK
#define CHECK32 CHECK8, CHECK8, CHECK8, CHECK8
static const unsigned char BYTE_CLASS[256] = {
    [0] = C_CHECK, ['\n'] = C_QUOTE, ['\r'] = C_QUOTE, ['"'] = C_QUOTE, [';'] = C_QUOTE, ['_'] = C_UNDERSCORE,
    [0x80] = CHECK32, CHECK32, CHECK32, CHECK32};

static unsigned scan(const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  unsigned f = 0;
  for (size_t i = 0; i < n; i++) f |= BYTE_CLASS[p[i]];
  return f;
}

static int is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

/* 1 if `s` (n bytes) starts with "_xHHHH_", which Excel would decode. */
static int xescape_at(const char *s, size_t n) {
  return n >= 7 && s[0] == '_' && (s[1] == 'x' || s[1] == 'X') && is_hex(s[2]) && is_hex(s[3]) && is_hex(s[4]) &&
         is_hex(s[5]) && s[6] == '_';
}

static int has_xescape(const char *s, size_t n) {
  for (const char *p = memchr(s, '_', n); p; p = memchr(p + 1, '_', n - (size_t)(p + 1 - s)))
    if (xescape_at(p, n - (size_t)(p - s))) return 1;
  return 0;
}

/* A text made safe for the file: invalid UTF-8 and NUL replaced with U+FFFD;
 * for XLSX also "_xHHHH_" protected as "_x005F_xHHHH_" and the text cut at
 * Excel's 32 767 characters. *out is `s` itself when nothing had to change,
 * else the contents of `scratch` (NUL-terminated either way when `s` is).
 * Returns 0 or ERR_NOMEM. */
static int text_clean(const char **out, size_t *outn, struct buf *scratch, const char *s, size_t n, int xlsx) {
  int rc = 0;
  unsigned f = scan(s, n);
  int bad = (f & C_CHECK) && !utf8_ok((const unsigned char *)s, n);
  int esc = xlsx && (f & C_UNDERSCORE) && has_xescape(s, n);
  *out = s;
  *outn = n;
  if (!bad && !esc && !(xlsx && n > XLSX_MAX_UNITS)) goto done;
  buf_reset(scratch);
  size_t units = 0, i = 0;
  while (i < n && !rc) {
    uint32_t cp = 0xFFFD;
    size_t len = utf8_seq((const unsigned char *)s + i, n - i, &cp);
    const char *piece = len ? s + i : REPLACEMENT;
    size_t plen = len ? len : sizeof REPLACEMENT - 1;
    if (xlsx) {
      units += cp >= 0x10000 ? 2 : 1;
      if (units > XLSX_MAX_UNITS) break;
      if (cp == '_' && xescape_at(s + i, n - i)) rc = buf_append(scratch, "_x005F", 6);
    }
    if (!rc) rc = buf_append(scratch, piece, plen);
    i += len ? len : 1;
  }
  if (!rc && !scratch->data) rc = buf_append(scratch, "", 0);
  if (rc) goto done;
  *out = scratch->data;
  *outn = scratch->len;
done:
  return rc;
}

/* ---- Cells ---------------------------------------------------------- */

enum kind { K_EMPTY, K_TEXT, K_INT, K_REAL, K_TIME, K_DATE };

struct cell {
  enum kind k;
  const char *s; /* K_TEXT: the raw text (owned by SQLite) and its length */
  size_t n;
  int64_t i;      /* K_INT */
  double d;       /* K_REAL */
  struct civil t; /* K_TIME: Paris local time, and its milliseconds */
  int ms;
  int y, m, day;  /* K_DATE */
};

/* The instants a time column converts (Paris years 1900–9999). */
struct span {
  int64_t min, max;
};

static void span_init(struct span *sp) {
  sp->min = clock_paris_to_utc(1900, 1, 1, 0, 0, 0, 0);
  sp->max = clock_paris_to_utc(9999, 12, 31, 23, 59, 59, 999);
}

static void cell_time(struct cell *c, int64_t ms) {
  c->k = K_TIME;
  clock_paris(ms, &c->t);
  c->ms = (int)(ms % 1000 + (ms % 1000 < 0 ? 1000 : 0));
}

/* Reads column `i` of the current row of `st` into *c, converted by `type`
 * (see export.h). */
static void cell_read(struct cell *c, sqlite3_stmt *st, int i, enum export_type type, const struct span *sp) {
  int vt = sqlite3_column_type(st, i);
  c->k = K_EMPTY;
  if (vt == SQLITE_NULL) {
    /* empty cell */
  } else if (type != EXPORT_TEXT && vt == SQLITE_INTEGER) {
    c->i = sqlite3_column_int64(st, i);
    c->k = K_INT;
    if (type == EXPORT_TIME && c->i >= sp->min && c->i <= sp->max) cell_time(c, c->i);
  } else if (type != EXPORT_TEXT && vt == SQLITE_FLOAT) {
    c->d = sqlite3_column_double(st, i);
    c->k = K_REAL;
    if (type == EXPORT_TIME && c->d >= (double)sp->min && c->d <= (double)sp->max)
      cell_time(c, (int64_t)(c->d < 0 ? c->d - 0.5 : c->d + 0.5));
  } else {
    c->s = (const char *)sqlite3_column_text(st, i);
    c->n = (size_t)sqlite3_column_bytes(st, i);
    if (c->s && c->n) c->k = K_TEXT;
    if (c->k == K_TEXT && type == EXPORT_DATE && c->n == 10 && clock_parse_date(c->s, &c->y, &c->m, &c->day))
      c->k = K_DATE;
  }
}

/* ---- Formatting ----------------------------------------------------- */

static char *put2(char *o, int v) {
  o[0] = (char)('0' + v / 10 % 10);
  o[1] = (char)('0' + v % 10);
  return o + 2;
}

/* "JJ/MM/AAAA" at `o`; returns the end. */
static char *put_date(char *o, int y, int m, int d) {
  o = put2(o, d);
  *o++ = '/';
  o = put2(o, m);
  *o++ = '/';
  o = put2(o, y / 100);
  return put2(o, y % 100);
}

/* Decimal digits of `v` into `o` (at least 21 bytes); returns the length. */
static size_t fmt_int(char *o, int64_t v) {
  char t[24];
  size_t n = 0, len = 0;
  uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  do {
    t[n++] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0) o[len++] = '-';
  while (n) o[len++] = t[--n];
  return len;
}

/* The shortest decimal text reading back as `d`, with a decimal comma, into
 * `o` (at least 32 bytes); returns the length. `d` must be finite. */
static size_t fmt_real(char *o, double d) {
  int len = snprintf(o, 32, "%.15g", d);
  if (strtod(o, NULL) != d) len = snprintf(o, 32, "%.17g", d);
  for (int i = 0; i < len; i++)
    if (o[i] == '.') o[i] = ',';
  return (size_t)len;
}

static const char *infinity_text(double d) { return d > 0 ? "∞" : "-∞"; }

/* ---- CSV ------------------------------------------------------------ */

/* Buffered output to a file descriptor or, when fd < 0, to `mem`. The first
 * failure is kept in `rc` and later output is dropped. */
struct sink {
  int fd;
  struct buf *mem;
  const char *name; /* file name for messages */
  char *data;
  size_t len;
  int rc;
};

static void sink_raw(struct sink *o, const char *p, size_t n) {
  if (!o->rc && o->fd < 0) o->rc = buf_append(o->mem, p, n);
  while (!o->rc && o->fd >= 0 && n) {
    ssize_t w = write(o->fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      o->rc = err_set(ERR_IO, NULL, "écriture de l'export %s impossible : %s", o->name,
                      w < 0 ? strerror(errno) : "aucun octet écrit");
    } else {
      p += w;
      n -= (size_t)w;
    }
  }
}

static void sink_flush(struct sink *o) {
  if (o->len) sink_raw(o, o->data, o->len);
  o->len = 0;
}

static void sink_put(struct sink *o, const char *p, size_t n) {
  if (n > SINK_CAP - o->len) sink_flush(o);
  if (n > SINK_CAP) {
    sink_raw(o, p, n);
  } else {
    memcpy(o->data + o->len, p, n);
    o->len += n;
  }
}

static void sink_byte(struct sink *o, char c) {
  if (o->len == SINK_CAP) sink_flush(o);
  o->data[o->len++] = c;
}

/* A text field: quoted when needed, neutralised when it could be read as a
 * formula. */
static void csv_text(struct sink *o, struct buf *scratch, const char *raw, size_t rawn) {
  const char *s;
  size_t n;
  int rc = text_clean(&s, &n, scratch, raw, rawn, 0);
  if (rc) {
    if (!o->rc) o->rc = rc;
    goto done;
  }
  if (!n) goto done;
  int formula = s[0] && strchr("=+-@\t\r", s[0]) != NULL;
  int quote = (scan(s, n) & C_QUOTE) || s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t';
  if (quote) sink_byte(o, '"');
  if (formula) sink_byte(o, '\'');
  const char *end = s + n, *q;
  while (quote && (q = memchr(s, '"', (size_t)(end - s))) != NULL) {
    sink_put(o, s, (size_t)(q - s) + 1);
    sink_byte(o, '"');
    s = q + 1;
  }
  sink_put(o, s, (size_t)(end - s));
  if (quote) sink_byte(o, '"');
done:
  return;
}

static void csv_cell(struct sink *o, struct buf *scratch, const struct cell *c) {
  char t[40], *e;
  switch (c->k) {
  case K_EMPTY: break;
  case K_TEXT: csv_text(o, scratch, c->s, c->n); break;
  case K_INT: sink_put(o, t, fmt_int(t, c->i)); break;
  case K_REAL:
    if (isfinite(c->d)) sink_put(o, t, fmt_real(t, c->d));
    else csv_text(o, scratch, infinity_text(c->d), strlen(infinity_text(c->d)));
    break;
  case K_TIME:
    e = put_date(t, c->t.year, c->t.month, c->t.day);
    *e++ = ' ';
    e = put2(e, c->t.hour);
    *e++ = ':';
    e = put2(e, c->t.minute);
    sink_put(o, t, (size_t)(e - t));
    break;
  case K_DATE: sink_put(o, t, (size_t)(put_date(t, c->y, c->m, c->day) - t)); break;
  }
}

/* Records the failure `code` of sqlite3_step() on `st`; returns the error
 * code (as db_fail() maps it). */
static int step_fail(sqlite3_stmt *st, int code) {
  const char *what = "lecture des lignes à exporter";
  int rc = db_fail(NULL, code, what);
  if (rc != ERR_BUSY) err_set(rc, NULL, "base de données, %s : %s", what, sqlite3_errmsg(sqlite3_db_handle(st)));
  return rc;
}

/* Writes the whole CSV of `st` to `o`. Returns 0 or an error code. */
static int csv_rows(int64_t *rows, struct sink *o, const struct export_column *cols, int n, sqlite3_stmt *st,
                    const struct progress *p) {
  int rc = 0;
  int64_t count = 0;
  struct buf scratch = BUF_INIT;
  struct span sp;
  struct cell c;
  span_init(&sp);
  sink_put(o, "\xEF\xBB\xBF", 3);
  for (int i = 0; i < n; i++) {
    if (i) sink_byte(o, ';');
    const char *title = cols[i].title ? cols[i].title : "";
    csv_text(o, &scratch, title, strlen(title));
  }
  sink_put(o, "\r\n", 2);
  for (;;) {
    int s = sqlite3_step(st);
    if (s == SQLITE_DONE) break;
    if (s != SQLITE_ROW) {
      rc = step_fail(st, s);
      goto done;
    }
    for (int i = 0; i < n; i++) {
      if (i) sink_byte(o, ';');
      cell_read(&c, st, i, cols[i].type, &sp);
      csv_cell(o, &scratch, &c);
    }
    sink_put(o, "\r\n", 2);
    if ((rc = o->rc)) goto done;
    if (++count % PROGRESS_EVERY == 0) progress_report(p, PROGRESS_LABEL, count, 0);
  }
  sink_flush(o);
  rc = o->rc;
  *rows = count;
done:
  buf_free(&scratch);
  return rc;
}

/* CSV of `st` into file descriptor `fd` (or, when fd < 0, appended to
 * `mem`). */
static int csv_write(int64_t *rows, int fd, struct buf *mem, const char *name, const struct export_column *cols,
                     int n, sqlite3_stmt *st, const struct progress *p) {
  int rc = 0;
  struct sink o = {fd, mem, name, malloc(SINK_CAP), 0, 0};
  if (!o.data) {
    rc = err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
    goto done;
  }
  rc = csv_rows(rows, &o, cols, n, st, p);
done:
  free(o.data);
  return rc;
}

/* ---- XLSX ----------------------------------------------------------- */

/* The sheet name Excel accepts for `in` into `out`: "Export" when empty,
 * []:*?/\ and control characters and invalid UTF-8 as '_', at most 31
 * characters, no apostrophe at either end, not the reserved "History". */
static void sheet_name(char out[SHEET_MAX_UNITS * 3 + 2], const char *in) {
  size_t o = 0, units = 0, i = 0, n = in ? strlen(in) : 0;
  while (i < n) {
    uint32_t cp = 0;
    size_t len = utf8_seq((const unsigned char *)in + i, n - i, &cp);
    size_t u = cp >= 0x10000 ? 2 : 1;
    if (units + u > SHEET_MAX_UNITS) break;
    units += u;
    if (!len || cp < 0x20 || (cp >= 0x7F && cp < 0xA0) || (cp < 0x80 && strchr("[]:*?/\\", (int)cp) != NULL)) {
      out[o++] = '_';
    } else {
      memcpy(out + o, in + i, len);
      o += len;
    }
    i += len ? len : 1;
  }
  out[o] = 0;
  if (!o) strcpy(out, "Export");
  if (out[0] == '\'') out[0] = '_';
  if (out[strlen(out) - 1] == '\'') out[strlen(out) - 1] = '_';
  if (strcasecmp(out, "History") == 0) strcat(out, "_");
}

static int lxw_fail(lxw_error e) {
  return err_set(ERR_IO, NULL, "écriture du fichier XLSX impossible : %s", lxw_strerror(e));
}

struct xlsx {
  lxw_worksheet *ws;
  lxw_format *bold, *time, *date;
  struct buf scratch;
  int *width;
};

static int text_width(const char *s, size_t n) {
  int w = 0;
  for (size_t i = 0; i < n && s[i] != '\n' && w < WIDTH_MAX; i++)
    if ((s[i] & 0xC0) != 0x80) w++;
  return w;
}

static int xlsx_text(struct xlsx *x, lxw_row_t r, lxw_col_t col, const char *raw, size_t rawn, lxw_format *f) {
  const char *s;
  size_t n;
  int rc = text_clean(&s, &n, &x->scratch, raw, rawn, 1);
  if (rc) goto done;
  lxw_error e = worksheet_write_string(x->ws, r, col, s, f);
  if (e) rc = lxw_fail(e);
  int w = text_width(s, n);
  if (w > x->width[col]) x->width[col] = w;
done:
  return rc;
}

static int xlsx_cell(struct xlsx *x, lxw_row_t r, lxw_col_t col, const struct cell *c) {
  int rc = 0, w = 0;
  lxw_error e = LXW_NO_ERROR;
  char t[40];
  switch (c->k) {
  case K_EMPTY: break;
  case K_TEXT: rc = xlsx_text(x, r, col, c->s, c->n, NULL); break;
  case K_INT:
    w = (int)fmt_int(t, c->i);
    t[w] = 0;
    if (c->i >= -XLSX_MAX_EXACT && c->i <= XLSX_MAX_EXACT)
      e = worksheet_write_number(x->ws, r, col, (double)c->i, NULL);
    else
      e = worksheet_write_string(x->ws, r, col, t, NULL); /* Excel would round it */
    break;
  case K_REAL:
    w = 12;
    if (isfinite(c->d)) e = worksheet_write_number(x->ws, r, col, c->d, NULL);
    else rc = xlsx_text(x, r, col, infinity_text(c->d), strlen(infinity_text(c->d)), NULL);
    break;
  case K_TIME: {
    lxw_datetime dt = {c->t.year, c->t.month, c->t.day, c->t.hour, c->t.minute, c->t.second + c->ms / 1000.0};
    e = worksheet_write_datetime(x->ws, r, col, &dt, x->time);
    w = 16;
    break;
  }
  case K_DATE: {
    lxw_datetime dt = {c->y, c->m, c->day, 0, 0, 0};
    e = worksheet_write_datetime(x->ws, r, col, &dt, x->date);
    w = 10;
    break;
  }
  }
  if (e) rc = lxw_fail(e);
  if (w > x->width[col]) x->width[col] = w;
  return rc;
}

/* Writes the workbook of `st` into the file `file` (created or truncated
 * by libxlsxwriter). Returns 0 or an error code. */
static int xlsx_write(int64_t *rows, const char *file, const char *sheet, const struct export_column *cols, int n,
                      sqlite3_stmt *st, const struct progress *p) {
  int rc = 0;
  int64_t count = 0;
  char name[SHEET_MAX_UNITS * 3 + 2];
  const char *tmpdir = getenv("TMPDIR");
  lxw_workbook_options opt = {.constant_memory = LXW_TRUE,
                              .tmpdir = tmpdir && *tmpdir ? (char *)tmpdir : NULL,
                              .use_zip64 = LXW_FALSE};
  struct xlsx x = {NULL, NULL, NULL, NULL, BUF_INIT, calloc((size_t)n, sizeof(int))};
  struct span sp;
  struct cell c;
  lxw_workbook *wb = workbook_new_opt(file, &opt);
  span_init(&sp);
  if (!wb || !x.width) {
    rc = err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
    goto done;
  }
  sheet_name(name, sheet);
  x.ws = workbook_add_worksheet(wb, name);
  x.bold = workbook_add_format(wb);
  x.time = workbook_add_format(wb);
  x.date = workbook_add_format(wb);
  if (!x.ws || !x.bold || !x.time || !x.date) {
    rc = err_set(ERR_INTERNAL, NULL, "classeur XLSX impossible à préparer (feuille « %s »)", name);
    goto done;
  }
  format_set_bold(x.bold);
  format_set_num_format(x.time, "dd/mm/yyyy hh:mm");
  format_set_num_format(x.date, "dd/mm/yyyy");
  for (int i = 0; i < n; i++) {
    const char *title = cols[i].title ? cols[i].title : "";
    if ((rc = xlsx_text(&x, 0, (lxw_col_t)i, title, strlen(title), x.bold))) goto done;
  }
  for (;;) {
    int s = sqlite3_step(st);
    if (s == SQLITE_DONE) break;
    if (s != SQLITE_ROW) {
      rc = step_fail(st, s);
      goto done;
    }
    if (count == XLSX_MAX_ROWS) {
      rc = err_set(ERR_TOOLARGE, NULL,
                   "trop de lignes pour un fichier XLSX (1 048 575 au plus) : filtrez la liste ou exportez en CSV");
      goto done;
    }
    for (int i = 0; i < n; i++) {
      cell_read(&c, st, i, cols[i].type, &sp);
      if ((rc = xlsx_cell(&x, (lxw_row_t)(count + 1), (lxw_col_t)i, &c))) goto done;
    }
    if (++count % PROGRESS_EVERY == 0) progress_report(p, PROGRESS_LABEL, count, 0);
  }
  for (int i = 0; i < n; i++) {
    int w = x.width[i] + 2;
    w = w < WIDTH_MIN ? WIDTH_MIN : w > WIDTH_MAX ? WIDTH_MAX : w;
    worksheet_set_column(x.ws, (lxw_col_t)i, (lxw_col_t)i, w, NULL);
  }
  worksheet_freeze_panes(x.ws, 1, 0);
  worksheet_autofilter(x.ws, 0, 0, (lxw_row_t)count, (lxw_col_t)(n - 1));
  progress_report(p, "Compression du classeur XLSX", count, count); /* about half of the time */
  lxw_error e = workbook_close(wb);
  wb = NULL;
  if (e) {
    rc = lxw_fail(e);
    goto done;
  }
  *rows = count;
done:
  if (wb) lxw_workbook_free(wb);
  buf_free(&x.scratch);
  free(x.width);
  return rc;
}

/* ---- Files ---------------------------------------------------------- */

/* A copy of `path` followed by `suffix` (free()), or NULL with ERR_NOMEM
 * recorded. */
static char *concat(const char *path, const char *suffix) {
  size_t a = strlen(path), b = strlen(suffix);
  char *s = malloc(a + b + 1);
  if (s) {
    memcpy(s, path, a);
    memcpy(s + a, suffix, b + 1);
  } else {
    err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
  }
  return s;
}

/* fsync() of the directory holding `path`; returns 0 or -1. */
static int sync_parent(const char *path) {
  const char *slash = strrchr(path, '/');
  char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
  int r = -1, fd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
  if (fd >= 0) {
    r = fsync(fd);
    close(fd);
  }
  free(dir);
  return r;
}

int export_format_parse(enum export_format *out, const char *name) {
  int rc = 0;
  if (name && strcasecmp(name, "csv") == 0) *out = EXPORT_CSV;
  else if (name && strcasecmp(name, "xlsx") == 0) *out = EXPORT_XLSX;
  else rc = err_set(ERR_INVALID, "format", "format d'export inconnu : choisissez csv ou xlsx");
  return rc;
}

const char *export_media_type(enum export_format f) {
  return f == EXPORT_XLSX ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                          : "text/csv; charset=utf-8";
}

static void check_args(enum export_format f, const struct export_column *cols, int n, sqlite3_stmt *st) {
  assert(f == EXPORT_CSV || f == EXPORT_XLSX);
  assert(cols && n >= 1 && n <= LXW_COL_MAX);
  assert(st && sqlite3_column_count(st) >= n);
  (void)f, (void)cols, (void)n, (void)st;
}

int export_write(int64_t *rows, const char *path, enum export_format f, const char *sheet,
                 const struct export_column *cols, int n, sqlite3_stmt *st, const struct progress *p) {
  int rc = 0, fd = -1;
  int64_t count = 0;
  char *tmp = NULL;
  check_args(f, cols, n, st);
  assert(path);
  if (!(tmp = concat(path, ".XXXXXX"))) {
    rc = ERR_NOMEM;
    goto done;
  }
  if ((fd = mkstemp(tmp)) < 0) {
    rc = err_set(ERR_IO, NULL, "impossible de créer le fichier d'export %s : %s", path, strerror(errno));
    free(tmp);
    tmp = NULL; /* nothing to remove */
    goto done;
  }
  if (f == EXPORT_CSV) rc = csv_write(&count, fd, NULL, path, cols, n, st, p);
  else rc = xlsx_write(&count, tmp, sheet, cols, n, st, p);
  if (rc) goto done;
  if (fsync(fd) != 0) {
    rc = err_set(ERR_IO, NULL, "synchronisation de l'export %s impossible : %s", path, strerror(errno));
    goto done;
  }
  int r = close(fd);
  fd = -1;
  if (r != 0 || rename(tmp, path) != 0) {
    rc = err_set(ERR_IO, NULL, "impossible d'enregistrer l'export %s : %s", path, strerror(errno));
    goto done;
  }
  sync_parent(path); /* best effort: the file itself is complete */
  if (rows) *rows = count;
done:
  if (fd >= 0) close(fd);
  if (rc && tmp) unlink(tmp);
  free(tmp);
  return rc;
}

/* Appends the contents of file descriptor `fd` (from its start) to `out`. */
static int read_all(struct buf *out, int fd, const char *name) {
  int rc = 0;
  char chunk[64 * 1024];
  if (lseek(fd, 0, SEEK_SET) != 0) {
    rc = err_set(ERR_IO, NULL, "relecture de l'export %s impossible : %s", name, strerror(errno));
    goto done;
  }
  for (;;) {
    ssize_t r = read(fd, chunk, sizeof chunk);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      rc = err_set(ERR_IO, NULL, "relecture de l'export %s impossible : %s", name, strerror(errno));
      goto done;
    }
    if (r == 0) break;
    if ((rc = buf_append(out, chunk, (size_t)r))) goto done;
  }
done:
  return rc;
}

int export_to_buf(int64_t *rows, struct buf *out, enum export_format f, const char *sheet,
                  const struct export_column *cols, int n, sqlite3_stmt *st) {
  int rc = 0, fd = -1;
  int64_t count = 0;
  size_t start = out->len;
  char *tmp = NULL;
  check_args(f, cols, n, st);
  if (f == EXPORT_CSV) {
    rc = csv_write(&count, -1, out, "en mémoire", cols, n, st, NULL);
    goto done;
  }
  const char *dir = getenv("TMPDIR");
  if (!(tmp = concat(dir && *dir ? dir : "/tmp", "/appui-export-XXXXXX"))) {
    rc = ERR_NOMEM;
    goto done;
  }
  if ((fd = mkstemp(tmp)) < 0) {
    rc = err_set(ERR_IO, NULL, "impossible de créer le fichier temporaire %s : %s", tmp, strerror(errno));
    free(tmp);
    tmp = NULL;
    goto done;
  }
  if ((rc = xlsx_write(&count, tmp, sheet, cols, n, st, NULL))) goto done;
  rc = read_all(out, fd, tmp);
done:
  if (fd >= 0) close(fd);
  if (tmp) unlink(tmp);
  free(tmp);
  if (rc) {
    out->len = start;
    if (out->data) out->data[start] = 0;
  } else if (rows) {
    *rows = count;
  }
  return rc;
}
