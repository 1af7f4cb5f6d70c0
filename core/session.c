/* session — browser sessions, CSRF tokens and login throttling (see
 * session.h). */
#include "session.h"
#include "clock.h"
#include "db.h"
#include "err.h"
#include "journal.h"
#include "text.h"
#include "user.h"
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define HEX_LEN 64                 /* characters of a token */
#define KEY_SIZE 272               /* "account:" + an e-mail (≤ 254 bytes) + NUL */
#define ADDRESS_MAX 64             /* bytes of a client address kept (IPv6 text is ≤ 45) */

/* The throttling keys of one login attempt; "" when not throttled that way. */
struct keys {
  char account[KEY_SIZE]; /* "account:<e-mail in ASCII lower case>" */
  char address[8 + ADDRESS_MAX + 1]; /* "address:<ip>" */
};

/* Fills the keys. An e-mail that cannot be an account's (user_add() only
 * takes text_is_email() addresses) has no account key: nobody can log in
 * with it, and the address still counts it. The user table compares
 * e-mails with NOCASE, that is ASCII case only: so does the key. */
static void keys_of(struct keys *k, const char *email, const char *address) {
  k->account[0] = k->address[0] = 0;
  if (text_is_email(email) && text_valid_utf8(email, strlen(email))) {
    snprintf(k->account, sizeof k->account, "account:%s", email);
    for (char *p = k->account; *p; p++)
      if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
  }
  if (address && address[0]) {
    snprintf(k->address, sizeof k->address, "address:%.*s", ADDRESS_MAX, address);
    for (char *p = k->address; *p; p++)
      if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) *p = '?'; /* keep it printable ASCII */
  }
}

/* Records ERR_TOOMANY saying when to retry (Europe/Paris time, rounded up
 * to the minute). Returns ERR_TOOMANY. */
static int too_many(int account, int64_t until, int64_t now) {
  struct civil c;
  long long minutes = (long long)((until - now + 59999) / 60000);
  clock_paris(until + 59999, &c);
  return err_set(ERR_TOOMANY, NULL,
                 "trop d'échecs de connexion %s : réessayez dans %lld minute%s (à partir de %d h %02d)",
                 account ? "pour ce compte" : "depuis votre adresse réseau", minutes, minutes > 1 ? "s" : "",
                 c.hour, c.minute);
}

/* The lock of either key at `now`: *until receives the later end of lock
 * (0 when neither is locked) and *account 1 when it is the account's.
 * Reads only. Returns 0 or a storage error. */
static int lock_of(int64_t *until, int *account, struct db *db, const struct keys *k, int64_t now) {
  static const char sql[] = "SELECT key = ?1, locked_until FROM login_failure "
                            "WHERE key IN (?1, ?2) AND locked_until > ?3 ORDER BY locked_until DESC LIMIT 1";
  sqlite3_stmt *st;
  *until = 0;
  *account = 0;
  int rc = db_prepare_static(&st, db, sql);
  if (rc) goto done;
  db_bind_text(st, 1, k->account[0] ? k->account : NULL);
  db_bind_text(st, 2, k->address[0] ? k->address : NULL);
  sqlite3_bind_int64(st, 3, now);
  int s = sqlite3_step(st);
  if (s == SQLITE_ROW) {
    *account = sqlite3_column_int(st, 0);
    *until = sqlite3_column_int64(st, 1);
  } else if (s != SQLITE_DONE) {
    rc = db_fail(db, s, "lecture des échecs de connexion");
  }
  db_done(st);
done:
  return rc;
}

/* Counts one failure for `key` (inside the write transaction): a new
 * window when the last one is over, a lock when the count reaches `limit`.
 * *locked becomes 1 when this failure set the lock. Returns 0 or a storage
 * error. */
static int count_failure(int *locked, struct db *db, const char *key, int limit, int64_t now) {
  sqlite3_stmt *st;
  int64_t start = now, count = 1;
  int rc = db_prepare(&st, db, "SELECT window_start, count FROM login_failure WHERE key = ?");
  if (rc) goto done;
  db_bind_text(st, 1, key);
  int s = sqlite3_step(st);
  if (s == SQLITE_ROW && sqlite3_column_int64(st, 0) > now - SESSION_WINDOW_MS) {
    start = sqlite3_column_int64(st, 0);
    count = sqlite3_column_int64(st, 1) + 1;
  } else if (s != SQLITE_ROW && s != SQLITE_DONE) {
    rc = db_fail(db, s, "lecture des échecs de connexion");
  }
  db_done(st);
  if (rc) goto done;
  if ((rc = db_prepare(&st, db,
                       "INSERT INTO login_failure (key, window_start, count, locked_until) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT (key) DO UPDATE SET window_start = excluded.window_start, "
                       "count = excluded.count, locked_until = excluded.locked_until")))
    goto done;
  db_bind_text(st, 1, key);
  sqlite3_bind_int64(st, 2, start);
  sqlite3_bind_int64(st, 3, count);
  if (count >= limit) sqlite3_bind_int64(st, 4, now + SESSION_LOCK_MS);
  else sqlite3_bind_null(st, 4);
  s = sqlite3_step(st);
  db_done(st);
  if (s != SQLITE_DONE) rc = db_fail(db, s, "enregistrement d'un échec de connexion");
  else if (count >= limit) *locked = 1;
done:
  return rc;
}

