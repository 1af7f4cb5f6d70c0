/* perm — the permission rule for requests (see perm.h). */
#include "perm.h"
#include "db.h"
#include "err.h"
#include "user.h"
#include <stdio.h>
#include <string.h>

enum perm_scope perm_scope_of(const struct user *u) {
  switch (u->role) {
  case ROLE_REQUESTER: return PERM_BY_COLLECTIVITY;
  case ROLE_AGENT:
  case ROLE_HEAD: return PERM_BY_ORG;
  case ROLE_COORDINATOR:
  case ROLE_ADMIN: break;
  }
  return PERM_EVERYTHING;
}

const char *perm_scope_sql(const struct user *u) {
  static const char *const sql[] = {
      [PERM_BY_COLLECTIVITY] = PERM_SCOPE_COLLECTIVITY,
      [PERM_BY_ORG] = PERM_SCOPE_ORG,
      [PERM_EVERYTHING] = PERM_SCOPE_ALL,
  };
  return sql[perm_scope_of(u)];
}

void perm_bind(sqlite3_stmt *st, const struct user *u) {
  int i = sqlite3_bind_parameter_index(st, ":perm_coll");
  if (i) sqlite3_bind_text(st, i, u->collectivity, -1, SQLITE_TRANSIENT);
  i = sqlite3_bind_parameter_index(st, ":perm_org");
  if (i) sqlite3_bind_int64(st, i, u->org);
}

int perm_request(struct db *db, const struct user *u, enum perm_action a, int64_t request,
                 const char *ref) {
  if (a == PERM_INTERNAL && u->role == ROLE_REQUESTER)
    return err_set(ERR_FORBIDDEN, NULL, "les notes internes sont réservées aux services");
  char sql[256];
  snprintf(sql, sizeof sql, "SELECT 1 FROM request r WHERE r.id = :id AND %s", perm_scope_sql(u));
  sqlite3_stmt *st;
  int rc = db_prepare(&st, db, sql);
  if (rc) return rc;
  sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":id"), request);
  perm_bind(st, u);
  int s = sqlite3_step(st);
  db_done(st);
  if (s == SQLITE_ROW) return 0;
  if (s != SQLITE_DONE) return db_fail(db, s, "contrôle d'accès");
  if (u->role == ROLE_REQUESTER)
    return err_set(ERR_FORBIDDEN, NULL, "la demande %s concerne une autre collectivité que la vôtre", ref);
  return err_set(ERR_FORBIDDEN, NULL, "la demande %s n'est pas confiée à votre structure", ref);
}

int perm_file(const struct user *u, const char *code) {
  switch (u->role) {
  case ROLE_REQUESTER:
    if (code && strcmp(u->collectivity, code) == 0) return 0;
    return err_set(ERR_FORBIDDEN, "collectivity",
                   "vous ne pouvez déposer une demande que pour votre collectivité (%s)", u->collectivity);
  case ROLE_COORDINATOR:
  case ROLE_ADMIN: return 0;
  case ROLE_AGENT:
  case ROLE_HEAD: break;
  }
  return err_set(ERR_FORBIDDEN, NULL, "le dépôt d'une demande est réservé aux collectivités et à la coordination");
}
