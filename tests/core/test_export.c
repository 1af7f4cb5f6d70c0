/* Tests of core/export.c: format names and media types; a small table with
 * every awkward value (';', '"', line breaks, accents, a leading "=cmd",
 * NULLs, integers, reals, times on both sides of the 2026 DST changes,
 * dates, invalid UTF-8, a 19-digit integer, a time outside Excel's years)
 * exported to CSV and compared byte for byte, then to XLSX and read back
 * with `unzip -p` (cells, date serials, styles, frozen row, autofilter,
 * sheet names); 200 000 rows in both formats (rows/s printed for
 * information); Excel's row limit; and the refusals (unknown format,
 * missing directory, a query failing half-way) leaving no file behind.
 *
 * Expected instants and Excel serials were computed independently with
 * Python's datetime (serial = days since 1899-12-30). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "buf.h"
#include "err.h"
#include "export.h"
#include "fixture.h"
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct export_column COLS[] = {
    {"Numéro", EXPORT_INTEGER}, {"Libellé", EXPORT_TEXT}, {"Montant", EXPORT_NUMBER},
    {"Déposée le", EXPORT_TIME}, {"Échéance", EXPORT_DATE},  {"Note", EXPORT_TEXT},
};
#define NCOLS ((int)(sizeof COLS / sizeof COLS[0]))

/* Times: 2026-03-29T00:30Z (01:30 CET) and 01:30Z (03:30 CEST), on both
 * sides of the spring switch; 2026-10-25T00:30Z (02:30 CEST) and 01:30Z
 * (02:30 CET), the two passes through 02:30 in the autumn. */
static const char SAMPLE_SQL[] =
    "CREATE TABLE t (n INTEGER, id INTEGER, label TEXT, amount REAL, at INTEGER, day TEXT, note TEXT);"
    "INSERT INTO t VALUES"
    " (1, 1, 'Chemin; \"vicinal\"', 12.5, 1774744200000, '2026-03-29', 'ligne 1' || char(10) || 'ligne 2'),"
    " (2, 2, '=cmd|'' /C calc''!A0', -0.25, 1774747800000, '2026-12-01', ' espace'),"
    " (3, 3, 'Élagage à Agassac', NULL, 1792888200000, NULL, '+33 5 61 00 00 00'),"
    " (4, NULL, NULL, 3, 1792891800000, 'pas une date', '@SUM(A1)'),"
    " (5, -42, '-5', 0.1 + 0.2, NULL, '2024-02-29', CAST(x'41ff42' AS TEXT)),"
    " (6, 1234567890123456789, 'tab' || char(9) || 'ulé', 1e20, -5000000000000, '2026-02-30',"
    "  'code _x0041_ ici ');";

static const char SAMPLE_SELECT[] = "SELECT id, label, amount, at, day, note FROM t ORDER BY n";

static const char SAMPLE_CSV[] =
    "\xEF\xBB\xBF"
    "Numéro;Libellé;Montant;Déposée le;Échéance;Note\r\n"
    "1;\"Chemin; \"\"vicinal\"\"\";12,5;29/03/2026 01:30;29/03/2026;\"ligne 1\nligne 2\"\r\n"
    "2;'=cmd|' /C calc'!A0;-0,25;29/03/2026 03:30;01/12/2026;\" espace\"\r\n"
    "3;Élagage à Agassac;;25/10/2026 02:30;;'+33 5 61 00 00 00\r\n"
    ";;3;25/10/2026 02:30;pas une date;'@SUM(A1)\r\n"
    "-42;'-5;0,30000000000000004;;29/02/2024;A\xEF\xBF\xBD"
    "B\r\n"
    "1234567890123456789;tab\tulé;1e+20;-5000000000000;2026-02-30;\"code _x0041_ ici \"\r\n";

static struct {
  char dir[256];
  sqlite3 *db;
} g;