struct login_ctx {
  const struct keys *k;
  const char *email;     /* as typed (for the journal) */
  int64_t now;
  int ok;                /* the password was right */
  struct user who;       /* the account, when ok */
  const unsigned char *digest;
  const char *csrf;
  int refused;           /* out: locked meanwhile by a concurrent attempt */
  int64_t until;         /* out: end of that lock */
  int account;           /* out: the lock is the account's */
};

static int login_ok_tx(struct db *db, struct login_ctx *c) {
  sqlite3_stmt *st;
  json_t *data = NULL;
  int rc = db_prepare(&st, db,
                      "INSERT INTO session (digest, user, csrf, address, created_at, last_seen) "
                      "VALUES (?, ?, ?, ?, ?, ?)");
  if (rc) goto done;
  sqlite3_bind_blob(st, 1, c->digest, crypto_hash_sha256_BYTES, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, c->who.id);
  db_bind_text(st, 3, c->csrf);
  db_bind_text(st, 4, c->k->address[0] ? c->k->address + 8 : "");
  sqlite3_bind_int64(st, 5, c->now);
  sqlite3_bind_int64(st, 6, c->now);
  int s = sqlite3_step(st);
  db_done(st);
  if (s != SQLITE_DONE) {
    rc = db_fail(db, s, "ouverture de la session");
    goto done;
  }
  int64_t id = sqlite3_last_insert_rowid(db_sqlite(db));
  if (c->k->account[0]) {
    if ((rc = db_prepare(&st, db, "DELETE FROM login_failure WHERE key = ?"))) goto done;
    db_bind_text(st, 1, c->k->account);
    s = sqlite3_step(st);
    db_done(st);
    if (s != SQLITE_DONE) {
      rc = db_fail(db, s, "remise à zéro des échecs de connexion");
      goto done;
    }
  }
  data = json_pack("{s:I, s:s?}", "session", (json_int_t)id, "address",
                   c->k->address[0] ? c->k->address + 8 : NULL);
  rc = journal_append_at(db, &c->who, 0, "session.login", data, c->now);
done:
  json_decref(data);
  return rc;
}

static int login_failed_tx(struct db *db, struct login_ctx *c) {
  struct user anonymous;
  json_t *data = NULL;
  int account_locked = 0, address_locked = 0, rc = 0;
  if (c->k->account[0] &&
      (rc = count_failure(&account_locked, db, c->k->account, SESSION_ACCOUNT_FAILURES, c->now)))
    goto done;
  if (c->k->address[0] &&
      (rc = count_failure(&address_locked, db, c->k->address, SESSION_ADDRESS_FAILURES, c->now)))
    goto done;
  /* The e-mail as counted (lower case), or as typed when it cannot be an
   * account's and is printable; never the password. */
  const char *email = c->k->account[0] ? c->k->account + 8 : "";
  if (!email[0] && c->email && strlen(c->email) <= 254 && text_valid_utf8(c->email, strlen(c->email)))
    email = c->email;
  data = json_pack("{s:s, s:s?, s:b, s:b}", "email", email, "address",
                   c->k->address[0] ? c->k->address + 8 : NULL, "account_locked", account_locked,
                   "address_locked", address_locked);
  user_system(&anonymous, "anonyme");
  rc = journal_append_at(db, &anonymous, 0, "session.login_failed", data, c->now);
done:
  json_decref(data);
  return rc;
}

/* One transaction for the outcome of a login attempt: the lock is checked
 * again (a concurrent attempt may have set it while the password was being
 * checked), then the session or the failure is recorded. */
static int login_tx(struct db *db, void *arg) {
  struct login_ctx *c = arg;
  int rc = lock_of(&c->until, &c->account, db, c->k, c->now);
  if (rc) goto done;
  c->refused = c->until != 0;
  if (c->refused) goto done; /* refused like any attempt during the lock: nothing written */
  rc = c->ok ? login_ok_tx(db, c) : login_failed_tx(db, c);
done:
  return rc;
}

