/* Tests of core/session.c: browser sessions (login by e-mail and password,
 * only the token's SHA-256 digest is stored, a new token at every login),
 * idle and absolute expiry, last_seen written at most once a minute and
 * without the write lock otherwise, logout, the same answer for an unknown
 * e-mail and a wrong password, throttling per account and per address,
 * CSRF comparison, malformed tokens, purge, and a journal that never holds
 * a password or a token. Argon2id hashes are slow by design: this file
 * computes about sixty of them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "db.h"
#include "err.h"
#include "fixture.h"
#include "session.h"
#include "user.h"
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PASSWORD "correct horse battery"
#define WRONG "mauvais mot de passe"
#define T0 1767225600000LL /* 2026-01-01T00:00:00Z, 01:00 in Paris */
#define MIN (60LL * 1000)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)

static struct {
  char dir[256];
  struct db *db;
  struct user admin;
  char tokens[32][SESSION_TOKEN_SIZE]; /* every token handed out, for the journal check */
  int ntokens;
} g;

static int64_t add_account(const char *email) {
  int64_t id = 0;
  struct user_new n = {email, "Camille Martin", "coordinator", NULL, NULL, PASSWORD};
  if (user_add(&id, g.db, &g.admin, &n)) fail_msg("user_add %s : %s", email, err_msg());
  return id;
}

static int group_setup(void **state) {
  (void)state;
  g.db = fixture_db(g.dir);
  user_system(&g.admin, "test");
  return 0;
}

static int group_teardown(void **state) {
  (void)state;
  db_close(g.db);
  fixture_rmdir(g.dir);
  return 0;
}

/* Logs in, expecting success; remembers the token. */
static void login(char token[SESSION_TOKEN_SIZE], char csrf[SESSION_CSRF_SIZE], struct user *who,
                  const char *email, const char *address, int64_t now) {
  int rc = session_login(token, csrf, who, g.db, email, PASSWORD, address, now);
  if (rc) fail_msg("session_login %s : %d %s", email, rc, err_msg());
  if (g.ntokens < 32) memcpy(g.tokens[g.ntokens++], token, SESSION_TOKEN_SIZE);
}