static int setup(void **state) {
  (void)state;
  fixture_dir(g.dir);
  if (sqlite3_open(":memory:", &g.db) != SQLITE_OK) return -1;
  return sqlite3_exec(g.db, SAMPLE_SQL, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  sqlite3_close(g.db);
  fixture_rmdir(g.dir);
  return 0;
}

static sqlite3_stmt *prepare(const char *sql) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(g.db, sql, -1, &st, NULL) != SQLITE_OK) fail_msg("%s : %s", sql, sqlite3_errmsg(g.db));
  return st;
}

/* Entries of directory `dir` (without . and ..), their names into `names`
 * separated by spaces. */
static int entries(const char *dir, char *names, size_t size) {
  int n = 0;
  DIR *d = opendir(dir);
  struct dirent *e;
  names[0] = 0;
  assert_non_null(d);
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    n++;
    strncat(names, e->d_name, size - strlen(names) - 2);
    strcat(names, " ");
  }
  closedir(d);
  return n;
}

/* Asserts that `dir` holds exactly `n` entries. */
static void expect_entries(const char *dir, int n) {
  char names[1024];
  int got = entries(dir, names, sizeof names);
  if (got != n) fail_msg("%s contient %d fichier(s) au lieu de %d : %s", dir, got, n, names);
}

/* Member `member` of the zip file `path` (unzip -p), into `out`. */
static void unzip(char *out, size_t size, const char *path, const char *member) {
  int st = fixture_sh(out, size, "unzip -p '%s' '%s'", path, member);
  if (st != 0) fail_msg("unzip -p %s %s : statut %d", path, member, st);
  if (strlen(out) + 1 >= size) fail_msg("%s de %s trop long pour le tampon du test", member, path);
}

/* The XML of cell `ref` ("B2") in a worksheet, "" when absent. */
static const char *cell(const char *xml, const char *ref) {
  static char out[512];
  char key[32];
  snprintf(key, sizeof key, "<c r=\"%s\"", ref);
  const char *s = strstr(xml, key), *gt, *e;
  out[0] = 0;
  if (!s) return out;
  gt = strchr(s, '>');
  e = gt && gt[-1] == '/' ? gt + 1 : strstr(s, "</c>");
  assert_non_null(e);
  if (*e == '<') e += 4;
  snprintf(out, sizeof out, "%.*s", (int)(e - s), s);
  return out;
}

/* Asserts that cell `ref` is a number with style index `style` (0: none)
 * and value `v`. */
static void expect_number(const char *xml, const char *ref, int style, double v) {
  const char *c = cell(xml, ref), *p = strstr(c, "<v>");
  char want[32] = "";
  if (!p) fail_msg("%s n'est pas un nombre : « %s »", ref, c);
  double got = strtod(p + 3, NULL);
  double diff = got > v ? got - v : v - got, scale = v > 1 ? v : v < -1 ? -v : 1;
  if (diff > 1e-9 * scale) fail_msg("%s = %.17g au lieu de %.17g (%s)", ref, got, v, c);
  if (style) snprintf(want, sizeof want, " s=\"%d\"", style);
  if ((style && !strstr(c, want)) || (!style && strstr(c, " s=\"")))
    fail_msg("%s : style attendu %d : %s", ref, style, c);
  if (strstr(c, "t=\"")) fail_msg("%s : type inattendu : %s", ref, c);
}

/* Asserts that cell `ref` is the inline string `text` (XML-escaped). */
static void expect_text(const char *xml, const char *ref, const char *text) {
  char want[512];
  const char *space = text[0] == ' ' || text[strlen(text) - 1] == ' ' ? " xml:space=\"preserve\"" : "";
  snprintf(want, sizeof want, "<c r=\"%s\" t=\"inlineStr\"><is><t%s>%s</t></is></c>", ref, space, text);
  assert_string_equal(cell(xml, ref), want);
}

