/* message — request threads (see message.h). */
#include "message.h"
#include "clock.h"
#include "db.h"
#include "err.h"
#include "journal.h"
#include "request.h"
#include "sla.h"
#include "text.h"
#include "user.h"
#include <string.h>

static int check(const char *visibility, const char *body) {
  if (strcmp(visibility, "public") != 0 && strcmp(visibility, "internal") != 0)
    return err_set(ERR_INVALID, "visibility", "visibilité inconnue : « %s » (public ou internal)", visibility);
  return text_check_field(body, "body", "message", MESSAGE_BODY_MAX);
}

int message_post_tx(int64_t *id, struct db *db, const struct user *actor, int64_t request,
                    const char *visibility, const char *body, int64_t now) {
  int rc = check(visibility, body);
  if (rc) return rc;
  sqlite3_stmt *st;
  if ((rc = db_prepare(&st, db, "INSERT INTO message (request, author, visibility, body, created_at) "
                                "VALUES (?, ?, ?, ?, ?)")))
    return rc;
  sqlite3_bind_int64(st, 1, request);
  if (actor->id) sqlite3_bind_int64(st, 2, actor->id);
  db_bind_text(st, 3, visibility);
  db_bind_text(st, 4, body);
  sqlite3_bind_int64(st, 5, now);
  int s = sqlite3_step(st);
  db_done(st);
  if (s != SQLITE_DONE) return db_fail(db, s, "enregistrement du message");
  int64_t mid = sqlite3_last_insert_rowid(db_sqlite(db));
  if ((rc = db_prepare(&st, db, "UPDATE request SET updated_at = max(updated_at, ?) WHERE id = ?"))) return rc;
  sqlite3_bind_int64(st, 1, now);
  sqlite3_bind_int64(st, 2, request);
  s = sqlite3_step(st);
  db_done(st);
  if (s != SQLITE_DONE) return db_fail(db, s, "mise à jour de la demande");
  json_t *data = json_pack("{s:I, s:s, s:I}", "message", (json_int_t)mid, "visibility", visibility, "length",
                           (json_int_t)text_chars(body));
  rc = journal_append_at(db, actor, request, "message.posted", data, now);
  json_decref(data);
  /* A public answer from the services acknowledges the request. */
  if (!rc && actor->role != ROLE_REQUESTER && !strcmp(visibility, "public"))
    rc = sla_met_tx(db, request, SLA_ACK, now);
  if (!rc && id) *id = mid;
  return rc;
}

struct post_ctx {
  const struct user *actor;
  const char *ref, *visibility, *body;
  int64_t id;
};

static int post_tx(struct db *db, void *arg) {
  struct post_ctx *c = arg;
  int64_t request;
  int internal = strcmp(c->visibility, "internal") == 0;
  int rc = request_access(&request, db, c->actor, c->ref, internal ? PERM_INTERNAL : PERM_WRITE);
  if (rc) return rc;
  return message_post_tx(&c->id, db, c->actor, request, c->visibility, c->body, clock_now_ms());
}

int message_post(int64_t *id, struct db *db, const struct user *actor, const char *ref,
                 const char *visibility, const char *body) {
  if (!visibility) visibility = "public";
  int rc = check(visibility, body);
  if (rc) return rc;
  struct post_ctx c = {actor, ref, visibility, body, 0};
  rc = db_write(db, post_tx, &c);
  if (!rc && id) *id = c.id;
  return rc;
}
