/* Tests of core/user.c: accounts per role with their binding rules
 * (requester → collectivity, agent/head → org), refusals, case-insensitive
 * e-mails, password login (same answer for an unknown account and a wrong
 * password), password change, API tokens (only their digest is stored;
 * wrong, revoked or malformed tokens are refused). Argon2id hashes are slow
 * by design: this file computes about ten of them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "catalog.h"
#include "db.h"
#include "err.h"
#include "fixture.h"
#include "user.h"
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PASSWORD "correct horse battery"

static struct {
  char dir[256];
  struct db *db;
  struct user admin;
  int64_t atd31;
} g;

static int group_setup(void **state) {
  (void)state;
  g.db = fixture_db(g.dir);
  fixture_territory(g.db);
  user_system(&g.admin, "test");
  struct catalog_org_new o = {"atd31", "ATD 31", "satellite", NULL, NULL, NULL, -1};
  if (catalog_org_add(&g.atd31, g.db, &g.admin, &o)) return -1;
  return 0;
}

static int group_teardown(void **state) {
  (void)state;
  db_close(g.db);
  fixture_rmdir(g.dir);
  return 0;
}

static struct user_new account(const char *email, const char *role, const char *coll, const char *org) {
  struct user_new n = {email, "Camille Martin", role, coll, org, NULL};
  return n;
}

/* Number of rows of `sql` with one text parameter. */
static int64_t count_with(const char *sql, const char *param) {
  sqlite3_stmt *st;
  int64_t n = -1;
  assert_int_equal(sqlite3_prepare_v2(db_sqlite(g.db), sql, -1, &st, NULL), SQLITE_OK);
  sqlite3_bind_text(st, 1, param, -1, SQLITE_TRANSIENT);
  if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return n;
}

static void roles(void **state) {
  (void)state;
  static const char *const names[] = {"requester", "agent", "head", "coordinator", "admin"};
  for (int i = 0; i < 5; i++) {
    enum role r;
    assert_int_equal(user_role_parse(&r, names[i]), 0);
    assert_string_equal(user_role_name(r), names[i]);
    assert_true(strlen(user_role_label(r)) > 0);
  }
  assert_string_equal(user_role_label(ROLE_REQUESTER), "Demandeur");
  enum role r;
  err_clear();
  assert_int_equal(user_role_parse(&r, "maire"), ERR_INVALID);
  assert_string_equal(err_field(), "role");
  assert_non_null(strstr(err_msg(), "maire"));
  assert_int_equal(user_role_parse(&r, NULL), ERR_INVALID);
  struct user sys;
  user_system(&sys, "cli");
  assert_int_equal(sys.role, ROLE_ADMIN);
  assert_int_equal(sys.id, 0);
  assert_string_equal(sys.email, "cli");
  /* Coordination and administration coordinate; the others do not. */
  static const int coordinates[] = {0, 0, 0, 1, 1};
  for (int i = 0; i < 5; i++) {
    struct user u = {0};
    assert_int_equal(user_role_parse(&u.role, names[i]), 0);
    assert_int_equal(user_coordinates(&u), coordinates[i]);
  }
}