/* A failed login, expecting ERR_UNAUTH. */
static void fail_login(const char *email, const char *address, int64_t now) {
  char token[SESSION_TOKEN_SIZE], csrf[SESSION_CSRF_SIZE];
  struct user who;
  int rc = session_login(token, csrf, &who, g.db, email, WRONG, address, now);
  if (rc != ERR_UNAUTH) fail_msg("session_login %s : %d au lieu d'un refus : %s", email, rc, err_msg());
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

/* Hex SHA-256 of a token's text. */
static void digest_hex(char out[65], const char *token) {
  unsigned char d[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(d, (const unsigned char *)token, strlen(token));
  sodium_bin2hex(out, 65, d, sizeof d);
}

/* last_seen of the session of `token`, -1 if there is none. */
static int64_t last_seen_of(const char *token) {
  char hex[65];
  digest_hex(hex, token);
  int64_t n = count_with("SELECT count(*) FROM session WHERE lower(hex(digest)) = ?", hex);
  return n == 1 ? count_with("SELECT last_seen FROM session WHERE lower(hex(digest)) = ?", hex) : -1;
}

/* Failure count of a throttling key, 0 if it has no row. */
static int64_t failures(const char *key) {
  return count_with("SELECT coalesce((SELECT count FROM login_failure WHERE key = ?), 0)", key);
}

/* Opens a second connection holding the database's write lock, and makes
 * g.db give up quickly on a lock (so a write attempt fails instead of
 * waiting). */
static sqlite3 *hold_write_lock(void) {
  char path[320];
  sqlite3 *other;
  snprintf(path, sizeof path, "%s/appui.db", g.dir);
  assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
  assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
  sqlite3_busy_timeout(db_sqlite(g.db), 20);
  return other;
}

static void release_write_lock(sqlite3 *other) {
  sqlite3_busy_timeout(db_sqlite(g.db), 5000);
  sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
  sqlite3_close(other);
}

static int is_hex64(const char *s) {
  if (strlen(s) != 64) return 0;
  for (int i = 0; i < 64; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
  return 1;
}

static void login_stores_only_the_digest(void **state) {
  (void)state;
  int64_t id = add_account("login@appui.example");
  char token[SESSION_TOKEN_SIZE], csrf[SESSION_CSRF_SIZE], token2[SESSION_TOKEN_SIZE],
      csrf2[SESSION_CSRF_SIZE], hex[65], sql[512];
  struct user who;
  int64_t sessions = fixture_int(g.db, "SELECT count(*) FROM session");
  login(token, csrf, &who, "Login@APPUI.example", "192.0.2.1", T0);
  assert_int_equal(who.id, id);
  assert_string_equal(who.email, "login@appui.example");
  assert_int_equal(who.role, ROLE_COORDINATOR);
  assert_true(is_hex64(token));
  assert_true(is_hex64(csrf));
  assert_string_not_equal(token, csrf);
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM session"), sessions + 1);
  /* The row holds the SHA-256 of the token, never the token. */
  digest_hex(hex, token);
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM session WHERE lower(hex(digest)) = ? AND user = %lld AND csrf = '%s' "
           "AND address = '192.0.2.1' AND created_at = %lld AND last_seen = %lld",
           (long long)id, csrf, T0, T0);
  assert_int_equal(count_with(sql, hex), 1);
  assert_int_equal(count_with("SELECT count(*) FROM session WHERE lower(hex(digest)) = ?1 OR instr(csrf, ?1) "
                              "OR instr(address, ?1)",
                              token),
                   0);
  /* Journaled, with the account as actor, without the token. */
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM event WHERE type = 'session.login' AND actor_user = %lld AND at = %lld "
           "AND json_extract(data, '$.address') = ? AND json_extract(data, '$.session') > 0",
           (long long)id, T0);
  assert_int_equal(count_with(sql, "192.0.2.1"), 1);
  assert_int_equal(count_with("SELECT count(*) FROM event WHERE instr(data, ?) > 0", token), 0);
  /* Every login makes a new session with new tokens; both stay valid. */
  login(token2, csrf2, &who, "login@appui.example", NULL, T0 + MIN);
  assert_string_not_equal(token, token2);
  assert_string_not_equal(csrf, csrf2);
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM session"), sessions + 2);
  char c[SESSION_CSRF_SIZE];
  assert_int_equal(session_get(&who, c, g.db, token, T0 + 2 * MIN), 0);
  assert_string_equal(c, csrf);
  assert_int_equal(session_get(&who, c, g.db, token2, T0 + 2 * MIN), 0);
  assert_string_equal(c, csrf2);
  assert_int_equal(who.id, id);
  /* No address: stored as unknown. */
  digest_hex(hex, token2);
  assert_int_equal(count_with("SELECT count(*) FROM session WHERE lower(hex(digest)) = ? AND address = ''", hex), 1);
}

static void get_and_expiry(void **state) {
  (void)state;
  int64_t id = add_account("expiry@appui.example");
  char token[SESSION_TOKEN_SIZE], csrf[SESSION_CSRF_SIZE], c[SESSION_CSRF_SIZE];
  struct user who;
  login(token, csrf, &who, "expiry@appui.example", "192.0.2.2", T0);
  memset(&who, 0xff, sizeof who);
  assert_int_equal(session_get(&who, c, g.db, token, T0 + MIN / 2), 0);
  assert_int_equal(who.id, id);
  assert_string_equal(who.email, "expiry@appui.example");
  assert_string_equal(c, csrf);
  /* Idle for SESSION_TTL_MS: over (nothing written, the purge removes it). */
  assert_refused(g.db, session_get(&who, c, g.db, token, T0 + SESSION_TTL_MS), ERR_UNAUTH, NULL,
                 "session expirée : reconnectez-vous");
  assert_int_equal(who.id, 0);
  assert_string_equal(who.email, "");
  assert_string_equal(c, "");
  assert_int_equal(session_get(&who, c, g.db, token, T0 + SESSION_TTL_MS - 1), 0);
  assert_string_equal(c, csrf);

  /* Used every 7 hours, a session still ends 7 days after the login. */
  int64_t t1 = T0 + 10 * DAY, t = t1;
  login(token, csrf, &who, "expiry@appui.example", "192.0.2.2", t1);
  while (t + 7 * HOUR < t1 + SESSION_MAX_MS) {
    t += 7 * HOUR;
    if (session_get(&who, c, g.db, token, t)) fail_msg("session perdue à t1 + %lld h : %s", (long long)((t - t1) / HOUR), err_msg());
  }
  assert_int_equal(last_seen_of(token), t1 + 161 * HOUR);
  assert_refused(g.db, session_get(&who, c, g.db, token, t1 + SESSION_MAX_MS), ERR_UNAUTH, NULL, "reconnectez-vous");
  assert_int_equal(session_get(&who, c, g.db, token, t1 + SESSION_MAX_MS - 1), 0);

  /* The account is read at each request: disabling or changing it counts at once. */
  t = t1 + SESSION_MAX_MS - 1;
  assert_int_equal(db_exec(g.db, "UPDATE user SET disabled = 1 WHERE email = 'expiry@appui.example'"), 0);
  assert_refused(g.db, session_get(&who, c, g.db, token, t), ERR_UNAUTH, NULL, "reconnectez-vous");
  assert_int_equal(db_exec(g.db, "UPDATE user SET disabled = 0, role = 'admin' WHERE email = 'expiry@appui.example'"), 0);
  assert_int_equal(session_get(&who, c, g.db, token, t), 0);
  assert_int_equal(who.role, ROLE_ADMIN);
  assert_int_equal(db_exec(g.db, "UPDATE user SET role = 'coordinator' WHERE email = 'expiry@appui.example'"), 0);
}

static void last_seen_once_a_minute(void **state) {
  (void)state;
  add_account("refresh@appui.example");
  char token[SESSION_TOKEN_SIZE], csrf[SESSION_CSRF_SIZE], c[SESSION_CSRF_SIZE], before[65], after[65];
  struct user who;
  login(token, csrf, &who, "refresh@appui.example", NULL, T0);
  assert_int_equal(last_seen_of(token), T0);
  /* Within the minute: the base is not written. */
  fixture_digest(g.db, before);
  assert_int_equal(session_get(&who, c, g.db, token, T0 + 1), 0);
  assert_int_equal(session_get(&who, c, g.db, token, T0 + MIN - 1), 0);
  fixture_digest(g.db, after);
  assert_string_equal(before, after);
  /* A minute later: written once. */
  assert_int_equal(session_get(&who, c, g.db, token, T0 + MIN), 0);
  assert_int_equal(last_seen_of(token), T0 + MIN);
  /* Without a refresh, reading takes no write lock: it works while another
   * connection holds the database's write lock. */
  sqlite3 *other = hold_write_lock();
  int rc = session_get(&who, c, g.db, token, T0 + 2 * MIN - 1);
  release_write_lock(other);
  if (rc) fail_msg("lecture bloquée par un écrivain : %s", err_msg());
  assert_string_equal(c, csrf);
  assert_int_equal(last_seen_of(token), T0 + MIN);
  assert_int_equal(session_get(&who, c, g.db, token, T0 + 2 * MIN), 0);
  assert_int_equal(last_seen_of(token), T0 + 2 * MIN);
  /* The refresh is bookkeeping, not an event. */
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM event WHERE type LIKE 'session.%' "
                                     "AND type NOT IN ('session.login', 'session.login_failed', 'session.logout')"),
                   0);
}

