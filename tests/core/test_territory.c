/* Tests of core/territory.c: import of Haute-Garonne (31) from the real
 * @etalab/decoupage-administratif data, idempotent re-import, the counts of
 * inserted and updated collectivities (on a small hand-written
 * referential), every refusal of the import leaving the base unchanged, and
 * territory_show / territory_kind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "db.h"
#include "err.h"
#include "fixture.h"
#include "progress.h"
#include "territory.h"
#include "user.h"
#include <stdio.h>
#include <string.h>

/* One base with département 31 imported by the first test, shared by all. */
static struct {
  char dir[256];
  struct db *db;
  struct territory_stats first;
} g;

static int group_setup(void **state) {
  (void)state;
  struct user admin;
  const char *deps[] = {"31"};
  user_system(&admin, "test");
  g.db = fixture_db(g.dir);
  if (territory_import(&g.first, g.db, &admin, fixture_referential(), deps, 1, NULL)) {
    fprintf(stderr, "import: %s\n", err_msg());
    return -1;
  }
  return 0;
}

static int group_teardown(void **state) {
  (void)state;
  db_close(g.db);
  fixture_rmdir(g.dir);
  return 0;
}

static void write_file(const char *dir, const char *name, const char *content) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(content, f);
  fclose(f);
}

/* A small referential: two départements, two current communes of 31, a
 * former commune of 31, one commune of 32, and an EPCI in each. */
static void write_small_referential(const char *dir, int agassac_population, const char *agassac_postal) {
  char communes[1024];
  write_file(dir, "departements.json",
             "[{\"code\": \"31\", \"nom\": \"Haute-Garonne\", \"region\": \"76\"},"
             " {\"code\": \"32\", \"nom\": \"Gers\", \"region\": \"76\"}]");
  snprintf(communes, sizeof communes,
           "[{\"code\": \"31001\", \"nom\": \"Agassac\", \"departement\": \"31\", \"type\": \"commune-actuelle\","
           "  \"population\": %d, \"codesPostaux\": [%s], \"siren\": \"213100019\"},"
           " {\"code\": \"31002\", \"nom\": \"Aignes\", \"departement\": \"31\", \"type\": \"commune-actuelle\","
           "  \"population\": 300, \"codesPostaux\": [\"31550\"]},"
           " {\"code\": \"31016\", \"nom\": \"Argut-Dessus\", \"departement\": \"31\", \"type\": \"commune-associee\"},"
           " {\"code\": \"32001\", \"nom\": \"Gersville\", \"departement\": \"32\", \"type\": \"commune-actuelle\","
           "  \"population\": 50}]",
           agassac_population, agassac_postal);
  write_file(dir, "communes.json", communes);
  write_file(dir, "epci.json",
             "[{\"code\": \"200000001\", \"nom\": \"CC des Tests\", \"type\": \"CC\", \"populationTotale\": 415,"
             "  \"membres\": [{\"code\": \"31001\"}, {\"code\": \"31002\"}]},"
             " {\"code\": \"200000002\", \"nom\": \"CC du Gers\", \"type\": \"CC\", \"membres\": [{\"code\": \"32001\"}]}]");
}

static void import_of_31_from_real_data(void **state) {
  (void)state;
  assert_int_equal(g.first.departements, 1);
  assert_int_equal(g.first.communes, 586);
  assert_int_equal(g.first.epcis, 18);
  assert_int_equal(g.first.inserted, 586 + 18);
  assert_int_equal(g.first.updated, 0);
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM collectivity WHERE kind = 'commune'"), 586);
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM collectivity WHERE kind = 'commune' AND departement = '31'"),
                   586);
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM collectivity WHERE kind = 'epci'"), 18);
  /* Every commune of 31 belongs to an imported EPCI. */
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM collectivity c WHERE c.kind = 'commune' AND NOT EXISTS "
                                     "(SELECT 1 FROM collectivity e WHERE e.code = c.epci AND e.kind = 'epci')"),
                   0);
  /* Toulouse, its population and its métropole. */
  assert_true(fixture_int(g.db, "SELECT population FROM collectivity WHERE code = '31555' AND name = 'Toulouse'") >
              400000);
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM collectivity WHERE code = '31555' AND epci = '243100518'"), 1);
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM collectivity WHERE code = '243100518' "
                                     "AND name = 'Toulouse Métropole' AND epci_kind = 'METRO'"),
                   1);
  /* Former communes (associées, déléguées) are not kept. */
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM collectivity WHERE code IN ('31016', '31298')"), 0);
  /* All départements are stored, for their names. */
  assert_true(fixture_int(g.db, "SELECT count(*) FROM departement") > 100);
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM departement WHERE code = '31' AND name = 'Haute-Garonne'"), 1);
  /* One journal event. */
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM event WHERE type = 'territory.imported' AND actor = 'test' "
                                     "AND json_extract(data, '$.communes') = 586 "
                                     "AND json_extract(data, '$.inserted') = 604"),
                   1);
}

