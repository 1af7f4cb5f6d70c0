/* export — the rows of a SQLite query as a file that a French spreadsheet
 * (Excel, LibreOffice Calc) opens correctly: CSV or XLSX.
 *
 * CSV: UTF-8 with a byte-order mark, ';' between fields, CRLF line ends,
 * fields quoted ("…", inner '"' doubled) when they hold ';', '"', CR or LF or
 * begin or end with a space or tab; a text beginning with = + - @ TAB or CR
 * gets a leading apostrophe so that it is never read as a formula. Numbers
 * use the decimal comma ("12,5"), times are "JJ/MM/AAAA HH:MM" in Paris time
 * and dates "JJ/MM/AAAA".
 *
 * XLSX (libxlsxwriter, constant-memory mode: rows stream to disk, memory
 * stays flat): one sheet, bold header row frozen at the top, an autofilter
 * over the whole range, column widths from the contents (capped); numbers
 * are numbers, times and dates are real Excel dates ("dd/mm/yyyy hh:mm",
 * "dd/mm/yyyy"), texts are strings. A text longer than Excel's 32 767
 * characters is cut there. At most 1 048 575 data rows (Excel's limit).
 *
 * In both formats invalid UTF-8 (and NUL bytes) in a text is replaced with
 * U+FFFD, so an export never fails on its data and never yields a corrupt
 * file. Conversions by column type (anything else is written as it is:
 * SQL NULL → empty cell, a TEXT value in a numeric column → text):
 *   EXPORT_TEXT     the value as text;
 *   EXPORT_INTEGER  an integer (a REAL value is written as a number; in
 *                   XLSX an integer beyond 15 digits, which Excel cannot
 *                   hold exactly, is written as text);
 *   EXPORT_NUMBER   a number (an INTEGER value stays exact);
 *   EXPORT_TIME     UTC epoch milliseconds → Europe/Paris local date and
 *                   time (outside the years 1900–9999, the raw integer);
 *   EXPORT_DATE     'YYYY-MM-DD' text → a date (any other text as text).
 *
 * Files are written whole or not at all: into a temporary file of the
 * target's directory (created by mkstemp(), so readable by its owner only:
 * exports may hold personal data), synced, then renamed over the target. */
#ifndef APPUI_EXPORT_H
#define APPUI_EXPORT_H
#include "buf.h"
#include "progress.h"
#include <sqlite3.h>
#include <stdint.h>

enum export_format { EXPORT_CSV, EXPORT_XLSX };

enum export_type {
  EXPORT_TEXT,
  EXPORT_INTEGER,
  EXPORT_NUMBER,
  EXPORT_TIME, /* UTC epoch ms → Europe/Paris local date-time */
  EXPORT_DATE  /* 'YYYY-MM-DD' text → a date */
};

/* One column of the file: its header title (UTF-8, borrowed) and how the
 * statement's values are converted. */
struct export_column {
  const char *title;
  enum export_type type;
};

/* Reads a format name, "csv" or "xlsx" (case-insensitive), into *out.
 * Returns 0, or ERR_INVALID naming the field "format" (NULL or any other
 * name; *out unchanged). Allocates nothing. */
int export_format_parse(enum export_format *out, const char *name);

/* The media type of format `f` ("text/csv; charset=utf-8" or the XLSX
 * one), a static string. */
const char *export_media_type(enum export_format f);

/* Steps `st` (prepared and bound by the caller, who keeps owning it and
 * resets or finalizes it afterwards) to its end and writes the file `path`:
 * a header row of the `n` (≥ 1) titles of `cols`, then one row per result
 * row, column i of the statement into column i of the file converted by
 * cols[i].type (the statement must have at least `n` columns; further ones
 * are ignored). `sheet` is the XLSX sheet name (NULL or empty: "Export";
 * cut to 31 characters, the characters Excel refuses replaced with '_');
 * CSV ignores it. `p` (may be NULL) gets a report every 10 000 rows
 * (total 0: unknown), and for XLSX a last one when the rows are all there
 * and the file is being compressed (done = total = rows).
 * Returns 0 with the number of data rows in *rows (if `rows` is not NULL),
 * or ERR_IO (file system or libxlsxwriter failure), ERR_TOOLARGE (more
 * rows than an XLSX sheet holds: filter or use CSV), ERR_NOMEM or the
 * SQLite failure (ERR_DB, ERR_BUSY…); on error the temporary file is
 * removed, `path` is left as it was (absent, or its previous contents) and
 * *rows is unchanged. Whatever it allocates is freed before returning. */
int export_write(int64_t *rows, const char *path, enum export_format f, const char *sheet,
                 const struct export_column *cols, int n, sqlite3_stmt *st, const struct progress *p);

/* Same as export_write() into memory (for HTTP responses): the bytes of the
 * file are appended to `out` (owned by the caller, who frees it with
 * buf_free()). XLSX goes through a temporary file made by mkstemp() under
 * $TMPDIR (or /tmp), removed before returning whatever happens. Returns 0
 * with *rows set (if not NULL), or an error code as export_write(); on error
 * out->len and its contents are as before the call. */
int export_to_buf(int64_t *rows, struct buf *out, enum export_format f, const char *sheet,
                  const struct export_column *cols, int n, sqlite3_stmt *st);

#endif