static void format_names(void **state) {
  (void)state;
  enum export_format f = EXPORT_XLSX;
  assert_int_equal(export_format_parse(&f, "csv"), 0);
  assert_int_equal(f, EXPORT_CSV);
  assert_int_equal(export_format_parse(&f, "XlSx"), 0);
  assert_int_equal(f, EXPORT_XLSX);
  assert_int_equal(export_format_parse(&f, "CSV"), 0);
  assert_int_equal(f, EXPORT_CSV);
  const char *bad[] = {"ods", "", "csv ", "xls", NULL};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    err_clear();
    f = EXPORT_XLSX;
    assert_int_equal(export_format_parse(&f, bad[i]), ERR_INVALID);
    assert_int_equal(f, EXPORT_XLSX);
    assert_string_equal(err_field(), "format");
    if (!strstr(err_msg(), "format d'export inconnu")) fail_msg("message : %s", err_msg());
  }
  assert_string_equal(export_media_type(EXPORT_CSV), "text/csv; charset=utf-8");
  assert_string_equal(export_media_type(EXPORT_XLSX),
                      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
}

static void expect_bytes(const char *got, size_t n, const char *want, size_t wn) {
  if (n == wn && memcmp(got, want, n) == 0) return;
  size_t i = 0;
  while (i < n && i < wn && got[i] == want[i]) i++;
  fail_msg("contenu différent à l'octet %zu (%zu octets au lieu de %zu) : « %.60s » au lieu de « %.60s »", i, n, wn,
           got + i, want + i);
}

static void csv_exact(void **state) {
  (void)state;
  char path[320];
  size_t n;
  int64_t rows = -1;
  snprintf(path, sizeof path, "%s/demandes.csv", g.dir);
  sqlite3_stmt *st = prepare(SAMPLE_SELECT);
  assert_int_equal(export_write(&rows, path, EXPORT_CSV, "ignorée", COLS, NCOLS, st, NULL), 0);
  assert_int_equal(rows, 6);
  char *got = fixture_read(path, &n);
  expect_bytes(got, n, SAMPLE_CSV, sizeof SAMPLE_CSV - 1);
  free(got);
  expect_entries(g.dir, 1); /* no temporary file left */

  /* The same bytes in memory, appended after what the buffer held. */
  struct buf b = BUF_INIT;
  assert_int_equal(buf_puts(&b, "avant"), 0);
  sqlite3_reset(st);
  rows = -1;
  assert_int_equal(export_to_buf(&rows, &b, EXPORT_CSV, NULL, COLS, NCOLS, st), 0);
  assert_int_equal(rows, 6);
  assert_memory_equal(b.data, "avant", 5);
  expect_bytes(b.data + 5, b.len - 5, SAMPLE_CSV, sizeof SAMPLE_CSV - 1);
  buf_free(&b);

  /* An existing file is replaced; `rows` may be NULL. */
  sqlite3_reset(st);
  assert_int_equal(export_write(NULL, path, EXPORT_CSV, NULL, COLS, 1, st, NULL), 0);
  got = fixture_read(path, &n);
  static const char one[] = "\xEF\xBB\xBFNuméro\r\n1\r\n2\r\n3\r\n\r\n-42\r\n1234567890123456789\r\n";
  expect_bytes(got, n, one, sizeof one - 1);
  free(got);
  expect_entries(g.dir, 1);
  sqlite3_finalize(st);
}

/* The numFmtId of the <numFmt> whose formatCode is at `at` in `xml`. */
static long num_fmt_id(const char *xml, const char *at) {
  while (at > xml && strncmp(at, "numFmtId=\"", 10) != 0) at--;
  return strtol(at + 10, NULL, 10);
}