static void logout(void **state) {
  (void)state;
  int64_t id = add_account("logout@appui.example");
  char a[SESSION_TOKEN_SIZE], b[SESSION_TOKEN_SIZE], csrf[SESSION_CSRF_SIZE], c[SESSION_CSRF_SIZE],
      before[65], after[65], sql[256];
  struct user who;
  login(a, csrf, &who, "logout@appui.example", NULL, T0);
  login(b, csrf, &who, "logout@appui.example", NULL, T0);
  int64_t sessions = fixture_int(g.db, "SELECT count(*) FROM session");
  assert_int_equal(session_logout(g.db, a, T0 + MIN), 0);
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM session"), sessions - 1);
  assert_int_equal(last_seen_of(a), -1);
  assert_refused(g.db, session_get(&who, c, g.db, a, T0 + MIN), ERR_UNAUTH, NULL, "reconnectez-vous");
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM event WHERE type = 'session.logout' AND actor_user = %lld AND at = %lld "
           "AND json_extract(data, '$.session') > 0",
           (long long)id, T0 + MIN);
  assert_int_equal(fixture_int(g.db, sql), 1);
  /* The other session of the account is untouched. */
  assert_int_equal(session_get(&who, c, g.db, b, T0 + MIN), 0);
  assert_int_equal(who.id, id);
  /* Again, unknown or malformed: 0 and nothing changes. */
  const char *nothing[] = {a, NULL, "", "zz", "0000000000000000000000000000000000000000000000000000000000000000"};
  for (size_t i = 0; i < sizeof nothing / sizeof nothing[0]; i++) {
    fixture_digest(g.db, before);
    assert_int_equal(session_logout(g.db, nothing[i], T0 + 2 * MIN), 0);
    fixture_digest(g.db, after);
    assert_string_equal(before, after);
  }
}