static void reimport_is_idempotent(void **state) {
  (void)state;
  struct user admin;
  struct territory_stats st;
  const char *deps[] = {"31"};
  char before[65], after[65];
  user_system(&admin, "test");
  int64_t events = fixture_int(g.db, "SELECT count(*) FROM event");
  fixture_digest_except(g.db, "event", before);
  assert_int_equal(territory_import(&st, g.db, &admin, fixture_referential(), deps, 1, NULL), 0);
  assert_int_equal(st.communes, 586);
  assert_int_equal(st.epcis, 18);
  assert_int_equal(st.inserted, 0);
  assert_int_equal(st.updated, 0);
  fixture_digest_except(g.db, "event", after);
  assert_string_equal(before, after);
  /* Only the journal grew, by this import's event. */
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM event"), events + 1);
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM event WHERE id = (SELECT max(id) FROM event) "
                                     "AND type = 'territory.imported' AND json_extract(data, '$.inserted') = 0 "
                                     "AND json_extract(data, '$.updated') = 0"),
                   1);
}

static void show_commune(void **state) {
  (void)state;
  json_t *o;
  assert_int_equal(territory_show(&o, g.db, "31555"), 0);
  assert_string_equal(json_string_value(json_object_get(o, "code")), "31555");
  assert_string_equal(json_string_value(json_object_get(o, "kind")), "commune");
  assert_string_equal(json_string_value(json_object_get(o, "name")), "Toulouse");
  assert_true(json_integer_value(json_object_get(o, "population")) > 400000);
  assert_string_equal(json_string_value(json_object_get(json_object_get(o, "departement"), "code")), "31");
  assert_string_equal(json_string_value(json_object_get(json_object_get(o, "departement"), "name")), "Haute-Garonne");
  json_t *epci = json_object_get(o, "epci");
  assert_string_equal(json_string_value(json_object_get(epci, "code")), "243100518");
  assert_string_equal(json_string_value(json_object_get(epci, "name")), "Toulouse Métropole");
  assert_string_equal(json_string_value(json_object_get(epci, "kind")), "METRO");
  assert_string_equal(json_string_value(json_object_get(o, "siren")), "213105554");
  json_t *pc = json_object_get(o, "postal_codes");
  assert_true(json_array_size(pc) >= 6);
  assert_string_equal(json_string_value(json_array_get(pc, 0)), "31000"); /* sorted */
  assert_null(json_object_get(o, "members"));
  json_decref(o);
}

static void show_epci(void **state) {
  (void)state;
  json_t *o;
  assert_int_equal(territory_show(&o, g.db, "243100518"), 0);
  assert_string_equal(json_string_value(json_object_get(o, "kind")), "epci");
  assert_string_equal(json_string_value(json_object_get(o, "name")), "Toulouse Métropole");
  assert_string_equal(json_string_value(json_object_get(o, "epci_kind")), "METRO");
  assert_true(json_integer_value(json_object_get(o, "population")) > 800000);
  assert_string_equal(json_string_value(json_object_get(json_object_get(o, "departement"), "code")), "31");
  json_t *members = json_object_get(o, "members");
  assert_int_equal(json_array_size(members), 37);
  assert_int_equal(json_integer_value(json_object_get(o, "member_count")), 37);
  int toulouse = 0, blagnac = 0;
  size_t i;
  json_t *m;
  json_array_foreach(members, i, m) {
    const char *code = json_string_value(json_object_get(m, "code"));
    if (strcmp(code, "31555") == 0) {
      toulouse = 1;
      assert_string_equal(json_string_value(json_object_get(m, "name")), "Toulouse");
      assert_true(json_integer_value(json_object_get(m, "population")) > 400000);
    }
    if (strcmp(code, "31069") == 0) blagnac = 1;
    assert_string_not_equal(code, "31395"); /* Muret is in Le Muretain Agglo */
  }
  assert_true(toulouse && blagnac);
  assert_null(json_object_get(o, "postal_codes"));
  json_decref(o);
  /* An EPCI lying mostly in the Tarn keeps it as its main département and
   * lists only its imported members. */
  assert_int_equal(territory_show(&o, g.db, "200034023"), 0);
  assert_string_equal(json_string_value(json_object_get(json_object_get(o, "departement"), "code")), "81");
  assert_int_equal(json_integer_value(json_object_get(o, "member_count")), 1);
  json_decref(o);
}