static void add_each_role(void **state) {
  (void)state;
  int64_t id;
  struct user u;
  struct user_new n = account("maire@agassac.example", "requester", "31001", NULL);
  assert_int_equal(user_add(&id, g.db, &g.admin, &n), 0);
  assert_int_equal(user_get(&u, g.db, id), 0);
  assert_int_equal(u.role, ROLE_REQUESTER);
  assert_string_equal(u.collectivity, "31001");
  assert_int_equal(u.org, 0);
  assert_string_equal(u.name, "Camille Martin");
  /* An EPCI's agent files for the EPCI. */
  n = account("dgs@toulouse-metropole.example", "requester", "243100518", NULL);
  assert_int_equal(user_add(&id, g.db, &g.admin, &n), 0);
  n = account("agent.atd31@appui.example", "agent", NULL, "atd31");
  assert_int_equal(user_add(&id, g.db, &g.admin, &n), 0);
  assert_int_equal(user_get(&u, g.db, id), 0);
  assert_int_equal(u.role, ROLE_AGENT);
  assert_int_equal(u.org, g.atd31);
  assert_string_equal(u.org_slug, "atd31");
  assert_string_equal(u.collectivity, "");
  n = account("chef.atd31@appui.example", "head", NULL, "atd31");
  assert_int_equal(user_add(&id, g.db, &g.admin, &n), 0);
  assert_int_equal(user_get(&u, g.db, id), 0);
  assert_int_equal(u.role, ROLE_HEAD);
  assert_string_equal(u.org_slug, "atd31");
  n = account("coordination@appui.example", "coordinator", NULL, NULL);
  assert_int_equal(user_add(&id, g.db, &g.admin, &n), 0);
  n = account("admin@appui.example", "admin", NULL, NULL);
  assert_int_equal(user_add(&id, g.db, &g.admin, &n), 0);
  assert_int_equal(user_get(&u, g.db, id), 0);
  assert_int_equal(u.role, ROLE_ADMIN);
  assert_int_equal(u.org, 0);
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM event WHERE type = 'user.created'"), 6);
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM event WHERE type = 'user.created' "
                                     "AND json_extract(data, '$.email') = 'agent.atd31@appui.example' "
                                     "AND json_extract(data, '$.role') = 'agent' "
                                     "AND json_extract(data, '$.org') = 'atd31'"),
                   1);
  /* Accounts created without a password cannot log in with one. */
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM user WHERE password_hash IS NOT NULL"), 0);
  /* Found by e-mail regardless of case. */
  assert_int_equal(user_get_by_email(&u, g.db, "MAIRE@Agassac.EXAMPLE"), 0);
  assert_string_equal(u.email, "maire@agassac.example");
}

