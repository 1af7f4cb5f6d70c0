/* user — accounts, roles, passwords and API tokens (see user.h). */
#include "user.h"
#include "clock.h"
#include "db.h"
#include "err.h"
#include "journal.h"
#include "text.h"
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
  const char *name, *label;
} roles[] = {
    [ROLE_REQUESTER] = {"requester", "Demandeur"},
    [ROLE_AGENT] = {"agent", "Agent"},
    [ROLE_HEAD] = {"head", "Chef·fe de service"},
    [ROLE_COORDINATOR] = {"coordinator", "Coordination"},
    [ROLE_ADMIN] = {"admin", "Administration"},
};

#define TOKEN_PREFIX "appui_"

void user_system(struct user *out, const char *label) {
  memset(out, 0, sizeof *out);
  out->role = ROLE_ADMIN;
  snprintf(out->email, sizeof out->email, "%s", label);
  snprintf(out->name, sizeof out->name, "%s", label);
}

int user_role_parse(enum role *out, const char *name) {
  for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
    if (name && strcmp(name, roles[i].name) == 0) {
      *out = (enum role)i;
      return 0;
    }
  return err_set(ERR_INVALID, "role",
                 "rôle inconnu : « %s » (requester, agent, head, coordinator ou admin)",
                 name ? name : "");
}

const char *user_role_name(enum role r) { return roles[r].name; }
const char *user_role_label(enum role r) { return roles[r].label; }

