/* Tests of core/perm.c: the one permission rule over a small matrix of
 * requests, parts and users — requesters see their collectivity's requests,
 * agents and heads those with a part for their org, coordinators and admins
 * all; internal notes are refused to requesters; who may file for whom; and
 * request_list() applying exactly the rule of perm_request(). Parts are
 * inserted with SQL: there is no part API yet. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "catalog.h"
#include "db.h"
#include "err.h"
#include "fixture.h"
#include "perm.h"
#include "request.h"
#include "user.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { R_AGASSAC, R_TOULOUSE, R_AGASSAC_SHARED, R_METROPOLE, R_TOULOUSE_DECLINED, N_REQ };
enum { U_REQ_AGASSAC, U_REQ_TOULOUSE, U_REQ_METROPOLE, U_AGENT_ATD, U_HEAD_CAUE, U_AGENT_ROUTES, U_COORD, U_ADMIN, N_USERS };

static struct {
  char dir[256];
  struct db *db;
  struct user users[N_USERS];
  char ref[N_REQ][REQUEST_REF_SIZE];
  int64_t id[N_REQ];
  int64_t atd31, caue31, routes;
} g;

/* Who sees what: one letter per request, in the order of the enum. */
static const char *const sees[N_USERS] = {
    [U_REQ_AGASSAC] = "X.X..",  [U_REQ_TOULOUSE] = ".X..X", [U_REQ_METROPOLE] = "...X.",
    [U_AGENT_ATD] = "X.X.X",    [U_HEAD_CAUE] = ".XX..",    [U_AGENT_ROUTES] = ".....",
    [U_COORD] = "XXXXX",        [U_ADMIN] = "XXXXX",
};

static const char *const user_names[N_USERS] = {"demandeur Agassac", "demandeur Toulouse", "demandeur Métropole",
                                                "agent ATD", "chef CAUE", "agent Routes", "coordination",
                                                "administration"};

static void add_part(int64_t request, int64_t org, const char *role, const char *state) {
  char sql[256];
  snprintf(sql, sizeof sql,
           "INSERT INTO part (request, org, role, state, created_at, updated_at) VALUES (%lld, %lld, '%s', '%s', 0, 0)",
           (long long)request, (long long)org, role, state);
  assert_int_equal(db_exec(g.db, sql), 0);
}

static struct user make(enum role r, const char *email, const char *coll, int64_t org, const char *slug) {
  struct user u;
  memset(&u, 0, sizeof u);
  u.id = 0;
  u.role = r;
  snprintf(u.email, sizeof u.email, "%s", email);
  snprintf(u.name, sizeof u.name, "%s", email);
  snprintf(u.collectivity, sizeof u.collectivity, "%s", coll);
  u.org = org;
  snprintf(u.org_slug, sizeof u.org_slug, "%s", slug);
  return u;
}

static int group_setup(void **state) {
  (void)state;
  struct user admin;
  user_system(&admin, "test");
  g.db = fixture_db(g.dir);
  fixture_territory(g.db);
  struct catalog_org_new o = {"atd31", "ATD 31", "satellite", NULL, NULL, NULL, -1};
  if (catalog_org_add(&g.atd31, g.db, &admin, &o)) return -1;
  o.slug = "caue31", o.name = "CAUE 31";
  if (catalog_org_add(&g.caue31, g.db, &admin, &o)) return -1;
  o.slug = "routes", o.name = "Direction des routes", o.kind = "direction";
  if (catalog_org_add(&g.routes, g.db, &admin, &o)) return -1;
  static const char *const coll[N_REQ] = {"31001", "31555", "31001", "243100518", "31555"};
  const char *themes[] = {"voirie"};
  for (int i = 0; i < N_REQ; i++) {
    struct request_new n = {coll[i], "Réfection de la voirie", "Chaussée abîmée.", themes, 1, NULL, -1, NULL};
    if (request_file(g.ref[i], &g.id[i], g.db, &admin, &n)) {
      fprintf(stderr, "request_file: %s\n", err_msg());
      return -1;
    }
  }
  add_part(g.id[R_AGASSAC], g.atd31, "lead", "proposed");
  add_part(g.id[R_TOULOUSE], g.caue31, "lead", "accepted");
  add_part(g.id[R_AGASSAC_SHARED], g.atd31, "lead", "in_progress");
  add_part(g.id[R_AGASSAC_SHARED], g.caue31, "contributor", "proposed");
  add_part(g.id[R_TOULOUSE_DECLINED], g.atd31, "lead", "declined");
  g.users[U_REQ_AGASSAC] = make(ROLE_REQUESTER, "maire@agassac.example", "31001", 0, "");
  g.users[U_REQ_TOULOUSE] = make(ROLE_REQUESTER, "mairie@toulouse.example", "31555", 0, "");
  g.users[U_REQ_METROPOLE] = make(ROLE_REQUESTER, "dgs@toulouse-metropole.example", "243100518", 0, "");
  g.users[U_AGENT_ATD] = make(ROLE_AGENT, "agent@atd31.example", "", g.atd31, "atd31");
  g.users[U_HEAD_CAUE] = make(ROLE_HEAD, "chef@caue31.example", "", g.caue31, "caue31");
  g.users[U_AGENT_ROUTES] = make(ROLE_AGENT, "agent@routes.example", "", g.routes, "routes");
  g.users[U_COORD] = make(ROLE_COORDINATOR, "coordination@appui.example", "", 0, "");
  g.users[U_ADMIN] = make(ROLE_ADMIN, "admin@appui.example", "", 0, "");
  return 0;
}