static void add_refusals(void **state) {
  (void)state;
  int64_t id = 0;
  struct user_new n;
  struct user coord = g.admin;
  coord.role = ROLE_COORDINATOR;
  /* Role and binding rules. */
  n = account("adjoint@agassac.example", "requester", NULL, NULL);
  assert_refused(g.db, user_add(&id, g.db, &g.admin, &n), ERR_INVALID, "collectivity", "collectivité");
  n = account("adjoint@agassac.example", "requester", "31001", "atd31");
  assert_refused(g.db, user_add(&id, g.db, &g.admin, &n), ERR_INVALID, "org", "structure");
  n = account("agent2@appui.example", "agent", NULL, NULL);
  assert_refused(g.db, user_add(&id, g.db, &g.admin, &n), ERR_INVALID, "org", "structure");
  n = account("chef2@appui.example", "head", NULL, NULL);
  assert_refused(g.db, user_add(&id, g.db, &g.admin, &n), ERR_INVALID, "org", "structure");
  n = account("agent2@appui.example", "agent", "31001", "atd31");
  assert_refused(g.db, user_add(&id, g.db, &g.admin, &n), ERR_INVALID, "collectivity", "demandeur");
  n = account("coord2@appui.example", "coordinator", NULL, "atd31");
  assert_refused(g.db, user_add(&id, g.db, &g.admin, &n), ERR_INVALID, "org", "structure");
  n = account("admin2@appui.example", "admin", "31001", NULL);
  assert_refused(g.db, user_add(&id, g.db, &g.admin, &n), ERR_INVALID, "collectivity", "collectivité");
  n = account("x@appui.example", "maire", NULL, NULL);
  assert_refused(g.db, user_add(&id, g.db, &g.admin, &n), ERR_INVALID, "role", "maire");
  n = account("x@appui.example", NULL, NULL, NULL);
  assert_refused(g.db, user_add(&id, g.db, &g.admin, &n), ERR_INVALID, "role", "rôle");
  /* Unknown collectivity or org. */
  n = account("maire@inconnue.example", "requester", "99999", NULL);
  assert_refused(g.db, user_add(&id, g.db, &g.admin, &n), ERR_NOTFOUND, "collectivity", "99999");
  n = account("agent@inconnue.example", "agent", NULL, "structure-inconnue");
  assert_refused(g.db, user_add(&id, g.db, &g.admin, &n), ERR_NOTFOUND, "org", "structure-inconnue");
  /* E-mail and name. */
  n = account("pas-une-adresse", "coordinator", NULL, NULL);
  assert_refused(g.db, user_add(&id, g.db, &g.admin, &n), ERR_INVALID, "email", "pas-une-adresse");
  n = account(NULL, "coordinator", NULL, NULL);
  assert_refused(g.db, user_add(&id, g.db, &g.admin, &n), ERR_INVALID, "email", "e-mail");
  n = account("nom@appui.example", "coordinator", NULL, NULL);
  n.name = "   ";
  assert_refused(g.db, user_add(&id, g.db, &g.admin, &n), ERR_INVALID, "name", "nom");
  /* The same e-mail in another case is the same account. */
  n = account("Maire@AGASSAC.example", "requester", "31001", NULL);
  assert_refused(g.db, user_add(&id, g.db, &g.admin, &n), ERR_CONFLICT, "email", "Maire@AGASSAC.example");
  n = account("COORDINATION@appui.example", "coordinator", NULL, NULL);
  assert_refused(g.db, user_add(&id, g.db, &g.admin, &n), ERR_CONFLICT, "email", "existe déjà");
  /* Passwords: too short (in characters, not bytes), too long. */
  n = account("court@appui.example", "coordinator", NULL, NULL);
  n.password = "éééééééééée"; /* 11 characters, 22 bytes */
  assert_refused(g.db, user_add(&id, g.db, &g.admin, &n), ERR_INVALID, "password", "12");
  static char huge[1100];
  memset(huge, 'x', sizeof huge - 1);
  n.password = huge;
  assert_refused(g.db, user_add(&id, g.db, &g.admin, &n), ERR_INVALID, "password", "1024");
  n.password = "mot de passe\x01 interdit";
  assert_refused(g.db, user_add(&id, g.db, &g.admin, &n), ERR_INVALID, "password", "mot de passe");
  /* Only administrators create accounts. */
  n = account("nouveau@appui.example", "coordinator", NULL, NULL);
  assert_refused(g.db, user_add(&id, g.db, &coord, &n), ERR_FORBIDDEN, NULL, "administration");
  assert_int_equal(id, 0);
  struct user u;
  assert_refused(g.db, user_get_by_email(&u, g.db, "personne@appui.example"), ERR_NOTFOUND, NULL, NULL);
  assert_refused(g.db, user_get(&u, g.db, 999999), ERR_NOTFOUND, NULL, NULL);
}

static void login(void **state) {
  (void)state;
  int64_t id;
  struct user u;
  struct user_new n = account("secretariat@muret.example", "requester", "31395", NULL);
  n.password = PASSWORD;
  assert_int_equal(user_add(&id, g.db, &g.admin, &n), 0);
  /* The hash is argon2id, never the password. */
  assert_int_equal(count_with("SELECT count(*) FROM user WHERE email = ? AND password_hash LIKE '$argon2id$%'",
                              "secretariat@muret.example"),
                   1);
  assert_int_equal(count_with("SELECT count(*) FROM user WHERE instr(password_hash, ?) > 0", PASSWORD), 0);

  assert_int_equal(user_login(&u, g.db, "Secretariat@Muret.example", PASSWORD), 0);
  assert_int_equal(u.id, id);
  assert_int_equal(u.role, ROLE_REQUESTER);
  assert_string_equal(u.collectivity, "31395");

  char wrong[512], unknown[512];
  assert_refused(g.db, user_login(&u, g.db, "secretariat@muret.example", "correct horse battery!"), ERR_UNAUTH, NULL,
                 "incorrect");
  snprintf(wrong, sizeof wrong, "%s", err_msg());
  assert_int_equal(u.id, 0); /* nothing of the account is given out */
  assert_string_equal(u.email, "");
  assert_refused(g.db, user_login(&u, g.db, "inconnu@muret.example", PASSWORD), ERR_UNAUTH, NULL, "incorrect");
  snprintf(unknown, sizeof unknown, "%s", err_msg());
  /* The same answer: no way to tell which accounts exist. */
  assert_string_equal(wrong, unknown);
  /* An account without a password, or no password given. */
  assert_refused(g.db, user_login(&u, g.db, "maire@agassac.example", PASSWORD), ERR_UNAUTH, NULL, unknown);
  assert_refused(g.db, user_login(&u, g.db, "secretariat@muret.example", NULL), ERR_UNAUTH, NULL, unknown);
  assert_refused(g.db, user_login(&u, g.db, "secretariat@muret.example", ""), ERR_UNAUTH, NULL, unknown);
}

