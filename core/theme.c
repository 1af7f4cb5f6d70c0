/* theme — the theme taxonomy (see theme.h). */
#include "theme.h"
#include "buf.h"
#include "db.h"
#include "err.h"
#include <string.h>

int theme_check(struct db *db, const char *const *codes, int n, const char *field) {
  for (int i = 0; i < n; i++) {
    for (int j = 0; j < i; j++)
      if (strcmp(codes[i], codes[j]) == 0)
        return err_set(ERR_INVALID, field, "thématique en double : %s", codes[i]);
    int64_t one;
    int rc = db_int_for(&one, db, "SELECT 1 FROM theme WHERE code = ?", codes[i]);
    if (rc == ERR_NOTFOUND) {
      struct buf all = BUF_INIT;
      sqlite3_stmt *st;
      if (db_prepare(&st, db, "SELECT group_concat(code, ', ') FROM (SELECT code FROM theme ORDER BY position)") == 0) {
        if (sqlite3_step(st) == SQLITE_ROW) buf_puts(&all, db_col_text(st, 0) ? db_col_text(st, 0) : "");
        db_done(st);
      }
      rc = err_set(ERR_INVALID, field, "thématique inconnue : « %s » (valeurs possibles : %s)", codes[i],
                   buf_str(&all));
      buf_free(&all);
    }
    if (rc) return rc;
  }
  return 0;
}

int theme_list(json_t **out, struct db *db) {
  sqlite3_stmt *st;
  *out = NULL;
  int rc = db_prepare(&st, db, "SELECT code, label FROM theme ORDER BY position");
  if (rc) return rc;
  json_t *arr = json_array();
  int s;
  while ((s = sqlite3_step(st)) == SQLITE_ROW)
    json_array_append_new(arr, json_pack("{s:s, s:s}", "code", db_col_text(st, 0), "label", db_col_text(st, 1)));
  if (s != SQLITE_DONE) {
    rc = db_fail(db, s, "liste des thématiques");
    json_decref(arr);
    arr = NULL;
  }
  db_done(st);
  *out = arr;
  return rc;
}

int theme_labels(json_t **labels, json_t **list, struct db *db) {
  json_t *themes;
  int rc = theme_list(&themes, db);
  if (rc) return rc;
  *labels = json_object();
  size_t i;
  json_t *t;
  json_array_foreach(themes, i, t) {
    json_object_set(*labels, json_string_value(json_object_get(t, "code")), json_object_get(t, "label"));
  }
  if (list) *list = themes;
  else json_decref(themes);
  return 0;
}
