/* journal — append-only event log (see journal.h). */
#include "journal.h"
#include "clock.h"
#include "db.h"
#include "err.h"
#include "user.h"
#include <assert.h>
#include <stdlib.h>

int journal_append(struct db *db, const struct user *actor, int64_t request, const char *type,
                   json_t *data) {
  return journal_append_at(db, actor, request, type, data, clock_now_ms());
}

int journal_append_at(struct db *db, const struct user *actor, int64_t request, const char *type,
                      json_t *data, int64_t at) {
  assert(db_in_tx(db));
  sqlite3_stmt *st;
  int rc = db_prepare(&st, db,
                      "INSERT INTO event (at, actor_user, actor, request, type, data) "
                      "VALUES (?, ?, ?, ?, ?, ?)");
  if (rc) return rc;
  char *text = data ? json_dumps(data, JSON_COMPACT) : NULL;
  if (data && !text) {
    db_done(st);
    return err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
  }
  sqlite3_bind_int64(st, 1, at);
  if (actor->id) sqlite3_bind_int64(st, 2, actor->id);
  else sqlite3_bind_null(st, 2);
  sqlite3_bind_text(st, 3, actor->email, -1, SQLITE_STATIC);
  if (request) sqlite3_bind_int64(st, 4, request);
  else sqlite3_bind_null(st, 4);
  sqlite3_bind_text(st, 5, type, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 6, text ? text : "{}", -1, SQLITE_STATIC);
  int s = sqlite3_step(st);
  if (s != SQLITE_DONE) rc = db_fail(db, s, "écriture du journal");
  db_done(st);
  free(text);
  return rc;
}

int journal_list(json_t **out, struct db *db, int64_t request, int64_t after, int limit) {
  sqlite3_stmt *st;
  *out = NULL;
  int rc = db_prepare(&st, db,
                      request ? "SELECT e.id, e.at, e.actor, e.type, r.ref, e.data FROM event e "
                                "LEFT JOIN request r ON r.id = e.request "
                                "WHERE e.request = ?1 AND e.id > ?2 ORDER BY e.id LIMIT ?3"
                              : "SELECT e.id, e.at, e.actor, e.type, r.ref, e.data FROM event e "
                                "LEFT JOIN request r ON r.id = e.request "
                                "WHERE ?1 = 0 AND e.id > ?2 ORDER BY e.id LIMIT ?3");
  if (rc) return rc;
  json_t *arr = json_array();
  sqlite3_bind_int64(st, 1, request);
  sqlite3_bind_int64(st, 2, after);
  sqlite3_bind_int(st, 3, limit);
  int s;
  while ((s = sqlite3_step(st)) == SQLITE_ROW) {
    char when[32];
    clock_format(sqlite3_column_int64(st, 1), when);
    json_t *data = json_loads(db_col_text(st, 5), 0, NULL);
    json_t *ev = json_pack("{s:I, s:s, s:s, s:s, s:s?, s:o}", "id", (json_int_t)sqlite3_column_int64(st, 0),
                           "at", when, "actor", db_col_text(st, 2), "type", db_col_text(st, 3),
                           "request", db_col_text(st, 4), "data", data ? data : json_object());
    json_array_append_new(arr, ev);
  }
  if (s != SQLITE_DONE) {
    rc = db_fail(db, s, "lecture du journal");
    json_decref(arr);
    arr = NULL;
  }
  db_done(st);
  *out = arr;
  return rc;
}