int session_login(char token[SESSION_TOKEN_SIZE], char csrf[SESSION_CSRF_SIZE], struct user *who,
                  struct db *db, const char *email, const char *password, const char *address,
                  int64_t now) {
  struct keys k;
  struct login_ctx c;
  unsigned char raw[32], digest[crypto_hash_sha256_BYTES];
  char hex[SESSION_TOKEN_SIZE], secret[SESSION_CSRF_SIZE], failure[512];
  int rc;
  token[0] = csrf[0] = 0;
  memset(who, 0, sizeof *who);
  memset(&c, 0, sizeof c);
  keys_of(&k, email, address);
  c.k = &k;
  c.email = email;
  c.now = now;
  /* Locked: refuse before spending the cost of a password check. */
  if ((rc = lock_of(&c.until, &c.account, db, &k, now))) goto done;
  if (c.until) {
    rc = too_many(c.account, c.until, now);
    goto done;
  }
  rc = user_login(&c.who, db, email, password);
  if (rc && rc != ERR_UNAUTH) goto done;
  c.ok = rc == 0;
  snprintf(failure, sizeof failure, "%s", rc ? err_msg() : "");
  if (c.ok) {
    if (sodium_init() < 0) {
      rc = err_set(ERR_INTERNAL, NULL, "libsodium indisponible");
      goto done;
    }
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
    crypto_hash_sha256(digest, (const unsigned char *)hex, HEX_LEN);
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(secret, sizeof secret, raw, sizeof raw);
    c.digest = digest;
    c.csrf = secret;
  }
  rc = db_write(db, login_tx, &c);
  if (rc) goto done;
  if (c.refused) rc = too_many(c.account, c.until, now);
  else if (!c.ok) rc = err_set(ERR_UNAUTH, NULL, "%s", failure);
  if (rc) goto done;
  memcpy(token, hex, SESSION_TOKEN_SIZE);
  memcpy(csrf, secret, SESSION_CSRF_SIZE);
  *who = c.who;
done:
  sodium_memzero(raw, sizeof raw);
  sodium_memzero(hex, sizeof hex);
  return rc;
}

/* The digest of a well-formed token (64 lower-case hexadecimal characters,
 * as session_login() makes them). Returns 1, or 0 for anything else. */
static int digest_of(unsigned char out[crypto_hash_sha256_BYTES], const char *token) {
  int ok = token != NULL && strnlen(token, HEX_LEN + 1) == HEX_LEN;
  for (int i = 0; ok && i < HEX_LEN; i++)
    ok = (token[i] >= '0' && token[i] <= '9') || (token[i] >= 'a' && token[i] <= 'f');
  if (ok) crypto_hash_sha256(out, (const unsigned char *)token, HEX_LEN);
  return ok;
}

struct refresh_ctx {
  int64_t id, now;
};

static int refresh_tx(struct db *db, void *arg) {
  struct refresh_ctx *c = arg;
  sqlite3_stmt *st;
  int rc = db_prepare(&st, db, "UPDATE session SET last_seen = ?1 WHERE id = ?2 AND last_seen < ?1");
  if (rc) goto done;
  sqlite3_bind_int64(st, 1, c->now);
  sqlite3_bind_int64(st, 2, c->id);
  int s = sqlite3_step(st);
  db_done(st);
  if (s != SQLITE_DONE) rc = db_fail(db, s, "mise à jour de la session");
done:
  return rc;
}

int session_get(struct user *who, char csrf[SESSION_CSRF_SIZE], struct db *db, const char *token,
                int64_t now) {
  static const char sql[] =
      "SELECT s.id, s.user, s.csrf, s.last_seen FROM session s JOIN user u ON u.id = s.user "
      "WHERE s.digest = ?1 AND u.disabled = 0 AND s.last_seen > ?2 AND s.created_at > ?3";
  unsigned char digest[crypto_hash_sha256_BYTES];
  char secret[SESSION_CSRF_SIZE] = "";
  struct refresh_ctx r = {0, now};
  int64_t user = 0, last_seen = 0;
  sqlite3_stmt *st;
  int rc = 0;
  memset(who, 0, sizeof *who);
  csrf[0] = 0;
  if (!digest_of(digest, token)) {
    rc = err_set(ERR_UNAUTH, NULL, "session expirée : reconnectez-vous");
    goto done;
  }
  if ((rc = db_prepare_static(&st, db, sql))) goto done;
  sqlite3_bind_blob(st, 1, digest, sizeof digest, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, now - SESSION_TTL_MS);
  sqlite3_bind_int64(st, 3, now - SESSION_MAX_MS);
  int s = sqlite3_step(st);
  if (s == SQLITE_ROW) {
    r.id = sqlite3_column_int64(st, 0);
    user = sqlite3_column_int64(st, 1);
    snprintf(secret, sizeof secret, "%s", db_col_text(st, 2) ? db_col_text(st, 2) : "");
    last_seen = sqlite3_column_int64(st, 3);
  } else if (s == SQLITE_DONE) {
    rc = err_set(ERR_UNAUTH, NULL, "session expirée : reconnectez-vous");
  } else {
    rc = db_fail(db, s, "lecture de la session");
  }
  db_done(st);
  if (rc) goto done;
  if ((rc = user_get(who, db, user))) {
    if (rc == ERR_NOTFOUND) rc = err_set(ERR_UNAUTH, NULL, "session expirée : reconnectez-vous");
    goto done;
  }
  if (now - last_seen >= SESSION_REFRESH_MS && (rc = db_write(db, refresh_tx, &r))) goto done;
  memcpy(csrf, secret, SESSION_CSRF_SIZE);
done:
  if (rc) memset(who, 0, sizeof *who);
  return rc;
}