static void list_of_epcis(void **state) {
  (void)state;
  json_t *o;
  assert_int_equal(territory_epcis(&o, g.db), 0);
  assert_int_equal((int64_t)json_array_size(o), fixture_int(g.db, "SELECT count(*) FROM collectivity WHERE kind = 'epci'"));
  int toulouse = 0;
  size_t i;
  json_t *e;
  const char *previous = "";
  json_array_foreach(o, i, e) {
    const char *name = json_string_value(json_object_get(e, "name"));
    assert_true(strcmp(previous, name) <= 0); /* by name */
    previous = name;
    if (!strcmp(json_string_value(json_object_get(e, "code")), "243100518")) {
      toulouse = 1;
      assert_string_equal(name, "Toulouse Métropole");
    }
    assert_int_not_equal(strcmp(json_string_value(json_object_get(e, "code")), "31555"), 0); /* communes are not EPCI */
  }
  assert_true(toulouse);
  json_decref(o);
}

static void show_unknown(void **state) {
  (void)state;
  json_t *o = (json_t *)1;
  assert_refused(g.db, territory_show(&o, g.db, "99999"), ERR_NOTFOUND, "code", "99999");
  assert_null(o);
  assert_refused(g.db, territory_show(&o, g.db, "81004"), ERR_NOTFOUND, "code", "81004"); /* Albi: not imported */
}

static void code_of_a_name(void **state) {
  (void)state;
  char code[16];
  assert_int_equal(territory_code_of_name(code, g.db, "toulouse"), 0); /* case ignored */
  assert_string_equal(code, "31555");
  assert_refused(g.db, territory_code_of_name(code, g.db, "Atlantis"), ERR_NOTFOUND, "commune", "aucune commune");
  assert_refused(g.db, territory_code_of_name(code, g.db, ""), ERR_NOTFOUND, "commune", NULL);
  /* Homonyms are listed with their codes, so that one is chosen (an EPCI
   * named like a commune, added here: the Haute-Garonne has no two communes
   * of the same name). */
  assert_int_equal(db_exec(g.db, "INSERT INTO collectivity (code, kind, name, departement) "
                                 "VALUES ('200000001', 'epci', 'Auterive', '31')"),
                   0);
  assert_refused(g.db, territory_code_of_name(code, g.db, "Auterive"), ERR_INVALID, "commune", "Plusieurs");
  assert_non_null(strstr(err_msg(), "Auterive (31033, département 31)"));
  assert_non_null(strstr(err_msg(), "Auterive (200000001, EPCI)"));
  assert_int_equal(db_exec(g.db, "DELETE FROM collectivity WHERE code = '200000001'"), 0);
}

static void kind_of_codes(void **state) {
  (void)state;
  char kind[16];
  assert_int_equal(territory_kind(kind, g.db, "31555"), 0);
  assert_string_equal(kind, "commune");
  assert_int_equal(territory_kind(kind, g.db, "243100518"), 0);
  assert_string_equal(kind, "epci");
  assert_refused(g.db, territory_kind(kind, g.db, "99999"), ERR_NOTFOUND, "collectivity", "99999");
  assert_refused(g.db, territory_kind(kind, g.db, "31016"), ERR_NOTFOUND, "collectivity", "31016");
  assert_refused(g.db, territory_kind(kind, g.db, ""), ERR_NOTFOUND, "collectivity", "collectivité inconnue");
}

static void unknown_departement_is_refused(void **state) {
  (void)state;
  struct user admin;
  struct territory_stats st;
  const char *deps[] = {"31", "999"};
  user_system(&admin, "test");
  assert_refused(g.db, territory_import(&st, g.db, &admin, fixture_referential(), deps, 2, NULL), ERR_INVALID,
                 "departement", "999");
  assert_int_equal(st.communes, 0);
  assert_int_equal(st.inserted, 0);
}

static void non_admin_may_not_import(void **state) {
  (void)state;
  struct user coord;
  struct territory_stats st;
  const char *deps[] = {"31"};
  user_system(&coord, "coordination@appui.example");
  coord.role = ROLE_COORDINATOR;
  assert_refused(g.db, territory_import(&st, g.db, &coord, fixture_referential(), deps, 1, NULL), ERR_FORBIDDEN, NULL,
                 "administration");
}

/* Runs an import of 31 from `dir` on the shared base and asserts it is
 * refused with `code`, a message containing `needle`, and no change. */
