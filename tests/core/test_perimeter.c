/* Tests of core/perimeter.c: resolving "kind:ref" specifications (and the
 * refusal of bad ones and of unknown targets), creating ad-hoc perimeters,
 * containment for each kind of perimeter, and the listing. Runs on
 * Haute-Garonne imported once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "db.h"
#include "err.h"
#include "fixture.h"
#include "perimeter.h"
#include "user.h"
#include <stdio.h>
#include <string.h>

static struct {
  char dir[256];
  struct db *db;
  struct user admin;
} g;

static int group_setup(void **state) {
  (void)state;
  g.db = fixture_db(g.dir);
  fixture_territory(g.db);
  user_system(&g.admin, "test");
  return 0;
}

static int group_teardown(void **state) {
  (void)state;
  db_close(g.db);
  fixture_rmdir(g.dir);
  return 0;
}

/* perimeter_resolve() in its own committed transaction, as callers do. */
static int resolve(int64_t *id, const char *spec) {
  int rc = db_begin(g.db);
  if (rc) return rc;
  rc = perimeter_resolve(id, g.db, spec, "perimeter");
  if (rc) {
    db_rollback(g.db);
    return rc;
  }
  return db_commit(g.db);
}

/* Same, committing even after a refusal: proves the refusal wrote nothing. */
static int resolve_commit_anyway(const char *spec) {
  int64_t id;
  assert_int_equal(db_begin(g.db), 0);
  int rc = perimeter_resolve(&id, g.db, spec, "perimeter");
  char msg[512], field[64];
  snprintf(msg, sizeof msg, "%s", err_msg());
  snprintf(field, sizeof field, "%s", err_field());
  assert_int_equal(db_commit(g.db), 0);
  err_set(rc, field, "%s", msg);
  return rc;
}

static int contains(int64_t id, const char *commune) {
  int inside = -1;
  int rc = perimeter_contains(&inside, g.db, id, commune);
  if (rc) fail_msg("perimeter_contains(%lld, %s): %s", (long long)id, commune, err_msg());
  assert_true(inside == 0 || inside == 1);
  return inside;
}

static void expect_json(int64_t id, const char *spec, const char *kind, const char *ref, const char *name) {
  int rc = -1;
  json_t *o = perimeter_to_json(g.db, id, &rc);
  assert_int_equal(rc, 0);
  assert_non_null(o);
  assert_string_equal(json_string_value(json_object_get(o, "spec")), spec);
  assert_string_equal(json_string_value(json_object_get(o, "kind")), kind);
  assert_string_equal(json_string_value(json_object_get(o, "ref")), ref);
  assert_string_equal(json_string_value(json_object_get(o, "name")), name);
  json_decref(o);
}

static void resolve_creates_once(void **state) {
  (void)state;
  int64_t dep, dep2, epci, commune, commune2;
  int64_t before = fixture_int(g.db, "SELECT count(*) FROM perimeter");
  assert_int_equal(resolve(&dep, "departement:31"), 0);
  assert_int_equal(resolve(&epci, "epci:243100518"), 0);
  assert_int_equal(resolve(&commune, "commune:31555"), 0);
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM perimeter"), before + 3);
  assert_true(dep != epci && epci != commune && dep != commune);
  /* The same spec again finds the same row. */
  char d1[65], d2[65];
  fixture_digest(g.db, d1);
  assert_int_equal(resolve(&dep2, "departement:31"), 0);
  assert_int_equal(resolve(&commune2, "commune:31555"), 0);
  fixture_digest(g.db, d2);
  assert_string_equal(d1, d2);
  assert_int_equal(dep2, dep);
  assert_int_equal(commune2, commune);
  expect_json(dep, "departement:31", "departement", "31", "Haute-Garonne");
  expect_json(epci, "epci:243100518", "epci", "243100518", "Toulouse Métropole");
  expect_json(commune, "commune:31555", "commune", "31555", "Toulouse");
}