static void same_answer_for_unknown_email_and_wrong_password(void **state) {
  (void)state;
  add_account("wrong@appui.example");
  char token[SESSION_TOKEN_SIZE], csrf[SESSION_CSRF_SIZE], wrong[512], unknown[512];
  struct user who;
  int64_t sessions = fixture_int(g.db, "SELECT count(*) FROM session");
  memset(token, 'x', sizeof token);
  memset(csrf, 'x', sizeof csrf);
  assert_int_equal(session_login(token, csrf, &who, g.db, "wrong@appui.example", WRONG, "198.51.100.5", T0),
                   ERR_UNAUTH);
  snprintf(wrong, sizeof wrong, "%s", err_msg());
  assert_string_equal(token, "");
  assert_string_equal(csrf, "");
  assert_int_equal(who.id, 0);
  assert_int_equal(session_login(token, csrf, &who, g.db, "personne@appui.example", PASSWORD, "198.51.100.5", T0),
                   ERR_UNAUTH);
  snprintf(unknown, sizeof unknown, "%s", err_msg());
  assert_string_equal(wrong, unknown);
  assert_non_null(strstr(wrong, "mot de passe incorrect"));
  /* Missing fields: the same answer. */
  assert_int_equal(session_login(token, csrf, &who, g.db, "wrong@appui.example", NULL, NULL, T0), ERR_UNAUTH);
  assert_string_equal(err_msg(), wrong);
  assert_int_equal(session_login(token, csrf, &who, g.db, NULL, PASSWORD, NULL, T0), ERR_UNAUTH);
  assert_string_equal(err_msg(), wrong);
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM session"), sessions);
  /* Counted alike, per account (lower case) and per address. */
  assert_int_equal(failures("account:wrong@appui.example"), 2);
  assert_int_equal(failures("account:personne@appui.example"), 1);
  assert_int_equal(failures("address:198.51.100.5"), 2);
  fail_login("WRONG@Appui.EXAMPLE", NULL, T0 + 1);
  assert_int_equal(failures("account:wrong@appui.example"), 3);
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM login_failure WHERE key GLOB '*WRONG*'"), 0);
  /* Journaled as an anonymous attempt, with the e-mail and the address. */
  assert_int_equal(count_with("SELECT count(*) FROM event WHERE type = 'session.login_failed' AND actor = 'anonyme' "
                              "AND actor_user IS NULL AND json_extract(data, '$.email') = ?",
                              "wrong@appui.example"),
                   3);
  assert_int_equal(count_with("SELECT count(*) FROM event WHERE type = 'session.login_failed' "
                              "AND json_extract(data, '$.address') = ?",
                              "198.51.100.5"),
                   2);
  assert_int_equal(count_with("SELECT count(*) FROM event WHERE type = 'session.login_failed' "
                              "AND json_extract(data, '$.email') = ?",
                              "personne@appui.example"),
                   1);
}