static void change_password(void **state) {
  (void)state;
  struct user self, other;
  assert_int_equal(user_get_by_email(&self, g.db, "secretariat@muret.example"), 0);
  assert_int_equal(user_get_by_email(&other, g.db, "maire@agassac.example"), 0);
  assert_refused(g.db, user_set_password(g.db, &self, "secretariat@muret.example", "trop court"), ERR_INVALID,
                 "password", "12");
  assert_refused(g.db, user_set_password(g.db, &self, "secretariat@muret.example", NULL), ERR_INVALID, "password",
                 NULL);
  assert_refused(g.db, user_set_password(g.db, &other, "secretariat@muret.example", "un autre mot de passe"),
                 ERR_FORBIDDEN, NULL, "administration");
  /* Users change their own. */
  assert_int_equal(user_set_password(g.db, &self, "secretariat@muret.example", "un autre mot de passe"), 0);
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM event WHERE type = 'user.password_changed' "
                                     "AND json_extract(data, '$.email') = 'secretariat@muret.example'"),
                   1);
  struct user u;
  assert_int_equal(user_login(&u, g.db, "secretariat@muret.example", "un autre mot de passe"), 0);
  assert_int_equal(user_login(&u, g.db, "secretariat@muret.example", PASSWORD), ERR_UNAUTH);
}