static void expect_bad_source(const char *dir, int code, const char *needle) {
  struct user admin;
  struct territory_stats st;
  const char *deps[] = {"31"};
  user_system(&admin, "test");
  assert_refused(g.db, territory_import(&st, g.db, &admin, dir, deps, 1, NULL), code, "source", needle);
}

static void missing_source_is_refused(void **state) {
  (void)state;
  char dir[256], sub[300];
  fixture_dir(dir);
  snprintf(sub, sizeof sub, "%s/absent", dir);
  expect_bad_source(sub, ERR_IO, "departements.json");
  /* A directory with only some of the files. */
  write_file(dir, "departements.json", "[{\"code\": \"31\", \"nom\": \"Haute-Garonne\", \"region\": \"76\"}]");
  expect_bad_source(dir, ERR_IO, "communes.json");
  write_file(dir, "communes.json", "[]");
  expect_bad_source(dir, ERR_IO, "epci.json");
  fixture_rmdir(dir);
}

static void malformed_source_is_refused(void **state) {
  (void)state;
  char dir[256];
  fixture_dir(dir);
  write_small_referential(dir, 115, "\"31230\"");
  /* Not JSON. */
  write_file(dir, "departements.json", "[{\"code\": \"31\",");
  expect_bad_source(dir, ERR_MALFORMED, "departements.json");
  write_file(dir, "departements.json", "");
  expect_bad_source(dir, ERR_MALFORMED, "departements.json");
  /* JSON, but not an array. */
  write_file(dir, "departements.json", "{\"31\": \"Haute-Garonne\"}");
  expect_bad_source(dir, ERR_MALFORMED, "tableau");
  /* An element without its name. */
  write_file(dir, "departements.json", "[{\"code\": \"31\", \"region\": \"76\"}]");
  expect_bad_source(dir, ERR_MALFORMED, "departements.json : élément 0");
  write_small_referential(dir, 115, "\"31230\"");
  write_file(dir, "communes.json", "[{\"code\": \"31001\", \"nom\": \"Agassac\", \"departement\": \"31\", "
                                   "\"type\": \"commune-actuelle\"}, {\"nom\": \"Sans code\", \"type\": \"commune-actuelle\"}]");
  expect_bad_source(dir, ERR_MALFORMED, "communes.json : élément 1");
  write_small_referential(dir, 115, "\"31230\"");
  write_file(dir, "epci.json", "[{\"code\": \"200000001\", \"nom\": \"CC des Tests\", \"type\": \"CC\"}]");
  expect_bad_source(dir, ERR_MALFORMED, "epci.json : élément 0");
  write_small_referential(dir, 115, "\"31230\"");
  write_file(dir, "epci.json", "[1, 2]");
  expect_bad_source(dir, ERR_MALFORMED, "epci.json");
  /* Values the store refuses are a malformed file too, named. */
  write_small_referential(dir, -1, "\"31230\"");
  expect_bad_source(dir, ERR_MALFORMED, "communes.json");
  /* An EPCI of an unknown legal kind is refused by the store. */
  write_small_referential(dir, 115, "\"31230\"");
  write_file(dir, "epci.json", "[{\"code\": \"200000001\", \"nom\": \"CC des Tests\", \"type\": \"XYZ\","
                               " \"membres\": [{\"code\": \"31001\"}]}]");
  expect_bad_source(dir, ERR_MALFORMED, "epci.json");
  fixture_rmdir(dir);
}

struct seen {
  int calls;
  int64_t last_done, last_total;
  char last_label[64];
};

static void on_progress(void *ctx, const char *label, int64_t done, int64_t total) {
  struct seen *s = ctx;
  s->calls++;
  s->last_done = done;
  s->last_total = total;
  snprintf(s->last_label, sizeof s->last_label, "%s", label);
}

