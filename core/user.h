/* user — accounts, roles, password hashing (argon2id, libsodium) and API
 * tokens (random 256-bit, stored as a SHA-256 digest).
 *
 * A `struct user` is a plain value (no allocation): the acting identity passed
 * to every operation. The command line acts as the platform itself
 * (user_system()) unless told to act as a user. */
#ifndef APPUI_USER_H
#define APPUI_USER_H
#include <jansson.h>
#include <stdint.h>

struct db;

enum role { ROLE_REQUESTER, ROLE_AGENT, ROLE_HEAD, ROLE_COORDINATOR, ROLE_ADMIN };

struct user {
  int64_t id;             /* 0 for the platform / command line */
  enum role role;
  char email[256];        /* login, or the platform's label ("cli") */
  char name[256];
  char collectivity[16];  /* requester's collectivity code, else "" */
  int64_t org;            /* agent's or head's org id, else 0 */
  char org_slug[48];      /* that org's slug, else "" */
};

/* What is needed to create a user. Strings are borrowed. */
struct user_new {
  const char *email;
  const char *name;
  const char *role;         /* requester, agent, head, coordinator, admin */
  const char *collectivity; /* required for a requester, refused otherwise */
  const char *org;          /* org slug: required for agent and head, refused otherwise */
  const char *password;     /* NULL: the account cannot log in with a password */
};

/* Fills *out with the platform acting as an administrator, shown as `label`. */
void user_system(struct user *out, const char *label);

/* 1 for the coordination and administration accounts, which see every
 * request and coordinate the platform; 0 for the others. */
int user_coordinates(const struct user *u);

/* Role from its name; returns 0 or ERR_INVALID (field "role"). */
int user_role_parse(enum role *out, const char *name);

/* Name of a role ("requester"…), static. */
const char *user_role_name(enum role r);

/* French label of a role ("Demandeur"…), static. */
const char *user_role_label(enum role r);

/* Minimum password length in characters. */
#define USER_PASSWORD_MIN 12

/* Creates a user and journals `user.created`. Hashes the password first
 * (slow by design), outside the write transaction. Returns 0 and the new id,
 * or ERR_INVALID (field named), ERR_CONFLICT (e-mail taken), ERR_NOTFOUND
 * (collectivity or org unknown, field named) or a storage error. */
int user_add(int64_t *id, struct db *db, const struct user *actor, const struct user_new *n);

/* Loads the active user with this e-mail (case-insensitive). Returns 0,
 * ERR_NOTFOUND, or a storage error. */
int user_get_by_email(struct user *out, struct db *db, const char *email);

/* Loads the user with this id. Returns 0, ERR_NOTFOUND or a storage error. */
int user_get(struct user *out, struct db *db, int64_t id);

/* Replaces a user's password (journals `user.password_changed`).
 * Returns 0, ERR_INVALID, ERR_NOTFOUND or a storage error. */
int user_set_password(struct db *db, const struct user *actor, const char *email,
                      const char *password);

/* Checks an e-mail and password. Returns 0 and the user, or ERR_UNAUTH
 * (same message whether the account or the password is wrong). */
int user_login(struct user *out, struct db *db, const char *email, const char *password);

/* Creates an API token for the user with this e-mail and journals
 * `token.created`. *token receives the token text (free(); shown once, never
 * stored). Returns 0, ERR_NOTFOUND or a storage error. */
int user_token_create(char **token, struct db *db, const struct user *actor, const char *email,
                      const char *label);

/* Authenticates a bearer token. Returns 0 and its user, or ERR_UNAUTH. */
int user_token_auth(struct user *out, struct db *db, const char *token);

/* All users as a JSON array (new reference), ordered by e-mail.
 * Returns 0 or a storage error. */
int user_list(json_t **out, struct db *db);

/* A user as a JSON object (new reference; never the password hash). */
json_t *user_to_json(const struct user *u);

#endif