static int group_teardown(void **state) {
  (void)state;
  db_close(g.db);
  fixture_rmdir(g.dir);
  return 0;
}

static void read_and_write(void **state) {
  (void)state;
  static const enum perm_action actions[] = {PERM_READ, PERM_WRITE};
  for (int u = 0; u < N_USERS; u++)
    for (int r = 0; r < N_REQ; r++)
      for (int a = 0; a < 2; a++) {
        int expect = sees[u][r] == 'X';
        err_clear();
        int rc = perm_request(g.db, &g.users[u], actions[a], g.id[r], g.ref[r]);
        if (expect && rc != 0)
          fail_msg("%s devrait %s la demande %d : %s", user_names[u], a ? "écrire sur" : "voir", r, err_msg());
        if (!expect && rc != ERR_FORBIDDEN)
          fail_msg("%s ne devrait pas %s la demande %d (code %d)", user_names[u], a ? "écrire sur" : "voir", r, rc);
        if (!expect && !strstr(err_msg(), g.ref[r])) fail_msg("message sans la référence : %s", err_msg());
      }
}

static void refusal_messages(void **state) {
  (void)state;
  assert_int_equal(perm_request(g.db, &g.users[U_REQ_AGASSAC], PERM_READ, g.id[R_TOULOUSE], g.ref[R_TOULOUSE]),
                   ERR_FORBIDDEN);
  assert_non_null(strstr(err_msg(), "autre collectivité"));
  assert_int_equal(perm_request(g.db, &g.users[U_AGENT_ROUTES], PERM_READ, g.id[R_TOULOUSE], g.ref[R_TOULOUSE]),
                   ERR_FORBIDDEN);
  assert_non_null(strstr(err_msg(), "structure"));
  /* A requester of a commune does not see its EPCI's requests, nor the
   * reverse. */
  assert_int_equal(perm_request(g.db, &g.users[U_REQ_TOULOUSE], PERM_READ, g.id[R_METROPOLE], g.ref[R_METROPOLE]),
                   ERR_FORBIDDEN);
  assert_int_equal(perm_request(g.db, &g.users[U_REQ_METROPOLE], PERM_READ, g.id[R_TOULOUSE], g.ref[R_TOULOUSE]),
                   ERR_FORBIDDEN);
  /* Accounts bound to nothing see nothing. */
  struct user nobody = make(ROLE_REQUESTER, "x@y.example", "", 0, "");
  assert_int_equal(perm_request(g.db, &nobody, PERM_READ, g.id[R_AGASSAC], g.ref[R_AGASSAC]), ERR_FORBIDDEN);
  nobody = make(ROLE_AGENT, "x@y.example", "", 0, "");
  assert_int_equal(perm_request(g.db, &nobody, PERM_READ, g.id[R_AGASSAC], g.ref[R_AGASSAC]), ERR_FORBIDDEN);
}