static void bad_specs_are_invalid(void **state) {
  (void)state;
  static const char *const bad[] = {"", "31", ":31", "departement:", "departement", "region:76", "arrondissement:313",
                                    "Departement:31", "tres-long-type-de-perimetre:31"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_refused(g.db, resolve_commit_anyway(bad[i]), ERR_INVALID, "perimeter", "périmètre");
  assert_refused(g.db, resolve_commit_anyway("region:76"), ERR_INVALID, "perimeter", "region");
  assert_refused(g.db, resolve_commit_anyway("31"), ERR_INVALID, "perimeter", "« 31 »");
  int64_t id;
  assert_int_equal(db_begin(g.db), 0);
  assert_int_equal(perimeter_resolve(&id, g.db, NULL, "perimeter"), ERR_INVALID);
  db_rollback(g.db);
  /* The field named is the caller's. */
  assert_int_equal(db_begin(g.db), 0);
  assert_int_equal(perimeter_resolve(&id, g.db, "nowhere", "offer.perimeter"), ERR_INVALID);
  assert_string_equal(err_field(), "offer.perimeter");
  db_rollback(g.db);
}

static void unknown_targets_are_not_found(void **state) {
  (void)state;
  static const char *const specs[] = {
      "departement:99",        "departement:3",  "epci:123456789", "epci:31555" /* a commune */,
      "commune:99999",         "commune:243100518" /* an EPCI */,  "commune:81004" /* not imported */,
      "commune:31016" /* former commune */,      "adhoc:inconnu",
  };
  for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
    const char *ref = strchr(specs[i], ':') + 1;
    assert_refused(g.db, resolve_commit_anyway(specs[i]), ERR_NOTFOUND, "perimeter", ref);
  }
}

static void create_adhoc(void **state) {
  (void)state;
  const char *codes[] = {"31001", "31069", "31395"};
  int64_t id, found;
  int64_t events = fixture_int(g.db, "SELECT count(*) FROM event WHERE type = 'perimeter.created'");
  assert_int_equal(perimeter_create(&id, g.db, &g.admin, "sivom-test", "SIVOM de test", codes, 3), 0);
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM event WHERE type = 'perimeter.created'"), events + 1);
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM event WHERE type = 'perimeter.created' "
                                     "AND json_extract(data, '$.slug') = 'sivom-test' "
                                     "AND json_array_length(data, '$.communes') = 3"),
                   1);
  expect_json(id, "adhoc:sivom-test", "adhoc", "sivom-test", "SIVOM de test");
  assert_int_equal(resolve(&found, "adhoc:sivom-test"), 0);
  assert_int_equal(found, id);
  /* A coordinator may create one too. */
  struct user coord = g.admin;
  coord.role = ROLE_COORDINATOR;
  const char *one[] = {"31555"};
  assert_int_equal(perimeter_create(&id, g.db, &coord, "toulouse-seule", "Toulouse seule", one, 1), 0);
}

static void create_refusals(void **state) {
  (void)state;
  const char *codes[] = {"31001", "31069"};
  const char *with_unknown[] = {"31001", "99999", "31069"};
  const char *with_epci[] = {"31001", "243100518"};
  int64_t id = 0;
  struct user requester = g.admin, agent = g.admin;
  requester.role = ROLE_REQUESTER;
  agent.role = ROLE_AGENT;
  assert_refused(g.db, perimeter_create(&id, g.db, &g.admin, "Pas Un Slug", "X", codes, 2), ERR_INVALID, "slug",
                 "Pas Un Slug");
  assert_refused(g.db, perimeter_create(&id, g.db, &g.admin, "a", "X", codes, 2), ERR_INVALID, "slug", "« a »");
  assert_refused(g.db, perimeter_create(&id, g.db, &g.admin, NULL, "X", codes, 2), ERR_INVALID, "slug", "identifiant");
  assert_refused(g.db, perimeter_create(&id, g.db, &g.admin, "sans-nom", "  ", codes, 2), ERR_INVALID, "name", "nom");
  assert_refused(g.db, perimeter_create(&id, g.db, &g.admin, "sans-nom", NULL, codes, 2), ERR_INVALID, "name", "nom");
  assert_refused(g.db, perimeter_create(&id, g.db, &g.admin, "vide", "Vide", codes, 0), ERR_INVALID, "communes",
                 "au moins une commune");
  assert_refused(g.db, perimeter_create(&id, g.db, &g.admin, "inconnue", "Inconnue", with_unknown, 3), ERR_NOTFOUND,
                 "communes", "99999");
  assert_refused(g.db, perimeter_create(&id, g.db, &g.admin, "avec-epci", "Avec EPCI", with_epci, 2), ERR_NOTFOUND,
                 "communes", "243100518");
  assert_refused(g.db, perimeter_create(&id, g.db, &g.admin, "sivom-test", "Encore", codes, 2), ERR_CONFLICT, "slug",
                 "sivom-test");
  assert_refused(g.db, perimeter_create(&id, g.db, &requester, "par-demandeur", "X", codes, 2), ERR_FORBIDDEN, NULL,
                 "périmètres");
  assert_refused(g.db, perimeter_create(&id, g.db, &agent, "par-agent", "X", codes, 2), ERR_FORBIDDEN, NULL,
                 "périmètres");
  assert_int_equal(id, 0);
  /* The refused slugs are still free. */
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM perimeter WHERE ref IN ('inconnue', 'avec-epci', "
                                     "'par-demandeur', 'par-agent', 'vide', 'sans-nom')"),
                   0);
}

