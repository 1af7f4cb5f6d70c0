/* session — browser sessions of the web pages: login by e-mail and
 * password, the session token kept in a cookie, its CSRF token, expiry,
 * logout, and the throttling of failed logins per account and per client
 * address.
 *
 * A session token is 256 random bits written as 64 lower-case hexadecimal
 * characters; the store keeps only its SHA-256 digest (like API tokens, see
 * user.h). Each session also has a random CSRF token that every form of the
 * session must echo. A session ends SESSION_TTL_MS after its last use or
 * SESSION_MAX_MS after the login, whichever comes first; a login always
 * makes a new session (new token).
 *
 * Failed logins are counted per account ("account:<e-mail in lower case>",
 * counted the same whether the account exists or not) and per client
 * address ("address:<ip>"): SESSION_ACCOUNT_FAILURES failures within
 * SESSION_WINDOW_MS lock the account, SESSION_ADDRESS_FAILURES lock the
 * address, for SESSION_LOCK_MS; while locked, logins are refused before the
 * password is checked. A successful login clears the account's counter (not
 * the address's).
 *
 * Times are UTC epoch milliseconds given by the caller (`now`). Nothing here
 * allocates. */
#ifndef APPUI_SESSION_H
#define APPUI_SESSION_H
#include <stdint.h>

struct db;
struct user;

/* Sizes of the token buffers: 64 hexadecimal characters and a NUL. */
#define SESSION_TOKEN_SIZE 65
#define SESSION_CSRF_SIZE 65

/* A session ends after 8 hours without use… */
#define SESSION_TTL_MS (8LL * 3600 * 1000)
/* …and 7 days after the login in any case. */
#define SESSION_MAX_MS (7LL * 24 * 3600 * 1000)
/* last_seen is written at most once per this interval (writes are precious). */
#define SESSION_REFRESH_MS (60LL * 1000)

/* Throttling: failures counted within a window, limit per key, lock length. */
#define SESSION_WINDOW_MS (15LL * 60 * 1000)
#define SESSION_ACCOUNT_FAILURES 5
#define SESSION_ADDRESS_FAILURES 20
#define SESSION_LOCK_MS (15LL * 60 * 1000)

/* Logs in with an e-mail (any case) and a password from the client address
 * `address` (NULL or "" when unknown: then only the account is throttled).
 * Checks the throttling first: ERR_TOOMANY, with a message saying when to
 * retry, while the account or the address is locked (nothing is written and
 * the password is not checked). Then checks the password (slow by design,
 * outside any transaction) and, in one transaction:
 * - on success, stores a new session, clears the account's failure counter,
 *   journals `session.login`, and returns 0 with the token (for the
 *   cookie; never stored), the session's CSRF token and the user;
 * - on failure, counts it for the account and the address (locking them at
 *   the limit), journals `session.login_failed` (e-mail and address, never
 *   the password) and returns ERR_UNAUTH with the same message whether the
 *   e-mail is unknown or the password wrong.
 * On any error `token` and `csrf` are "" and *who is zeroed. Other errors:
 * storage errors. */
int session_login(char token[SESSION_TOKEN_SIZE], char csrf[SESSION_CSRF_SIZE], struct user *who,
                  struct db *db, const char *email, const char *password, const char *address,
                  int64_t now);

/* The session of `token` (from the cookie; may be NULL). Returns 0 with the
 * session's account, loaded now (a disabled account is refused at once, a
 * changed one is seen at once), and the session's CSRF token; writes
 * last_seen when it is older than SESSION_REFRESH_MS, else writes nothing
 * and takes no write lock. Returns ERR_UNAUTH ("session expirée :
 * reconnectez-vous") for a malformed, unknown or expired token (the base is
 * not touched: expired rows go with session_purge()), or a storage error.
 * On error `csrf` is "" and *who is zeroed. */
int session_get(struct user *who, char csrf[SESSION_CSRF_SIZE], struct db *db, const char *token,
                int64_t now);

/* Ends the session of `token` (deletes it and journals `session.logout`).
 * Returns 0, also when the token is unknown or malformed (nothing done), or
 * a storage error. */
int session_logout(struct db *db, const char *token, int64_t now);

/* Compares the CSRF token of the session (`expected`) with the one a form
 * sent (`given`), in constant time. Returns 0 when equal, ERR_FORBIDDEN
 * when `given` is missing, empty or different (or `expected` is empty). */
int session_check_csrf(const char *expected, const char *given);

/* Deletes the expired sessions and the failure counters whose window and
 * lock are over. Returns 0 and in *removed the number of rows deleted
 * (sessions and counters together), or a storage error. Not journaled:
 * these rows no longer mean anything. */
int session_purge(int *removed, struct db *db, int64_t now);

#endif