static void counts_inserted_and_updated(void **state) {
  (void)state;
  char ref[256], dir[256], before[65], after[65];
  struct user admin;
  struct territory_stats st;
  const char *deps[] = {"31"};
  struct seen seen = {0, 0, 0, ""};
  struct progress p = {on_progress, &seen};
  user_system(&admin, "test");
  fixture_dir(ref);
  struct db *db = fixture_db(dir);
  write_small_referential(ref, 115, "\"31230\"");
  assert_int_equal(territory_import(&st, db, &admin, ref, deps, 1, &p), 0);
  assert_int_equal(st.departements, 1);
  assert_int_equal(st.communes, 2);
  assert_int_equal(st.epcis, 1);
  assert_int_equal(st.inserted, 3);
  assert_int_equal(st.updated, 0);
  assert_true(seen.calls >= 2);
  assert_string_equal(seen.last_label, "Communes");
  assert_int_equal(seen.last_done, 2);
  assert_int_equal(seen.last_total, 2);
  /* Only current communes of the chosen département, and their EPCI. */
  assert_int_equal(fixture_int(db, "SELECT count(*) FROM collectivity"), 3);
  assert_int_equal(fixture_int(db, "SELECT count(*) FROM collectivity WHERE code IN ('31016', '32001', '200000002')"), 0);
  assert_int_equal(fixture_int(db, "SELECT count(*) FROM collectivity WHERE code = '31001' AND epci = '200000001' "
                                   "AND population = 115 AND siren = '213100019'"),
                   1);
  assert_int_equal(fixture_int(db, "SELECT count(*) FROM postal_code WHERE commune = '31001'"), 1);
  /* Unchanged data: nothing inserted or updated. */
  fixture_digest_except(db, "event", before);
  assert_int_equal(territory_import(&st, db, &admin, ref, deps, 1, NULL), 0);
  assert_int_equal(st.inserted, 0);
  assert_int_equal(st.updated, 0);
  fixture_digest_except(db, "event", after);
  assert_string_equal(before, after);
  /* A new population and a new postal code: one commune updated, codes replaced. */
  write_small_referential(ref, 120, "\"31230\", \"31231\"");
  assert_int_equal(territory_import(&st, db, &admin, ref, deps, 1, NULL), 0);
  assert_int_equal(st.inserted, 0);
  assert_int_equal(st.updated, 1);
  assert_int_equal(fixture_int(db, "SELECT population FROM collectivity WHERE code = '31001'"), 120);
  assert_int_equal(fixture_int(db, "SELECT count(*) FROM postal_code WHERE commune = '31001'"), 2);
  write_small_referential(ref, 120, "\"31231\"");
  assert_int_equal(territory_import(&st, db, &admin, ref, deps, 1, NULL), 0);
  assert_int_equal(st.updated, 0);
  assert_int_equal(fixture_int(db, "SELECT count(*) FROM postal_code WHERE commune = '31001' AND code = '31231'"), 1);
  assert_int_equal(fixture_int(db, "SELECT count(*) FROM postal_code WHERE commune = '31001'"), 1);
  db_close(db);
  fixture_rmdir(dir);
  fixture_rmdir(ref);
}

static void several_or_all_departements(void **state) {
  (void)state;
  char ref[256], dir[256];
  struct user admin;
  struct territory_stats st;
  const char *both[] = {"31", "32"};
  user_system(&admin, "test");
  fixture_dir(ref);
  write_small_referential(ref, 115, "\"31230\"");
  struct db *db = fixture_db(dir);
  assert_int_equal(territory_import(&st, db, &admin, ref, both, 2, NULL), 0);
  assert_int_equal(st.departements, 2);
  assert_int_equal(st.communes, 3);
  assert_int_equal(st.epcis, 2);
  assert_int_equal(st.inserted, 5);
  assert_int_equal(fixture_int(db, "SELECT count(*) FROM collectivity WHERE code = '32001' AND epci = '200000002' "
                                   "AND departement = '32'"),
                   1);
  db_close(db);
  fixture_rmdir(dir);
  /* n == 0: all of France (here, of the small referential). */
  db = fixture_db(dir);
  assert_int_equal(territory_import(&st, db, &admin, ref, NULL, 0, NULL), 0);
  assert_int_equal(st.departements, 2);
  assert_int_equal(st.communes, 3);
  assert_int_equal(st.inserted, 5);
  assert_int_equal(fixture_int(db, "SELECT count(*) FROM event WHERE type = 'territory.imported' "
                                   "AND json_extract(data, '$.departements') = 'toutes'"),
                   1);
  db_close(db);
  fixture_rmdir(dir);
  fixture_rmdir(ref);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(import_of_31_from_real_data),
      cmocka_unit_test(reimport_is_idempotent),
      cmocka_unit_test(show_commune),
      cmocka_unit_test(show_epci),
      cmocka_unit_test(list_of_epcis),
      cmocka_unit_test(show_unknown),
      cmocka_unit_test(kind_of_codes),
      cmocka_unit_test(unknown_departement_is_refused),
      cmocka_unit_test(non_admin_may_not_import),
      cmocka_unit_test(missing_source_is_refused),
      cmocka_unit_test(malformed_source_is_refused),
      cmocka_unit_test(code_of_a_name),
      cmocka_unit_test(counts_inserted_and_updated),
      cmocka_unit_test(several_or_all_departements),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