static int hash_password(char out[crypto_pwhash_STRBYTES], const char *password) {
  if (!password) return 0;
  if (!text_valid_utf8(password, strlen(password)))
    return err_set(ERR_INVALID, "password", "mot de passe : texte invalide");
  if (text_chars(password) < USER_PASSWORD_MIN)
    return err_set(ERR_INVALID, "password", "mot de passe : %d caractères au moins",
                   USER_PASSWORD_MIN);
  if (strlen(password) > 1024)
    return err_set(ERR_INVALID, "password", "mot de passe : 1024 octets au plus");
  if (sodium_init() < 0) return err_set(ERR_INTERNAL, NULL, "libsodium indisponible");
  if (crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    return err_set(ERR_NOMEM, NULL, "mémoire insuffisante pour le hachage du mot de passe");
  return 0;
}

struct add_ctx {
  const struct user *actor;
  const struct user_new *n;
  enum role role;
  const char *hash;
  int64_t id;
};

static int add_tx(struct db *db, void *arg) {
  struct add_ctx *c = arg;
  sqlite3_stmt *st;
  int64_t org = 0, dummy;
  int rc = 0;
  if (c->n->collectivity) {
    rc = db_int_for(&dummy, db, "SELECT 1 FROM collectivity WHERE code = ?", c->n->collectivity);
    if (rc == ERR_NOTFOUND)
      return err_set(ERR_NOTFOUND, "collectivity", "collectivité inconnue : %s", c->n->collectivity);
    if (rc) return rc;
  }
  if (c->n->org) {
    rc = db_int_for(&org, db, "SELECT id FROM org WHERE slug = ?", c->n->org);
    if (rc == ERR_NOTFOUND)
      return err_set(ERR_NOTFOUND, "org", "structure inconnue : %s", c->n->org);
    if (rc) return rc;
  }
  rc = db_int_for(&dummy, db, "SELECT 1 FROM user WHERE email = ?", c->n->email);
  if (rc == 0) return err_set(ERR_CONFLICT, "email", "un compte existe déjà pour %s", c->n->email);
  if (rc != ERR_NOTFOUND) return rc;
  rc = db_prepare(&st, db,
                  "INSERT INTO user (email, name, role, collectivity, org, password_hash, created_at) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?)");
  if (rc) return rc;
  db_bind_text(st, 1, c->n->email);
  db_bind_text(st, 2, c->n->name);
  db_bind_text(st, 3, roles[c->role].name);
  db_bind_text(st, 4, c->n->collectivity);
  if (org) sqlite3_bind_int64(st, 5, org);
  db_bind_text(st, 6, c->hash);
  sqlite3_bind_int64(st, 7, clock_now_ms());
  int s = sqlite3_step(st);
  db_done(st);
  if (s != SQLITE_DONE) return db_fail(db, s, "création du compte");
  c->id = sqlite3_last_insert_rowid(db_sqlite(db));
  json_t *data = json_pack("{s:s, s:s, s:s?, s:s?}", "email", c->n->email, "role",
                           roles[c->role].name, "collectivity", c->n->collectivity, "org", c->n->org);
  rc = journal_append(db, c->actor, 0, "user.created", data);
  json_decref(data);
  return rc;
}

int user_add(int64_t *id, struct db *db, const struct user *actor, const struct user_new *n) {
  struct add_ctx c = {actor, n, ROLE_REQUESTER, NULL, 0};
  char hash[crypto_pwhash_STRBYTES];
  int rc;
  if (actor->role != ROLE_ADMIN)
    return err_set(ERR_FORBIDDEN, NULL, "seule l'administration peut créer des comptes");
  if (!text_is_email(n->email))
    return err_set(ERR_INVALID, "email", "adresse e-mail invalide : « %s »", n->email ? n->email : "");
  if ((rc = text_check_field(n->name, "name", "nom", 200))) return rc;
  if ((rc = user_role_parse(&c.role, n->role))) return rc;
  if (c.role == ROLE_REQUESTER && !n->collectivity)
    return err_set(ERR_INVALID, "collectivity",
                   "un compte demandeur doit être rattaché à une collectivité (--collectivity CODE)");
  if (c.role != ROLE_REQUESTER && n->collectivity)
    return err_set(ERR_INVALID, "collectivity", "seul un compte demandeur se rattache à une collectivité");
  if ((c.role == ROLE_AGENT || c.role == ROLE_HEAD) && !n->org)
    return err_set(ERR_INVALID, "org", "un compte agent ou chef·fe de service doit être rattaché à une structure (--org SLUG)");
  if (c.role != ROLE_AGENT && c.role != ROLE_HEAD && n->org)
    return err_set(ERR_INVALID, "org", "seuls les agents et chef·fes de service se rattachent à une structure");
  if (n->password) {
    if ((rc = hash_password(hash, n->password))) return rc;
    c.hash = hash;
  }
  rc = db_write(db, add_tx, &c);
  if (rc == 0) *id = c.id;
  return rc;
}

#define USER_COLUMNS                                                                           \
  "SELECT u.id, u.email, u.name, u.role, u.collectivity, u.org, o.slug, u.password_hash "     \
  "FROM user u LEFT JOIN org o ON o.id = u.org "

static void fill(struct user *out, sqlite3_stmt *st) {
  memset(out, 0, sizeof *out);
  out->id = sqlite3_column_int64(st, 0);
  snprintf(out->email, sizeof out->email, "%s", db_col_text(st, 1));
  snprintf(out->name, sizeof out->name, "%s", db_col_text(st, 2));
  enum role r = ROLE_REQUESTER;
  user_role_parse(&r, db_col_text(st, 3));
  out->role = r;
  const char *coll = db_col_text(st, 4);
  if (coll) snprintf(out->collectivity, sizeof out->collectivity, "%s", coll);
  out->org = sqlite3_column_int64(st, 5);
  const char *slug = db_col_text(st, 6);
  if (slug) snprintf(out->org_slug, sizeof out->org_slug, "%s", slug);
}

static int get_one(struct user *out, struct db *db, const char *sql, const char *text, int64_t num,
                   char *hash_out) {
  sqlite3_stmt *st;
  int rc = db_prepare(&st, db, sql);
  if (rc) return rc;
  if (text) db_bind_text(st, 1, text);
  else sqlite3_bind_int64(st, 1, num);
  int s = sqlite3_step(st);
  if (s == SQLITE_ROW) {
    fill(out, st);
    if (hash_out) {
      const char *h = db_col_text(st, 7);
      snprintf(hash_out, crypto_pwhash_STRBYTES, "%s", h ? h : "");
    }
  } else if (s == SQLITE_DONE) {
    rc = err_set(ERR_NOTFOUND, "email", "compte inconnu : %s", text ? text : "");
  } else {
    rc = db_fail(db, s, "lecture d'un compte");
  }
  db_done(st);
  return rc;
}

int user_get_by_email(struct user *out, struct db *db, const char *email) {
  return get_one(out, db, USER_COLUMNS "WHERE u.email = ? AND u.disabled = 0", email, 0, NULL);
}

int user_get(struct user *out, struct db *db, int64_t id) {
  return get_one(out, db, USER_COLUMNS "WHERE u.id = ?", NULL, id, NULL);
}

struct pw_ctx {
  const struct user *actor;
  const char *email, *hash;
};

static int set_password_tx(struct db *db, void *arg) {
  struct pw_ctx *c = arg;
  struct user u;
  int rc = user_get_by_email(&u, db, c->email);
  if (rc) return rc;
  sqlite3_stmt *st;
  if ((rc = db_prepare(&st, db, "UPDATE user SET password_hash = ? WHERE id = ?"))) return rc;
  db_bind_text(st, 1, c->hash);
  sqlite3_bind_int64(st, 2, u.id);
  int s = sqlite3_step(st);
  db_done(st);
  if (s != SQLITE_DONE) return db_fail(db, s, "changement de mot de passe");
  json_t *data = json_pack("{s:s}", "email", u.email);
  rc = journal_append(db, c->actor, 0, "user.password_changed", data);
  json_decref(data);
  return rc;
}

int user_set_password(struct db *db, const struct user *actor, const char *email,
                      const char *password) {
  char hash[crypto_pwhash_STRBYTES];
  if (!password) return err_set(ERR_INVALID, "password", "mot de passe : champ obligatoire");
  if (actor->role != ROLE_ADMIN && strcasecmp(actor->email, email ? email : "") != 0)
    return err_set(ERR_FORBIDDEN, NULL, "seule l'administration peut changer le mot de passe d'un autre compte");
  int rc = hash_password(hash, password);
  if (rc) return rc;
  struct pw_ctx c = {actor, email, hash};
  return db_write(db, set_password_tx, &c);
}

int user_login(struct user *out, struct db *db, const char *email, const char *password) {
  char hash[crypto_pwhash_STRBYTES];
  int rc = get_one(out, db, USER_COLUMNS "WHERE u.email = ? AND u.disabled = 0", email ? email : "",
                   0, hash);
  if (rc && rc != ERR_NOTFOUND) return rc;
  if (sodium_init() < 0) return err_set(ERR_INTERNAL, NULL, "libsodium indisponible");
  if (rc == 0 && hash[0] && password &&
      crypto_pwhash_str_verify(hash, password, strlen(password)) == 0)
    return 0;
  if (rc == ERR_NOTFOUND || !hash[0]) /* spend the time of a wrong password: no account oracle */
    if (crypto_pwhash_str(hash, "-", 1, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
      hash[0] = 0;
  memset(out, 0, sizeof *out);
  return err_set(ERR_UNAUTH, NULL, "adresse e-mail ou mot de passe incorrect");
}

static void digest_of(unsigned char out[crypto_hash_sha256_BYTES], const char *token) {
  crypto_hash_sha256(out, (const unsigned char *)token, strlen(token));
}

struct token_ctx {
  const struct user *actor;
  const char *email, *label;
  const unsigned char *digest;
};

static int token_tx(struct db *db, void *arg) {
  struct token_ctx *c = arg;
  struct user u;
  int rc = user_get_by_email(&u, db, c->email);
  if (rc) return rc;
  sqlite3_stmt *st;
  rc = db_prepare(&st, db, "INSERT INTO api_token (user, digest, label, created_at) VALUES (?, ?, ?, ?)");
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, u.id);
  sqlite3_bind_blob(st, 2, c->digest, crypto_hash_sha256_BYTES, SQLITE_STATIC);
  db_bind_text(st, 3, c->label ? c->label : "");
  sqlite3_bind_int64(st, 4, clock_now_ms());
  int s = sqlite3_step(st);
  db_done(st);
  if (s != SQLITE_DONE) return db_fail(db, s, "création du jeton");
  json_t *data = json_pack("{s:s, s:s, s:I}", "email", u.email, "label", c->label ? c->label : "",
                           "token_id", (json_int_t)sqlite3_last_insert_rowid(db_sqlite(db)));
  rc = journal_append(db, c->actor, 0, "token.created", data);
  json_decref(data);
  return rc;
}

int user_token_create(char **token, struct db *db, const struct user *actor, const char *email,
                      const char *label) {
  unsigned char raw[32], digest[crypto_hash_sha256_BYTES];
  char hex[65];
  *token = NULL;
  if (actor->role != ROLE_ADMIN && strcasecmp(actor->email, email ? email : "") != 0)
    return err_set(ERR_FORBIDDEN, NULL, "seule l'administration peut créer un jeton pour un autre compte");
  if (label && (!text_valid_utf8(label, strlen(label)) || text_chars(label) > 200))
    return err_set(ERR_INVALID, "label", "libellé du jeton invalide (200 caractères au plus)");
  if (sodium_init() < 0) return err_set(ERR_INTERNAL, NULL, "libsodium indisponible");
  randombytes_buf(raw, sizeof raw);
  sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
  size_t n = strlen(TOKEN_PREFIX) + 64 + 1;
  char *t = malloc(n);
  if (!t) return err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
  snprintf(t, n, TOKEN_PREFIX "%s", hex);
  digest_of(digest, t);
  struct token_ctx c = {actor, email, label, digest};
  int rc = db_write(db, token_tx, &c);
  if (rc) {
    free(t);
    return rc;
  }
  *token = t;
  return 0;
}

int user_token_auth(struct user *out, struct db *db, const char *token) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  if (!token || strncmp(token, TOKEN_PREFIX, strlen(TOKEN_PREFIX)) != 0 ||
      strlen(token) != strlen(TOKEN_PREFIX) + 64)
    return err_set(ERR_UNAUTH, NULL, "jeton d'accès invalide");
  digest_of(digest, token);
  sqlite3_stmt *st;
  int rc = db_prepare_static(&st, db,
                             USER_COLUMNS "JOIN api_token t ON t.user = u.id "
                                   "WHERE t.digest = ? AND t.revoked_at IS NULL AND u.disabled = 0");
  if (rc) return rc;
  sqlite3_bind_blob(st, 1, digest, sizeof digest, SQLITE_STATIC);
  int s = sqlite3_step(st);
  if (s == SQLITE_ROW) fill(out, st);
  else if (s == SQLITE_DONE) rc = err_set(ERR_UNAUTH, NULL, "jeton d'accès inconnu ou révoqué");
  else rc = db_fail(db, s, "vérification du jeton");
  db_done(st);
  return rc;
}

int user_coordinates(const struct user *u) { return u->role == ROLE_COORDINATOR || u->role == ROLE_ADMIN; }

json_t *user_to_json(const struct user *u) {
  return json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?}", "email", u->email, "name", u->name, "role",
                   user_role_name(u->role), "role_label", user_role_label(u->role), "collectivity",
                   u->collectivity[0] ? u->collectivity : NULL, "org",
                   u->org_slug[0] ? u->org_slug : NULL);
}

int user_list(json_t **out, struct db *db) {
  sqlite3_stmt *st;
  *out = NULL;
  int rc = db_prepare(&st, db, USER_COLUMNS "WHERE u.disabled = 0 ORDER BY u.email");
  if (rc) return rc;
  json_t *arr = json_array();
  int s;
  while ((s = sqlite3_step(st)) == SQLITE_ROW) {
    struct user u;
    fill(&u, st);
    json_array_append_new(arr, user_to_json(&u));
  }
  if (s != SQLITE_DONE) {
    rc = db_fail(db, s, "liste des comptes");
    json_decref(arr);
    arr = NULL;
  }
  db_done(st);
  *out = arr;
  return rc;
}