/* Checks the sample workbook at `path`, whose sheet is named `sheet`. */
static void expect_sample_xlsx(const char *path, const char *sheet) {
  static char xml[1 << 16];
  unzip(xml, sizeof xml, path, "xl/worksheets/sheet1.xml");
  /* Header: bold (style 1), inline strings. */
  const char *titles[] = {"Numéro", "Libellé", "Montant", "Déposée le", "Échéance", "Note"};
  for (int i = 0; i < NCOLS; i++) {
    char ref[8], want[128];
    snprintf(ref, sizeof ref, "%c1", 'A' + i);
    snprintf(want, sizeof want, "<c r=\"%s\" s=\"1\" t=\"inlineStr\"><is><t>%s</t></is></c>", ref, titles[i]);
    assert_string_equal(cell(xml, ref), want);
  }
  /* Row 2: numbers, a text with ';' and '"', a time (style 2), a date
   * (style 3), a text with a line feed. */
  expect_number(xml, "A2", 0, 1);
  expect_text(xml, "B2", "Chemin; \"vicinal\"");
  expect_number(xml, "C2", 0, 12.5);
  expect_number(xml, "D2", 2, 46110 + 1.5 / 24);  /* 29/03/2026 01:30 CET */
  expect_number(xml, "E2", 3, 46110);
  expect_text(xml, "F2", "ligne 1\nligne 2");
  /* Row 3: a would-be formula stays a string; spaces are kept. */
  expect_text(xml, "B3", "=cmd|' /C calc'!A0");
  expect_number(xml, "C3", 0, -0.25);
  expect_number(xml, "D3", 2, 46110 + 3.5 / 24);  /* 29/03/2026 03:30 CEST */
  expect_number(xml, "E3", 3, 46357);
  expect_text(xml, "F3", " espace");
  if (strstr(xml, "<f>")) fail_msg("formule dans la feuille : %s", xml);
  /* Row 4: accents; NULLs give no cell. */
  expect_text(xml, "B4", "Élagage à Agassac");
  assert_string_equal(cell(xml, "C4"), "");
  assert_string_equal(cell(xml, "E4"), "");
  expect_number(xml, "D4", 2, 46320 + 2.5 / 24);  /* 25/10/2026 02:30 CEST */
  expect_text(xml, "F4", "+33 5 61 00 00 00");
  /* Row 5: the second 02:30 of 25 October; not a date → text. */
  assert_string_equal(cell(xml, "A5"), "");
  assert_string_equal(cell(xml, "B5"), "");
  expect_number(xml, "C5", 0, 3);
  expect_number(xml, "D5", 2, 46320 + 2.5 / 24);  /* 25/10/2026 02:30 CET */
  expect_text(xml, "E5", "pas une date");
  /* Row 6: invalid UTF-8 replaced, leap day. */
  expect_number(xml, "A6", 0, -42);
  expect_text(xml, "B6", "-5");
  expect_number(xml, "C6", 0, 0.1 + 0.2);
  assert_string_equal(cell(xml, "D6"), "");
  expect_number(xml, "E6", 3, 45351);
  expect_text(xml, "F6", "A\xEF\xBF\xBD" "B");
  /* Row 7: 19 digits as text, a time before 1900 as its integer, an
   * impossible date as text, "_x0041_" protected from Excel's decoding. */
  expect_text(xml, "A7", "1234567890123456789");
  expect_text(xml, "B7", "tab\tulé");
  expect_number(xml, "C7", 0, 1e20);
  expect_number(xml, "D7", 0, -5000000000000.0);
  expect_text(xml, "E7", "2026-02-30");
  expect_text(xml, "F7", "code _x005F_x0041_ ici ");
  assert_string_equal(cell(xml, "A8"), "");
  /* Frozen header, autofilter over the range, column widths. */
  assert_non_null(strstr(xml, "<pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\" state=\"frozen\"/>"));
  assert_non_null(strstr(xml, "<autoFilter ref=\"A1:F7\"/>"));
  assert_non_null(strstr(xml, "<col min=\"1\" max=\"1\" width=\""));
  assert_non_null(strstr(xml, "<col min=\"6\" max=\"6\" width=\""));

  /* Styles: xf 1 is the bold font, 2 the date-time format, 3 the date. */
  unzip(xml, sizeof xml, path, "xl/styles.xml");
  const char *xfs = strstr(xml, "<cellXfs count=\"4\">");
  if (!xfs) fail_msg("cellXfs : %s", xml);
  const char *xf[4];
  for (int i = 0; i < 4; i++) xf[i] = xfs = strstr(xfs + 1, "<xf ");
  assert_non_null(xf[3]);
  if (strncmp(xf[1], "<xf numFmtId=\"0\" fontId=\"1\"", 27) != 0) fail_msg("xf 1 : %.80s", xf[1]);
  assert_non_null(strstr(xml, "<fonts count=\"2\"><font><sz val=\"11\"/>"));
  assert_non_null(strstr(xml, "</font><font><b/>"));
  char want[96];
  const char *fmt = strstr(xml, "formatCode=\"dd/mm/yyyy hh:mm\"");
  assert_non_null(fmt);
  snprintf(want, sizeof want, "<xf numFmtId=\"%ld\"", num_fmt_id(xml, fmt));
  if (strncmp(xf[2], want, strlen(want)) != 0) fail_msg("xf 2 : %.80s au lieu de %s", xf[2], want);
  fmt = strstr(xml, "formatCode=\"dd/mm/yyyy\"");
  assert_non_null(fmt);
  snprintf(want, sizeof want, "<xf numFmtId=\"%ld\"", num_fmt_id(xml, fmt));
  if (strncmp(xf[3], want, strlen(want)) != 0) fail_msg("xf 3 : %.80s au lieu de %s", xf[3], want);

  unzip(xml, sizeof xml, path, "xl/workbook.xml");
  snprintf(want, sizeof want, "<sheet name=\"%s\" sheetId=\"1\"", sheet);
  if (!strstr(xml, want)) fail_msg("feuille « %s » absente : %s", sheet, xml);
}

