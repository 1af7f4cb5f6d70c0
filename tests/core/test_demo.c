/* Tests of core/demo.c: on a fresh base, demo_create() imports
 * Haute-Garonne and creates the catalogue, memberships, one account per role
 * (whose shown passwords work) and the demo requests; a second call does
 * nothing and changes nothing; a run that fails on the referential leaves
 * the base as it was. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "db.h"
#include "demo.h"
#include "err.h"
#include "fixture.h"
#include "progress.h"
#include "user.h"
#include <stdio.h>
#include <string.h>

static void count_calls(void *ctx, const char *label, int64_t done, int64_t total) {
  (void)label;
  (void)done;
  (void)total;
  (*(int *)ctx)++;
}

static void creates_then_does_nothing(void **state) {
  (void)state;
  char dir[256];
  struct db *db = fixture_db(dir);
  struct demo_result r;
  int calls = 0;
  struct progress p = {count_calls, &calls};
  assert_int_equal(demo_create(&r, db, fixture_referential(), &p), 0);
  assert_int_equal(r.created, 1);
  assert_true(calls > 0);
  /* The territory. */
  /* Haute-Garonne (586 communes), and the Gers next to it, outside every
   * perimeter of the demo's offers (458). */
  assert_int_equal(r.territory.communes, 586 + 458);
  assert_int_equal(fixture_int(db, "SELECT count(*) FROM collectivity WHERE kind = 'commune' AND departement = '31'"), 586);
  assert_int_equal(fixture_int(db, "SELECT count(*) FROM collectivity WHERE kind = 'commune' AND departement = '32'"), 458);
  /* Memberships of the agence technique stay within Haute-Garonne. */
  assert_int_equal(fixture_int(db, "SELECT count(*) FROM membership m JOIN collectivity c ON c.code = m.collectivity "
                                   "JOIN org g ON g.id = m.org WHERE g.slug = 'atd31' AND c.departement <> '31'"),
                   0);
  /* The catalogue, as counted and as stored. */
  assert_true(r.orgs >= 5);
  assert_true(r.offers >= 5);
  assert_true(r.memberships > 0);
  assert_int_equal(fixture_int(db, "SELECT count(*) FROM org"), r.orgs);
  assert_int_equal(fixture_int(db, "SELECT count(*) FROM offer"), r.offers);
  assert_int_equal(fixture_int(db, "SELECT count(*) FROM membership"), r.memberships);
  assert_true(fixture_int(db, "SELECT count(DISTINCT o.kind) FROM org o") >= 2);
  /* Every offer has a theme; every request too. */
  assert_int_equal(fixture_int(db, "SELECT count(*) FROM offer f WHERE NOT EXISTS "
                                   "(SELECT 1 FROM offer_theme t WHERE t.offer = f.id)"),
                   0);
  /* One account per role at least, with its password shown once. */
  assert_true(r.n_accounts >= 5);
  assert_int_equal(fixture_int(db, "SELECT count(*) FROM user"), r.n_accounts);
  assert_int_equal(fixture_int(db, "SELECT count(DISTINCT role) FROM user"), 5);
  assert_int_equal(fixture_int(db, "SELECT count(*) FROM user WHERE password_hash IS NULL"), 0);
  int admin = -1, requester = -1;
  for (int i = 0; i < r.n_accounts; i++) {
    assert_true(strlen(r.accounts[i].password) >= USER_PASSWORD_MIN);
    enum role role;
    assert_int_equal(user_role_parse(&role, r.accounts[i].role), 0);
    if (role == ROLE_ADMIN) admin = i;
    if (role == ROLE_REQUESTER) requester = i;
    for (int j = 0; j < i; j++) assert_string_not_equal(r.accounts[i].password, r.accounts[j].password);
  }
  assert_true(admin >= 0 && requester >= 0);
  struct user u;
  assert_int_equal(user_login(&u, db, r.accounts[requester].email, r.accounts[requester].password), 0);
  assert_int_equal(u.role, ROLE_REQUESTER);
  assert_true(u.collectivity[0] != 0);
  /* The passwords are not stored as such. */
  char sql[256];
  snprintf(sql, sizeof sql, "SELECT count(*) FROM user WHERE instr(password_hash, '%s') > 0",
           r.accounts[admin].password);
  assert_int_equal(fixture_int(db, sql), 0);
  /* The requests, filed for imported collectivities, each journaled. */
  assert_true(r.requests >= 10);
  assert_int_equal(fixture_int(db, "SELECT count(*) FROM request"), r.requests);
  assert_int_equal(fixture_int(db, "SELECT count(*) FROM request r WHERE NOT EXISTS "
                                   "(SELECT 1 FROM collectivity c WHERE c.code = r.collectivity)"),
                   0);
  assert_int_equal(fixture_int(db, "SELECT count(*) FROM request r WHERE NOT EXISTS "
                                   "(SELECT 1 FROM request_theme t WHERE t.request = r.id)"),
                   0);
  assert_int_equal(fixture_int(db, "SELECT count(*) FROM event WHERE type = 'request.filed'"), r.requests);
  assert_true(fixture_int(db, "SELECT count(*) FROM message") > 0);
  assert_int_equal(fixture_int(db, "SELECT count(*) FROM setting WHERE key = 'demo.created_at'"), 1);
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM event WHERE type = 'demo.created' AND json_extract(data, '$.requests') = %lld",
           (long long)r.requests);
  assert_int_equal(fixture_int(db, sql), 1);

  /* Again: nothing created, nothing changed. */
  char before[65], after[65];
  fixture_digest(db, before);
  calls = 0;
  assert_int_equal(demo_create(&r, db, fixture_referential(), &p), 0);
  fixture_digest(db, after);
  assert_string_equal(before, after);
  assert_int_equal(r.created, 0);
  assert_int_equal(r.n_accounts, 0);
  assert_int_equal(r.orgs, 0);
  assert_int_equal(r.offers, 0);
  assert_int_equal(r.memberships, 0);
  assert_int_equal(r.requests, 0);
  assert_int_equal(r.territory.communes, 0);
  db_close(db);
  fixture_rmdir(dir);
}

static void failed_run_changes_nothing(void **state) {
  (void)state;
  char dir[256], missing[320];
  struct db *db = fixture_db(dir);
  struct demo_result r;
  /* Without its referential, the run stops before creating anything: the
   * base is still a fresh one, on which a later run creates everything (as
   * the test above shows). */
  snprintf(missing, sizeof missing, "%s/pas-de-referentiel", dir);
  assert_refused(db, demo_create(&r, db, missing, NULL), ERR_IO, NULL, "pas-de-referentiel");
  assert_int_equal(r.created, 0);
  assert_int_equal(r.n_accounts, 0);
  assert_int_equal(fixture_int(db, "SELECT count(*) FROM setting"), 0);
  db_close(db);
  fixture_rmdir(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(creates_then_does_nothing),
      cmocka_unit_test(failed_run_changes_nothing),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