static void contains_each_kind(void **state) {
  (void)state;
  int64_t dep, epci, commune, adhoc;
  assert_int_equal(resolve(&dep, "departement:31"), 0);
  assert_int_equal(resolve(&epci, "epci:243100518"), 0);
  assert_int_equal(resolve(&commune, "commune:31555"), 0);
  assert_int_equal(resolve(&adhoc, "adhoc:sivom-test"), 0);
  /* Département: any commune of 31, nothing else. */
  assert_int_equal(contains(dep, "31555"), 1);
  assert_int_equal(contains(dep, "31001"), 1);
  assert_int_equal(contains(dep, "81004"), 0);
  assert_int_equal(contains(dep, "243100518"), 0); /* an EPCI is not a commune */
  assert_int_equal(contains(dep, "99999"), 0);
  /* EPCI: its members only. */
  assert_int_equal(contains(epci, "31555"), 1);
  assert_int_equal(contains(epci, "31069"), 1); /* Blagnac */
  assert_int_equal(contains(epci, "31395"), 0); /* Muret */
  assert_int_equal(contains(epci, "31001"), 0); /* Agassac */
  assert_int_equal(contains(epci, "243100518"), 0);
  /* Commune: itself. */
  assert_int_equal(contains(commune, "31555"), 1);
  assert_int_equal(contains(commune, "31069"), 0);
  /* Ad hoc: its list. */
  assert_int_equal(contains(adhoc, "31001"), 1);
  assert_int_equal(contains(adhoc, "31069"), 1);
  assert_int_equal(contains(adhoc, "31395"), 1);
  assert_int_equal(contains(adhoc, "31555"), 0);
  assert_int_equal(contains(adhoc, "99999"), 0);
  /* Unknown perimeter. */
  int inside = 7;
  assert_refused(g.db, perimeter_contains(&inside, g.db, 999999, "31555"), ERR_NOTFOUND, NULL, "999999");
  assert_int_equal(inside, 0);
  int rc = 0;
  assert_null(perimeter_to_json(g.db, 999999, &rc));
  assert_int_equal(rc, ERR_NOTFOUND);
}

static void list_with_counts(void **state) {
  (void)state;
  json_t *list;
  assert_int_equal(perimeter_list(&list, g.db), 0);
  int seen = 0;
  size_t i;
  json_t *p;
  json_array_foreach(list, i, p) {
    const char *spec = json_string_value(json_object_get(p, "spec"));
    json_int_t n = json_integer_value(json_object_get(p, "communes"));
    if (strcmp(spec, "departement:31") == 0) seen++, assert_int_equal(n, 586);
    if (strcmp(spec, "epci:243100518") == 0) seen++, assert_int_equal(n, 37);
    if (strcmp(spec, "commune:31555") == 0) seen++, assert_int_equal(n, 1);
    if (strcmp(spec, "adhoc:sivom-test") == 0) {
      seen++;
      assert_int_equal(n, 3);
      assert_string_equal(json_string_value(json_object_get(p, "name")), "SIVOM de test");
    }
  }
  assert_int_equal(seen, 4);
  assert_int_equal(json_array_size(list), fixture_int(g.db, "SELECT count(*) FROM perimeter"));
  json_decref(list);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(resolve_creates_once),
      cmocka_unit_test(bad_specs_are_invalid),
      cmocka_unit_test(unknown_targets_are_not_found),
      cmocka_unit_test(create_adhoc),
      cmocka_unit_test(create_refusals),
      cmocka_unit_test(contains_each_kind),
      cmocka_unit_test(list_with_counts),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