static void internal_notes(void **state) {
  (void)state;
  for (int u = 0; u < N_USERS; u++)
    for (int r = 0; r < N_REQ; r++) {
      int expect = sees[u][r] == 'X' && g.users[u].role != ROLE_REQUESTER;
      err_clear();
      int rc = perm_request(g.db, &g.users[u], PERM_INTERNAL, g.id[r], g.ref[r]);
      if (expect ? rc != 0 : rc != ERR_FORBIDDEN)
        fail_msg("%s, notes internes de la demande %d : code %d (%s)", user_names[u], r, rc, err_msg());
    }
  /* Even on its own request, with a clear reason. */
  assert_int_equal(perm_request(g.db, &g.users[U_REQ_AGASSAC], PERM_INTERNAL, g.id[R_AGASSAC], g.ref[R_AGASSAC]),
                   ERR_FORBIDDEN);
  assert_non_null(strstr(err_msg(), "notes internes"));
}

static void who_may_file(void **state) {
  (void)state;
  assert_int_equal(perm_file(&g.users[U_REQ_AGASSAC], "31001"), 0);
  err_clear();
  assert_int_equal(perm_file(&g.users[U_REQ_AGASSAC], "31555"), ERR_FORBIDDEN);
  assert_string_equal(err_field(), "collectivity");
  assert_non_null(strstr(err_msg(), "31001")); /* names the collectivity it may file for */
  assert_int_equal(perm_file(&g.users[U_REQ_AGASSAC], NULL), ERR_FORBIDDEN);
  assert_int_equal(perm_file(&g.users[U_REQ_TOULOUSE], "243100518"), ERR_FORBIDDEN);
  assert_int_equal(perm_file(&g.users[U_REQ_METROPOLE], "243100518"), 0);
  assert_int_equal(perm_file(&g.users[U_COORD], "31555"), 0);
  assert_int_equal(perm_file(&g.users[U_ADMIN], "31001"), 0);
  err_clear();
  assert_int_equal(perm_file(&g.users[U_AGENT_ATD], "31001"), ERR_FORBIDDEN);
  assert_non_null(strstr(err_msg(), "réservé"));
  assert_int_equal(perm_file(&g.users[U_HEAD_CAUE], "31555"), ERR_FORBIDDEN);
}

/* Every request of `u`'s list, over all pages of 2, marked in `listed`. */
static void list_all(const struct user *u, int listed[N_REQ]) {
  char *cursor = NULL;
  memset(listed, 0, sizeof(int) * N_REQ);
  for (int page = 0; page < 10; page++) {
    struct request_filter f = {.cursor = cursor, .limit = 2};
    json_t *items;
    char *next;
    int rc = request_list(&items, &next, g.db, u, &f);
    if (rc) fail_msg("request_list: %s", err_msg());
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it) {
      const char *ref = json_string_value(json_object_get(it, "ref"));
      int found = 0;
      for (int r = 0; r < N_REQ; r++)
        if (strcmp(ref, g.ref[r]) == 0) {
          listed[r]++;
          found = 1;
        }
      assert_true(found);
    }
    json_decref(items);
    free(cursor);
    cursor = next;
    if (!cursor) return;
  }
  fail_msg("pagination sans fin");
}

static void list_applies_the_same_rule(void **state) {
  (void)state;
  for (int u = 0; u < N_USERS; u++) {
    int listed[N_REQ];
    list_all(&g.users[u], listed);
    for (int r = 0; r < N_REQ; r++) {
      int allowed = perm_request(g.db, &g.users[u], PERM_READ, g.id[r], g.ref[r]) == 0;
      if (listed[r] != allowed)
        fail_msg("%s, demande %d : listée %d fois, permission %d", user_names[u], r, listed[r], allowed);
      assert_int_equal(listed[r], sees[u][r] == 'X');
    }
  }
}

static void show_applies_the_rule(void **state) {
  (void)state;
  for (int u = 0; u < N_USERS; u++)
    for (int r = 0; r < N_REQ; r++) {
      json_t *o = NULL;
      int rc = request_show(&o, g.db, &g.users[u], g.ref[r], 0);
      assert_int_equal(rc, sees[u][r] == 'X' ? 0 : ERR_FORBIDDEN);
      assert_true((o != NULL) == (rc == 0));
      json_decref(o);
    }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(read_and_write),
      cmocka_unit_test(refusal_messages),
      cmocka_unit_test(internal_notes),
      cmocka_unit_test(who_may_file),
      cmocka_unit_test(list_applies_the_same_rule),
      cmocka_unit_test(show_applies_the_rule),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