static void throttled_per_account(void **state) {
  (void)state;
  add_account("lock@appui.example");
  char token[SESSION_TOKEN_SIZE], csrf[SESSION_CSRF_SIZE], addr[32], expect[32];
  struct user who;
  /* Five failures within 15 minutes, each from another address. */
  for (int i = 0; i < SESSION_ACCOUNT_FAILURES; i++) {
    snprintf(addr, sizeof addr, "203.0.113.%d", i + 1);
    fail_login("lock@appui.example", addr, T0 + i * MIN);
  }
  int64_t locked_at = T0 + 4 * MIN;
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM event WHERE type = 'session.login_failed' "
                                     "AND json_extract(data, '$.email') = 'lock@appui.example' "
                                     "AND json_extract(data, '$.account_locked') = 1"),
                   1);
  /* The sixth attempt, with the right password, is refused unchecked and
   * writes nothing; the message says when to retry (01:19 in Paris). */
  assert_refused(g.db, session_login(token, csrf, &who, g.db, "lock@appui.example", PASSWORD, "203.0.113.9", T0 + 5 * MIN),
                 ERR_TOOMANY, NULL, "réessayez dans 14 minutes");
  snprintf(expect, sizeof expect, "%d h %02d", 1, 19);
  assert_non_null(strstr(err_msg(), expect));
  assert_non_null(strstr(err_msg(), "compte"));
  assert_string_equal(token, "");
  assert_int_equal(who.id, 0);
  assert_string_equal(err_name(ERR_TOOMANY), "too_many_requests");
  /* Refused before the password check and without the write lock: it
   * works while another connection holds that lock. */
  sqlite3 *other = hold_write_lock();
  int rc = session_login(token, csrf, &who, g.db, "lock@appui.example", PASSWORD, NULL, T0 + 6 * MIN);
  release_write_lock(other);
  assert_int_equal(rc, ERR_TOOMANY);
  /* In any case, from any address. */
  assert_refused(g.db, session_login(token, csrf, &who, g.db, "LOCK@appui.example", PASSWORD, NULL,
                                     locked_at + SESSION_LOCK_MS - 1),
                 ERR_TOOMANY, NULL, "réessayez dans 1 minute ");
  /* 15 minutes later: open again, and the success clears the counter. */
  login(token, csrf, &who, "lock@appui.example", "203.0.113.9", locked_at + SESSION_LOCK_MS);
  assert_int_equal(failures("account:lock@appui.example"), 0);

  /* Failures spread over more than the window do not lock. */
  int64_t t2 = T0 + DAY;
  for (int i = 0; i < SESSION_ACCOUNT_FAILURES - 1; i++) fail_login("lock@appui.example", NULL, t2 + i * MIN);
  assert_int_equal(failures("account:lock@appui.example"), 4);
  fail_login("lock@appui.example", NULL, t2 + SESSION_WINDOW_MS);
  assert_int_equal(failures("account:lock@appui.example"), 1);
  for (int i = 1; i < SESSION_ACCOUNT_FAILURES - 1; i++)
    fail_login("lock@appui.example", NULL, t2 + SESSION_WINDOW_MS + i * MIN);
  login(token, csrf, &who, "lock@appui.example", NULL, t2 + SESSION_WINDOW_MS + 4 * MIN);
}