static void xlsx_cells(void **state) {
  (void)state;
  char path[320];
  int64_t rows = -1;
  snprintf(path, sizeof path, "%s/demandes.xlsx", g.dir);
  sqlite3_stmt *st = prepare(SAMPLE_SELECT);
  assert_int_equal(export_write(&rows, path, EXPORT_XLSX, "Demandes", COLS, NCOLS, st, NULL), 0);
  assert_int_equal(rows, 6);
  expect_sample_xlsx(path, "Demandes");
  expect_entries(g.dir, 1);
  sqlite3_finalize(st);
}

/* XLSX in memory: the same workbook, and its temporary file (under
 * $TMPDIR) removed. */
static void xlsx_to_buf(void **state) {
  (void)state;
  char tmp[256], path[320], *old = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
  struct buf b = BUF_INIT;
  int64_t rows = -1;
  fixture_dir(tmp);
  setenv("TMPDIR", tmp, 1);
  sqlite3_stmt *st = prepare(SAMPLE_SELECT);
  assert_int_equal(buf_puts(&b, "avant"), 0);
  int rc = export_to_buf(&rows, &b, EXPORT_XLSX, "Liste des demandes", COLS, NCOLS, st);
  if (old) setenv("TMPDIR", old, 1);
  else unsetenv("TMPDIR");
  free(old);
  assert_int_equal(rc, 0);
  assert_int_equal(rows, 6);
  expect_entries(tmp, 0);
  fixture_rmdir(tmp);
  assert_memory_equal(b.data, "avantPK\x03\x04", 9);
  snprintf(path, sizeof path, "%s/en-memoire.xlsx", g.dir);
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(b.data + 5, 1, b.len - 5, f), b.len - 5);
  fclose(f);
  expect_sample_xlsx(path, "Liste des demandes");
  buf_free(&b);
  sqlite3_finalize(st);
}

