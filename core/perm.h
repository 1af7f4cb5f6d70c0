/* perm — the one permission rule for requests, used by every command, API
 * route and page:
 *   - a requester sees and acts on its own collectivity's requests only;
 *   - agents and heads see the requests that have a part for their org;
 *   - coordinators and admins see all;
 *   - internal notes are never shown to, nor written by, requesters.
 * The rule exists once, as an SQL condition over a request aliased `r`;
 * single checks and filtered lists both use it. */
#ifndef APPUI_PERM_H
#define APPUI_PERM_H
#include <sqlite3.h>
#include <stdint.h>

struct db;
struct user;

enum perm_action {
  PERM_READ,     /* see the request, its public thread and documents */
  PERM_WRITE,    /* write a public message, add a document */
  PERM_INTERNAL  /* see and write internal notes */
};

/* The SQL conditions selecting the requests a user may see, over alias `r`,
 * one per kind of role, with the named parameters :perm_coll and :perm_org
 * (bind with perm_bind()). Macros, so that queries embedding them are
 * complete string literals. */
#define PERM_SCOPE_COLLECTIVITY "r.collectivity = :perm_coll"
#define PERM_SCOPE_ORG "EXISTS (SELECT 1 FROM part p WHERE p.request = r.id AND p.org = :perm_org)"
#define PERM_SCOPE_ALL "1"

enum perm_scope { PERM_BY_COLLECTIVITY, PERM_BY_ORG, PERM_EVERYTHING };

/* Which of the conditions above applies to `u`. */
enum perm_scope perm_scope_of(const struct user *u);

/* The condition of perm_scope_of(u) (one of the macros above). Static. */
const char *perm_scope_sql(const struct user *u);

/* Binds the parameters of perm_scope_sql(u) in `st`, if present. */
void perm_bind(sqlite3_stmt *st, const struct user *u);

/* May `u` do `a` on request `request` (known to exist, public reference
 * `ref` for the message)? Returns 0, ERR_FORBIDDEN with a French message, or
 * a storage error. */
int perm_request(struct db *db, const struct user *u, enum perm_action a, int64_t request,
                 const char *ref);

/* May `u` file a request for collectivity `code`? Returns 0 or
 * ERR_FORBIDDEN. */
int perm_file(const struct user *u, const char *code);

#endif