static void success_resets_the_account(void **state) {
  (void)state;
  add_account("reset@appui.example");
  char token[SESSION_TOKEN_SIZE], csrf[SESSION_CSRF_SIZE];
  struct user who;
  for (int i = 0; i < SESSION_ACCOUNT_FAILURES - 1; i++) fail_login("reset@appui.example", "192.0.2.50", T0 + i);
  login(token, csrf, &who, "reset@appui.example", "192.0.2.50", T0 + 10);
  assert_int_equal(failures("account:reset@appui.example"), 0);
  /* Not the address's counter: one good account must not clear the
   * failures of guesses against others. */
  assert_int_equal(failures("address:192.0.2.50"), 4);
  for (int i = 0; i < SESSION_ACCOUNT_FAILURES - 1; i++) fail_login("reset@appui.example", "192.0.2.51", T0 + 20 + i);
  login(token, csrf, &who, "reset@appui.example", "192.0.2.51", T0 + 30);
}

static void throttled_per_address(void **state) {
  (void)state;
  int64_t id = add_account("addr@appui.example");
  char token[SESSION_TOKEN_SIZE], csrf[SESSION_CSRF_SIZE], email[64];
  struct user who;
  const char *ip = "192.0.2.99";
  for (int i = 0; i < SESSION_ADDRESS_FAILURES - 1; i++) {
    snprintf(email, sizeof email, "inconnu%02d@appui.example", i);
    fail_login(email, ip, T0 + i * 1000);
  }
  /* 19 failures: still open (and the success leaves the address's count). */
  login(token, csrf, &who, "addr@appui.example", ip, T0 + 19000);
  assert_int_equal(who.id, id);
  assert_int_equal(failures("address:192.0.2.99"), 19);
  fail_login("inconnu19@appui.example", ip, T0 + 20000);
  int64_t locked_at = T0 + 20000;
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM event WHERE type = 'session.login_failed' "
                                     "AND json_extract(data, '$.address') = '192.0.2.99' "
                                     "AND json_extract(data, '$.address_locked') = 1"),
                   1);
  /* The 20th locks the address for everyone, right password or not… */
  assert_refused(g.db, session_login(token, csrf, &who, g.db, "addr@appui.example", PASSWORD, ip, T0 + 30000),
                 ERR_TOOMANY, NULL, "adresse");
  assert_refused(g.db, session_login(token, csrf, &who, g.db, "inconnu20@appui.example", WRONG, ip, T0 + 30000),
                 ERR_TOOMANY, NULL, "réessayez");
  /* …not the accounts, which log in from elsewhere. */
  login(token, csrf, &who, "addr@appui.example", "192.0.2.100", T0 + 40000);
  assert_int_equal(failures("account:inconnu00@appui.example"), 1);
  /* Open again after the lock. */
  assert_refused(g.db, session_login(token, csrf, &who, g.db, "addr@appui.example", PASSWORD, ip,
                                     locked_at + SESSION_LOCK_MS - 1),
                 ERR_TOOMANY, NULL, "adresse");
  login(token, csrf, &who, "addr@appui.example", ip, locked_at + SESSION_LOCK_MS);
}

static void csrf(void **state) {
  (void)state;
  char a[65], b[65], shorter[65], longer[70];
  memset(a, 'a', 64);
  a[64] = 0;
  memcpy(b, a, sizeof a);
  assert_int_equal(session_check_csrf(a, b), 0);
  b[63] = 'b';
  assert_refused(g.db, session_check_csrf(a, b), ERR_FORBIDDEN, NULL,
                 "jeton de formulaire invalide ou absent : rechargez la page");
  b[63] = 'a';
  b[0] = 'A';
  assert_refused(g.db, session_check_csrf(a, b), ERR_FORBIDDEN, NULL, "rechargez la page");
  snprintf(shorter, sizeof shorter, "%.63s", a);
  snprintf(longer, sizeof longer, "%sa", a);
  assert_refused(g.db, session_check_csrf(a, shorter), ERR_FORBIDDEN, NULL, "jeton de formulaire");
  assert_refused(g.db, session_check_csrf(a, longer), ERR_FORBIDDEN, NULL, "jeton de formulaire");
  assert_refused(g.db, session_check_csrf(a, NULL), ERR_FORBIDDEN, NULL, "jeton de formulaire");
  assert_refused(g.db, session_check_csrf(a, ""), ERR_FORBIDDEN, NULL, "jeton de formulaire");
  assert_refused(g.db, session_check_csrf(NULL, a), ERR_FORBIDDEN, NULL, "jeton de formulaire");
  assert_refused(g.db, session_check_csrf("", ""), ERR_FORBIDDEN, NULL, "jeton de formulaire");
  assert_refused(g.db, session_check_csrf(NULL, NULL), ERR_FORBIDDEN, NULL, "jeton de formulaire");
  /* With a real session's token. */
  char token[SESSION_TOKEN_SIZE], c[SESSION_CSRF_SIZE], got[SESSION_CSRF_SIZE];
  struct user who;
  add_account("csrf@appui.example");
  login(token, c, &who, "csrf@appui.example", NULL, T0);
  assert_int_equal(session_get(&who, got, g.db, token, T0 + 1), 0);
  assert_int_equal(session_check_csrf(got, c), 0);
  assert_refused(g.db, session_check_csrf(got, token), ERR_FORBIDDEN, NULL, "jeton de formulaire");
}