static void tokens(void **state) {
  (void)state;
  struct user owner, u;
  char *token = NULL;
  assert_int_equal(user_get_by_email(&owner, g.db, "agent.atd31@appui.example"), 0);
  assert_int_equal(user_token_create(&token, g.db, &g.admin, "agent.atd31@appui.example", "script de suivi"), 0);
  assert_non_null(token);
  assert_int_equal(strlen(token), strlen("appui_") + 64);
  assert_memory_equal(token, "appui_", 6);
  assert_int_equal(user_token_auth(&u, g.db, token), 0);
  assert_int_equal(u.id, owner.id);
  assert_int_equal(u.role, ROLE_AGENT);
  assert_string_equal(u.org_slug, "atd31");
  assert_int_equal(u.org, g.atd31);

  /* The store keeps the SHA-256 of the token, not the token: neither the
   * token table nor the journal contains it. */
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, (const unsigned char *)token, strlen(token));
  sqlite3_stmt *st;
  assert_int_equal(sqlite3_prepare_v2(db_sqlite(g.db), "SELECT digest, label FROM api_token", -1, &st, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_int_equal(sqlite3_column_bytes(st, 0), crypto_hash_sha256_BYTES);
  assert_memory_equal(sqlite3_column_blob(st, 0), digest, sizeof digest);
  assert_string_equal((const char *)sqlite3_column_text(st, 1), "script de suivi");
  assert_int_equal(sqlite3_step(st), SQLITE_DONE);
  sqlite3_finalize(st);
  assert_int_equal(count_with("SELECT count(*) FROM api_token WHERE CAST(digest AS TEXT) = ?1 OR instr(label, ?1)", token),
                   0);
  assert_int_equal(count_with("SELECT count(*) FROM event WHERE instr(data, ?) > 0", token + 6), 0);
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM event WHERE type = 'token.created' "
                                     "AND json_extract(data, '$.email') = 'agent.atd31@appui.example'"),
                   1);

  /* Wrong and malformed tokens. */
  char wrong[128];
  snprintf(wrong, sizeof wrong, "%s", token);
  wrong[strlen(wrong) - 1] = wrong[strlen(wrong) - 1] == '0' ? '1' : '0';
  assert_refused(g.db, user_token_auth(&u, g.db, wrong), ERR_UNAUTH, NULL, "jeton");
  char bearer[160];
  snprintf(bearer, sizeof bearer, "Bearer %s", token);
  char shorter[128];
  snprintf(shorter, sizeof shorter, "%.*s", (int)strlen(token) - 1, token);
  char longer[160];
  snprintf(longer, sizeof longer, "%s0", token);
  const char *malformed[] = {"", "appui_", "abc", bearer, shorter, longer, token + 6};
  for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++)
    assert_refused(g.db, user_token_auth(&u, g.db, malformed[i]), ERR_UNAUTH, NULL, "jeton");
  assert_refused(g.db, user_token_auth(&u, g.db, NULL), ERR_UNAUTH, NULL, "jeton");

  /* A second token for the same user; revoking one leaves the other. */
  char *second = NULL;
  assert_int_equal(user_token_create(&second, g.db, &owner, "AGENT.atd31@appui.example", NULL), 0);
  assert_string_not_equal(token, second);
  assert_int_equal(db_exec(g.db, "UPDATE api_token SET revoked_at = 1 WHERE label = 'script de suivi'"), 0);
  assert_refused(g.db, user_token_auth(&u, g.db, token), ERR_UNAUTH, NULL, "révoqué");
  assert_int_equal(user_token_auth(&u, g.db, second), 0);
  assert_int_equal(u.id, owner.id);
  /* A disabled account's tokens stop working. */
  assert_int_equal(db_exec(g.db, "UPDATE user SET disabled = 1 WHERE email = 'agent.atd31@appui.example'"), 0);
  assert_refused(g.db, user_token_auth(&u, g.db, second), ERR_UNAUTH, NULL, "jeton");
  assert_int_equal(db_exec(g.db, "UPDATE user SET disabled = 0 WHERE email = 'agent.atd31@appui.example'"), 0);
  free(token);
  free(second);

  /* Creating: unknown account, another user's token without being admin. */
  char *t = (char *)1;
  assert_refused(g.db, user_token_create(&t, g.db, &g.admin, "personne@appui.example", "x"), ERR_NOTFOUND, NULL,
                 "personne@appui.example");
  assert_null(t);
  assert_refused(g.db, user_token_create(&t, g.db, &owner, "maire@agassac.example", "x"), ERR_FORBIDDEN, NULL,
                 "administration");
  assert_null(t);
  assert_refused(g.db, user_token_create(&t, g.db, &owner, "agent.atd31@appui.example", "bip\x07"), ERR_INVALID,
                 "label", "libellé");
  assert_null(t);
}

static void list_without_secrets(void **state) {
  (void)state;
  json_t *list;
  assert_int_equal(user_list(&list, g.db), 0);
  assert_int_equal(json_array_size(list), fixture_int(g.db, "SELECT count(*) FROM user WHERE disabled = 0"));
  /* Ordered by e-mail. */
  const char *prev = "";
  size_t i;
  json_t *u;
  json_array_foreach(list, i, u) {
    const char *email = json_string_value(json_object_get(u, "email"));
    assert_true(strcmp(prev, email) < 0);
    prev = email;
    assert_non_null(json_object_get(u, "role_label"));
  }
  char *text = json_dumps(list, 0);
  assert_null(strstr(text, "argon2"));
  assert_null(strstr(text, "password"));
  assert_non_null(strstr(text, "\"collectivity\": \"31395\""));
  free(text);
  json_decref(list);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(roles),
      cmocka_unit_test(add_each_role),
      cmocka_unit_test(add_refusals),
      cmocka_unit_test(login),
      cmocka_unit_test(change_password),
      cmocka_unit_test(tokens),
      cmocka_unit_test(list_without_secrets),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