/* Sheet names Excel would refuse are repaired. */
static void sheet_names(void **state) {
  (void)state;
  static const struct {
    const char *in, *out;
  } cases[] = {
      {NULL, "Export"},
      {"", "Export"},
      {"Demandes [2026]: a/b?*\\c", "Demandes _2026__ a_b___c"},
      {"Élagages et curages de fossés de Haute-Garonne", "Élagages et curages de fossés d"},
      {"'Communes'", "_Communes_"},
      {"history", "history_"},
      {"bad\xff utf8\ttab", "bad_ utf8_tab"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char path[320];
    snprintf(path, sizeof path, "%s/feuille.xlsx", g.dir);
    sqlite3_stmt *st = prepare("SELECT 1");
    assert_int_equal(export_write(NULL, path, EXPORT_XLSX, cases[i].in, COLS, 1, st, NULL), 0);
    sqlite3_finalize(st);
    char xml[4096], want[128];
    unzip(xml, sizeof xml, path, "xl/workbook.xml");
    snprintf(want, sizeof want, "<sheet name=\"%s\" sheetId=\"1\"", cases[i].out);
    if (!strstr(xml, want)) fail_msg("« %s » : %s attendu dans %s", cases[i].in, want, xml);
  }
}

/* Excel holds 32 767 characters (UTF-16 units) in a cell: longer texts are
 * cut there in XLSX, never inside a character, and kept whole in CSV. */
static void long_text(void **state) {
  (void)state;
  static char xml[1 << 18];
  static const struct export_column cols[] = {{"accents", EXPORT_TEXT}, {"emoji", EXPORT_TEXT}};
  char path[320];
  size_t n;
  /* 40 000 'é'; 32 766 'x' then an emoji (2 units) that would end at 32 768. */
  sqlite3_stmt *st = prepare("SELECT replace(hex(zeroblob(40000)), '00', 'é'), "
                             "replace(hex(zeroblob(16383)), '00', 'xx') || '😀yyy'");
  snprintf(path, sizeof path, "%s/long.xlsx", g.dir);
  assert_int_equal(export_write(NULL, path, EXPORT_XLSX, NULL, cols, 2, st, NULL), 0);
  unzip(xml, sizeof xml, path, "xl/worksheets/sheet1.xml");
  const char *t = strstr(xml, "<c r=\"A2\" t=\"inlineStr\"><is><t>"), *end;
  assert_non_null(t);
  t = strstr(t, "<t>") + 3;
  end = strstr(t, "</t>");
  assert_int_equal(end - t, 2 * 32767);
  for (const char *p = t; p < end; p += 2) assert_memory_equal(p, "é", 2);
  t = strstr(xml, "<c r=\"B2\" t=\"inlineStr\"><is><t>");
  assert_non_null(t);
  t = strstr(t, "<t>") + 3;
  end = strstr(t, "</t>");
  assert_int_equal(end - t, 32766);
  assert_int_equal(strspn(t, "x"), 32766);

  snprintf(path, sizeof path, "%s/long.csv", g.dir);
  sqlite3_reset(st);
  assert_int_equal(export_write(NULL, path, EXPORT_CSV, NULL, cols, 2, st, NULL), 0);
  char *got = fixture_read(path, &n);
  assert_int_equal(n, 3 + strlen("accents;emoji\r\n") + 2 * 40000 + 1 + 32766 + strlen("😀yyy\r\n"));
  static const char tail[] = "x😀yyy\r\n";
  assert_memory_equal(got + n - (sizeof tail - 1), tail, sizeof tail - 1);
  free(got);
  sqlite3_finalize(st);
}

struct progress_log {
  int calls, ordered, finished;
  int64_t last;
};

/* Rows every 10 000 (total unknown), then for XLSX the compression step
 * (done = total). */
static void on_progress(void *ctx, const char *label, int64_t done, int64_t total) {
  struct progress_log *l = ctx;
  if (l->finished || !label || !*label) l->ordered = 0;
  else if (total == done && strstr(label, "Compression")) l->finished = 1;
  else if (done != l->last + 10000 || total != 0 || !strstr(label, "lignes")) l->ordered = 0;
  l->calls++;
  l->last = done;
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

#define BIG_ROWS 200000
static const char BIG_SQL[] =
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000) "
    "SELECT x, 'Demande n°' || x || ' ; réfection de la voirie', x * 1.25, 1767225600000 + x * 60000, "
    "'2026-01-' || printf('%02d', x % 28 + 1), CASE x % 3 WHEN 0 THEN NULL ELSE 'Agent ' || (x % 97) END, "
    "x % 1000, 'Haute-Garonne' FROM c";
static const struct export_column BIG_COLS[] = {
    {"Numéro", EXPORT_INTEGER},  {"Objet", EXPORT_TEXT},    {"Montant", EXPORT_NUMBER},
    {"Déposée le", EXPORT_TIME}, {"Échéance", EXPORT_DATE}, {"Agent", EXPORT_TEXT},
    {"Commune", EXPORT_INTEGER}, {"Département", EXPORT_TEXT},
};

/* 200 000 rows of 8 columns in both formats: all rows there, progress
 * every 10 000 rows. */
static void large_exports(void **state) {
  (void)state;
  const char *names[] = {"gros.csv", "gros.xlsx"};
  for (int k = 0; k < 2; k++) {
    char path[320], out[2048];
    struct progress_log log = {0, 1, 0, 0};
    struct progress p = {on_progress, &log};
    int64_t rows = -1;
    snprintf(path, sizeof path, "%s/%s", g.dir, names[k]);
    sqlite3_stmt *st = prepare(BIG_SQL);
    double t0 = now_s();
    int rc = export_write(&rows, path, k ? EXPORT_XLSX : EXPORT_CSV, "Demandes", BIG_COLS, 8, st, &p);
    double dt = now_s() - t0;
    sqlite3_finalize(st);
    if (rc) fail_msg("%s : %s", names[k], err_msg());
    assert_int_equal(rows, BIG_ROWS);
    assert_int_equal(log.calls, BIG_ROWS / 10000 + k);
    assert_int_equal(log.last, BIG_ROWS);
    assert_true(log.ordered);
    assert_int_equal(log.finished, k);
    printf("export %s : %d lignes de 8 colonnes en %.2f s, %.0f lignes/s\n", k ? "XLSX" : "CSV", BIG_ROWS, dt,
           BIG_ROWS / dt);
    if (k == 0) {
      assert_int_equal(fixture_sh(out, sizeof out, "tr -cd '\\n' < '%s' | wc -c; tail -n 1 '%s'", path, path), 0);
      assert_string_equal(out, "200001\n200000;\"Demande n°200000 ; réfection de la voirie\";250000;"
                               "19/05/2026 23:20;25/01/2026;Agent 83;0;Haute-Garonne\r\n");
    } else {
      assert_int_equal(fixture_sh(out, sizeof out, "unzip -p '%s' xl/worksheets/sheet1.xml | grep -o '<row ' | wc -l",
                                  path),
                       0);
      assert_string_equal(out, "200001\n");
      assert_int_equal(fixture_sh(out, sizeof out,
                                  "unzip -p '%s' xl/worksheets/sheet1.xml | grep -o '<row r=\"200001\".*</row>'",
                                  path),
                       0);
      if (!strstr(out, "<c r=\"A200001\"><v>200000</v></c><c r=\"B200001\" t=\"inlineStr\"><is><t>Demande "
                       "n°200000 ; réfection de la voirie</t></is></c><c r=\"C200001\"><v>250000</v></c>"))
        fail_msg("dernière ligne : %s", out);
    }
  }
}

/* Excel holds 1 048 575 data rows under the header: one more is refused,
 * telling to filter or use CSV, and leaves no file. */
static void xlsx_row_limit(void **state) {
  (void)state;
  char path[320];
  int64_t rows = -1;
  static const struct export_column col = {"x", EXPORT_INTEGER};
  snprintf(path, sizeof path, "%s/trop.xlsx", g.dir);
  sqlite3_stmt *st = prepare("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) "
                             "SELECT x FROM c");
  sqlite3_bind_int(st, 1, 1048576);
  err_clear();
  assert_int_equal(export_write(&rows, path, EXPORT_XLSX, NULL, &col, 1, st, NULL), ERR_TOOLARGE);
  assert_int_equal(rows, -1);
  if (!strstr(err_msg(), "filtrez") || !strstr(err_msg(), "CSV")) fail_msg("message : %s", err_msg());
  expect_entries(g.dir, 0);
  /* Exactly the limit is accepted. */
  sqlite3_reset(st);
  sqlite3_bind_int(st, 1, 1048575);
  assert_int_equal(export_write(&rows, path, EXPORT_XLSX, NULL, &col, 1, st, NULL), 0);
  assert_int_equal(rows, 1048575);
  expect_entries(g.dir, 1);
  sqlite3_finalize(st);
}

/* A directory that does not exist: refused with a French message, nothing
 * created. */
static void missing_directory(void **state) {
  (void)state;
  char path[320];
  snprintf(path, sizeof path, "%s/absent/export", g.dir);
  for (int k = 0; k < 2; k++) {
    int64_t rows = -1;
    sqlite3_stmt *st = prepare(SAMPLE_SELECT);
    err_clear();
    assert_int_equal(export_write(&rows, path, k ? EXPORT_XLSX : EXPORT_CSV, NULL, COLS, NCOLS, st, NULL), ERR_IO);
    sqlite3_finalize(st);
    assert_int_equal(rows, -1);
    if (!strstr(err_msg(), "impossible de créer le fichier d'export") || !strstr(err_msg(), path))
      fail_msg("message : %s", err_msg());
    expect_entries(g.dir, 0);
  }
}

/* A query failing after many rows were written: the temporary file is
 * removed, an existing file of the same name is kept as it was, and a
 * buffer keeps its former contents. */
static void failure_half_way(void **state) {
  (void)state;
  static const char sql[] =
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 40000) "
      "SELECT CASE WHEN x < 30000 THEN x ELSE abs(-9223372036854775807 - 1) END, "
      "'une ligne assez longue pour remplir le tampon d''écriture' FROM c";
  static const struct export_column cols[] = {{"x", EXPORT_INTEGER}, {"texte", EXPORT_TEXT}};
  char path[320];
  size_t n;
  snprintf(path, sizeof path, "%s/export", g.dir);
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  fputs("ancien", f);
  fclose(f);
  for (int k = 0; k < 2; k++) {
    int64_t rows = -1;
    sqlite3_stmt *st = prepare(sql);
    err_clear();
    assert_int_equal(export_write(&rows, path, k ? EXPORT_XLSX : EXPORT_CSV, NULL, cols, 2, st, NULL), ERR_DB);
    assert_int_equal(rows, -1);
    if (!strstr(err_msg(), "lecture des lignes à exporter") || !strstr(err_msg(), "integer overflow"))
      fail_msg("message : %s", err_msg());
    expect_entries(g.dir, 1);
    char *got = fixture_read(path, &n);
    assert_string_equal(got, "ancien");
    free(got);

    struct buf b = BUF_INIT;
    assert_int_equal(buf_puts(&b, "avant"), 0);
    sqlite3_reset(st);
    assert_int_equal(export_to_buf(&rows, &b, k ? EXPORT_XLSX : EXPORT_CSV, NULL, cols, 2, st), ERR_DB);
    assert_int_equal(rows, -1);
    assert_int_equal(b.len, 5);
    assert_string_equal(b.data, "avant");
    buf_free(&b);
    sqlite3_finalize(st);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(format_names),
      cmocka_unit_test_setup_teardown(csv_exact, setup, teardown),
      cmocka_unit_test_setup_teardown(xlsx_cells, setup, teardown),
      cmocka_unit_test_setup_teardown(xlsx_to_buf, setup, teardown),
      cmocka_unit_test_setup_teardown(sheet_names, setup, teardown),
      cmocka_unit_test_setup_teardown(long_text, setup, teardown),
      cmocka_unit_test_setup_teardown(large_exports, setup, teardown),
      cmocka_unit_test_setup_teardown(xlsx_row_limit, setup, teardown),
      cmocka_unit_test_setup_teardown(missing_directory, setup, teardown),
      cmocka_unit_test_setup_teardown(failure_half_way, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