static void malformed_tokens(void **state) {
  (void)state;
  add_account("shape@appui.example");
  char token[SESSION_TOKEN_SIZE], csrf[SESSION_CSRF_SIZE], c[SESSION_CSRF_SIZE];
  char shorter[80], longer[80], upper[80], nonhex[80], spaced[80], bearer[96], newline[80];
  struct user who;
  login(token, csrf, &who, "shape@appui.example", NULL, T0);
  snprintf(shorter, sizeof shorter, "%.63s", token);
  snprintf(longer, sizeof longer, "%s0", token);
  snprintf(newline, sizeof newline, "%s\n", token);
  snprintf(upper, sizeof upper, "%s", token);
  for (char *p = upper; *p; p++)
    if (*p >= 'a' && *p <= 'f') *p = (char)(*p - 'a' + 'A');
  if (strcmp(upper, token) == 0) upper[0] = 'A'; /* all digits: still not the token's shape */
  snprintf(nonhex, sizeof nonhex, "%s", token);
  nonhex[10] = 'g';
  snprintf(spaced, sizeof spaced, " %.63s", token);
  snprintf(bearer, sizeof bearer, "Bearer %s", token);
  const char *bad[] = {NULL, "", "abc", shorter, longer, newline, upper, nonhex, spaced, bearer,
                       "0000000000000000000000000000000000000000000000000000000000000000"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    memset(&who, 0xff, sizeof who);
    memset(c, 'x', sizeof c);
    assert_refused(g.db, session_get(&who, c, g.db, bad[i], T0 + 2 * MIN), ERR_UNAUTH, NULL,
                   "session expirée : reconnectez-vous");
    assert_int_equal(who.id, 0);
    assert_string_equal(c, "");
  }
  /* The real one still works (and the refusals did not refresh it). */
  assert_int_equal(last_seen_of(token), T0);
  assert_int_equal(session_get(&who, c, g.db, token, T0 + 2 * MIN), 0);
  assert_string_equal(c, csrf);
}