struct logout_ctx {
  const unsigned char *digest;
  int64_t now;
};

static int logout_tx(struct db *db, void *arg) {
  struct logout_ctx *c = arg;
  sqlite3_stmt *st;
  struct user who;
  json_t *data = NULL;
  int64_t id = 0, user = 0;
  int rc = db_prepare(&st, db, "SELECT id, user FROM session WHERE digest = ?");
  if (rc) goto done;
  sqlite3_bind_blob(st, 1, c->digest, crypto_hash_sha256_BYTES, SQLITE_STATIC);
  int s = sqlite3_step(st);
  if (s == SQLITE_ROW) {
    id = sqlite3_column_int64(st, 0);
    user = sqlite3_column_int64(st, 1);
  } else if (s != SQLITE_DONE) {
    rc = db_fail(db, s, "lecture de la session");
  }
  db_done(st);
  if (rc || !id) goto done; /* unknown: nothing to end */
  if ((rc = user_get(&who, db, user))) goto done;
  if ((rc = db_prepare(&st, db, "DELETE FROM session WHERE id = ?"))) goto done;
  sqlite3_bind_int64(st, 1, id);
  s = sqlite3_step(st);
  db_done(st);
  if (s != SQLITE_DONE) {
    rc = db_fail(db, s, "fermeture de la session");
    goto done;
  }
  data = json_pack("{s:I}", "session", (json_int_t)id);
  rc = journal_append_at(db, &who, 0, "session.logout", data, c->now);
done:
  json_decref(data);
  return rc;
}

int session_logout(struct db *db, const char *token, int64_t now) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  struct logout_ctx c = {digest, now};
  int rc = 0;
  if (digest_of(digest, token)) rc = db_write(db, logout_tx, &c);
  return rc;
}

int session_check_csrf(const char *expected, const char *given) {
  int rc = 0;
  size_t n = expected ? strlen(expected) : 0;
  /* Lengths are public (always 64): only the content is compared in
   * constant time. */
  if (!n || !given || strlen(given) != n || sodium_memcmp(expected, given, n) != 0)
    rc = err_set(ERR_FORBIDDEN, NULL, "jeton de formulaire invalide ou absent : rechargez la page");
  return rc;
}

struct purge_ctx {
  int64_t now;
  int removed;
};

static int purge_tx(struct db *db, void *arg) {
  struct purge_ctx *c = arg;
  static const char *const sql[] = {
      "DELETE FROM session WHERE last_seen <= ?1 - ?2 OR created_at <= ?1 - ?3",
      "DELETE FROM login_failure WHERE window_start <= ?1 - ?2 AND (locked_until IS NULL OR locked_until <= ?1)",
  };
  int rc = 0;
  c->removed = 0;
  for (size_t i = 0; !rc && i < sizeof sql / sizeof sql[0]; i++) {
    sqlite3_stmt *st;
    if ((rc = db_prepare(&st, db, sql[i]))) break;
    sqlite3_bind_int64(st, 1, c->now);
    sqlite3_bind_int64(st, 2, i == 0 ? SESSION_TTL_MS : SESSION_WINDOW_MS);
    if (i == 0) sqlite3_bind_int64(st, 3, SESSION_MAX_MS);
    int s = sqlite3_step(st);
    if (s != SQLITE_DONE) rc = db_fail(db, s, "purge des sessions");
    else c->removed += sqlite3_changes(db_sqlite(db));
    db_done(st);
  }
  return rc;
}

int session_purge(int *removed, struct db *db, int64_t now) {
  struct purge_ctx c = {now, 0};
  int rc = db_write(db, purge_tx, &c);
  *removed = rc ? 0 : c.removed;
  return rc;
}