static void purge(void **state) {
  (void)state;
  int removed = -1;
  char before[65], after[65];
  /* Far later, everything of the tests above is over. */
  int64_t old = fixture_int(g.db, "SELECT (SELECT count(*) FROM session) + (SELECT count(*) FROM login_failure)");
  assert_true(old > 0);
  assert_int_equal(session_purge(&removed, g.db, T0 + 100 * DAY), 0);
  assert_int_equal(removed, old);
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM session"), 0);
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM login_failure"), 0);

  add_account("purge@appui.example");
  char idle[SESSION_TOKEN_SIZE], aged[SESSION_TOKEN_SIZE], fresh[SESSION_TOKEN_SIZE], csrf[SESSION_CSRF_SIZE],
      c[SESSION_CSRF_SIZE];
  struct user who;
  int64_t t3 = T0 + 200 * DAY, end = t3 + SESSION_MAX_MS;
  login(idle, csrf, &who, "purge@appui.example", NULL, t3);            /* unused since t3 */
  login(aged, csrf, &who, "purge@appui.example", NULL, t3);            /* used, but 7 days old */
  for (int64_t t = t3 + 7 * HOUR; t < end; t += 7 * HOUR) assert_int_equal(session_get(&who, c, g.db, aged, t), 0);
  login(fresh, csrf, &who, "purge@appui.example", NULL, end - HOUR);   /* recent */
  fail_login("stale@appui.example", NULL, t3);                         /* window long over */
  for (int i = 0; i < SESSION_ACCOUNT_FAILURES; i++)                   /* window over, lock not */
    fail_login("verrou@appui.example", NULL, end - 14 * MIN + i * MIN);
  fail_login("recent@appui.example", NULL, end + MIN);                 /* window running */
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM login_failure"), 3);
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM session"), 3);
  int64_t events = fixture_int(g.db, "SELECT count(*) FROM event");

  assert_int_equal(session_purge(&removed, g.db, end + 2 * MIN), 0);
  assert_int_equal(removed, 3);
  assert_int_equal(last_seen_of(idle), -1);
  assert_int_equal(last_seen_of(aged), -1);
  assert_int_equal(last_seen_of(fresh), end - HOUR);
  assert_int_equal(failures("account:stale@appui.example"), 0);
  assert_int_equal(failures("account:verrou@appui.example"), 5);
  assert_int_equal(failures("account:recent@appui.example"), 1);
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM event"), events);
  assert_int_equal(session_get(&who, c, g.db, fresh, end + 2 * MIN), 0);
  /* Again at the same time: nothing to do, nothing written. */
  fixture_digest(g.db, before);
  assert_int_equal(session_purge(&removed, g.db, end + 2 * MIN), 0);
  assert_int_equal(removed, 0);
  fixture_digest(g.db, after);
  assert_string_equal(before, after);
  /* Once the lock is over, its counter goes too. */
  assert_int_equal(session_purge(&removed, g.db, end - 10 * MIN + SESSION_LOCK_MS), 0);
  assert_int_equal(removed, 1);
  assert_int_equal(failures("account:verrou@appui.example"), 0);
  assert_int_equal(failures("account:recent@appui.example"), 1);
}

static void journal_holds_no_secret(void **state) {
  (void)state;
  assert_true(fixture_int(g.db, "SELECT count(*) FROM event WHERE type = 'session.login'") >= 10);
  assert_true(fixture_int(g.db, "SELECT count(*) FROM event WHERE type = 'session.login_failed'") >= 40);
  assert_int_equal(count_with("SELECT count(*) FROM event WHERE instr(data, ?) > 0", PASSWORD), 0);
  assert_int_equal(count_with("SELECT count(*) FROM event WHERE instr(data, ?) > 0", WRONG), 0);
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM event WHERE type LIKE 'session.%' "
                                     "AND (data LIKE '%password%' OR data LIKE '%token%' OR data LIKE '%csrf%' "
                                     "OR data LIKE '%digest%')"),
                   0);
  for (int i = 0; i < g.ntokens; i++) {
    char hex[65];
    digest_hex(hex, g.tokens[i]);
    assert_int_equal(count_with("SELECT count(*) FROM event WHERE instr(data, ?) > 0", g.tokens[i]), 0);
    assert_int_equal(count_with("SELECT count(*) FROM event WHERE instr(lower(data), ?) > 0", hex), 0);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(login_stores_only_the_digest),
      cmocka_unit_test(get_and_expiry),
      cmocka_unit_test(last_seen_once_a_minute),
      cmocka_unit_test(logout),
      cmocka_unit_test(same_answer_for_unknown_email_and_wrong_password),
      cmocka_unit_test(throttled_per_account),
      cmocka_unit_test(success_resets_the_account),
      cmocka_unit_test(throttled_per_address),
      cmocka_unit_test(csrf),
      cmocka_unit_test(malformed_tokens),
      cmocka_unit_test(purge),
      cmocka_unit_test(journal_holds_no_secret),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
