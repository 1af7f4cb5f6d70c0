/* perimeter — sets of communes and containment (see perimeter.h). */
#include "perimeter.h"
#include "db.h"
#include "err.h"
#include "journal.h"
#include "text.h"
#include "user.h"
#include <stdio.h>
#include <string.h>

static int lookup(int64_t *id, struct db *db, const char *kind, const char *ref) {
  sqlite3_stmt *st;
  int rc = db_prepare(&st, db, "SELECT id FROM perimeter WHERE kind = ? AND ref = ?");
  if (rc) return rc;
  db_bind_text(st, 1, kind);
  db_bind_text(st, 2, ref);
  int s = sqlite3_step(st);
  if (s == SQLITE_ROW) *id = sqlite3_column_int64(st, 0);
  else if (s == SQLITE_DONE) rc = ERR_NOTFOUND;
  else rc = db_fail(db, s, "lecture d'un périmètre");
  db_done(st);
  return rc;
}

int perimeter_resolve(int64_t *id, struct db *db, const char *spec, const char *field) {
  char kind[16];
  const char *colon = spec ? strchr(spec, ':') : NULL;
  if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof kind || !colon[1])
    return err_set(ERR_INVALID, field,
                   "périmètre invalide : « %s » (attendu departement:31, epci:SIREN, commune:INSEE ou adhoc:SLUG)",
                   spec ? spec : "");
  memcpy(kind, spec, (size_t)(colon - spec));
  kind[colon - spec] = 0;
  const char *ref = colon + 1;
  int rc = lookup(id, db, kind, ref);
  if (rc != ERR_NOTFOUND) return rc;
  char name[320];
  sqlite3_stmt *st;
  if (strcmp(kind, "adhoc") == 0)
    return err_set(ERR_NOTFOUND, field, "périmètre inconnu : %s (créez-le avec « appui perimeter add »)", spec);
  if (strcmp(kind, "departement") == 0) {
    rc = db_prepare(&st, db, "SELECT name FROM departement WHERE code = ?");
  } else if (strcmp(kind, "epci") == 0 || strcmp(kind, "commune") == 0) {
    rc = db_prepare(&st, db, strcmp(kind, "epci") == 0
                                 ? "SELECT name FROM collectivity WHERE code = ? AND kind = 'epci'"
                                 : "SELECT name FROM collectivity WHERE code = ? AND kind = 'commune'");
  } else {
    return err_set(ERR_INVALID, field, "type de périmètre inconnu : « %s » (departement, epci, commune ou adhoc)",
                   kind);
  }
  if (rc) return rc;
  db_bind_text(st, 1, ref);
  int s = sqlite3_step(st);
  if (s == SQLITE_ROW) snprintf(name, sizeof name, "%s", db_col_text(st, 0));
  db_done(st);
  if (s == SQLITE_DONE)
    return err_set(ERR_NOTFOUND, field, "périmètre : %s %s inconnu (importez le territoire d'abord)", kind, ref);
  if (s != SQLITE_ROW) return db_fail(db, s, "lecture d'un périmètre");
  rc = db_prepare(&st, db, "INSERT INTO perimeter (kind, ref, name) VALUES (?, ?, ?)");
  if (rc) return rc;
  db_bind_text(st, 1, kind);
  db_bind_text(st, 2, ref);
  db_bind_text(st, 3, name);
  s = sqlite3_step(st);
  db_done(st);
  if (s != SQLITE_DONE) return db_fail(db, s, "création d'un périmètre");
  *id = sqlite3_last_insert_rowid(db_sqlite(db));
  return 0;
}

struct create_ctx {
  const struct user *actor;
  const char *slug, *name;
  const char *const *codes;
  int n;
  int64_t id;
};

static int create_tx(struct db *db, void *arg) {
  struct create_ctx *c = arg;
  int64_t existing;
  int rc = lookup(&existing, db, "adhoc", c->slug);
  if (rc == 0) return err_set(ERR_CONFLICT, "slug", "le périmètre %s existe déjà", c->slug);
  if (rc != ERR_NOTFOUND) return rc;
  sqlite3_stmt *st;
  if ((rc = db_prepare(&st, db, "INSERT INTO perimeter (kind, ref, name) VALUES ('adhoc', ?, ?)"))) return rc;
  db_bind_text(st, 1, c->slug);
  db_bind_text(st, 2, c->name);
  int s = sqlite3_step(st);
  db_done(st);
  if (s != SQLITE_DONE) return db_fail(db, s, "création d'un périmètre");
  c->id = sqlite3_last_insert_rowid(db_sqlite(db));
  json_t *members = json_array();
  for (int i = 0; i < c->n && !rc; i++) {
    int64_t one;
    rc = db_int_for(&one, db, "SELECT 1 FROM collectivity WHERE code = ? AND kind = 'commune'", c->codes[i]);
    if (rc == ERR_NOTFOUND) {
      rc = err_set(ERR_NOTFOUND, "communes", "commune inconnue : « %s »", c->codes[i]);
      break;
    }
    if (rc) break;
    if ((rc = db_prepare(&st, db, "INSERT OR IGNORE INTO perimeter_member (perimeter, commune) VALUES (?, ?)")))
      break;
    sqlite3_bind_int64(st, 1, c->id);
    db_bind_text(st, 2, c->codes[i]);
    s = sqlite3_step(st);
    db_done(st);
    if (s != SQLITE_DONE) rc = db_fail(db, s, "création d'un périmètre");
    json_array_append_new(members, json_string(c->codes[i]));
  }
  if (!rc) {
    json_t *data = json_pack("{s:s, s:s, s:o}", "slug", c->slug, "name", c->name, "communes", members);
    rc = journal_append(db, c->actor, 0, "perimeter.created", data);
    json_decref(data);
  } else {
    json_decref(members);
  }
  return rc;
}

int perimeter_create(int64_t *id, struct db *db, const struct user *actor, const char *slug,
                     const char *name, const char *const *codes, int n) {
  int rc;
  if (!user_coordinates(actor))
    return err_set(ERR_FORBIDDEN, NULL, "seules l'administration et la coordination gèrent les périmètres");
  if (!text_is_slug(slug))
    return err_set(ERR_INVALID, "slug", "identifiant invalide : « %s » (2 à 40 caractères a-z, 0-9 et -)",
                   slug ? slug : "");
  if ((rc = text_check_field(name, "name", "nom", 200))) return rc;
  if (n < 1) return err_set(ERR_INVALID, "communes", "un périmètre ad hoc compte au moins une commune");
  struct create_ctx c = {actor, slug, name, codes, n, 0};
  rc = db_write(db, create_tx, &c);
  if (!rc) *id = c.id;
  return rc;
}

int perimeter_contains(int *inside, struct db *db, int64_t id, const char *commune) {
  sqlite3_stmt *st;
  *inside = 0;
  /* Each branch is a primary-key lookup: the perimeter row, then the commune
   * row (commune, EPCI, département) or the membership row (ad hoc). */
  int rc = db_prepare(&st, db,
                      "SELECT p.kind, CASE p.kind "
                      " WHEN 'commune' THEN p.ref = ?2 "
                      " WHEN 'epci' THEN EXISTS (SELECT 1 FROM collectivity c WHERE c.code = ?2 AND c.epci = p.ref) "
                      " WHEN 'departement' THEN EXISTS (SELECT 1 FROM collectivity c WHERE c.code = ?2 "
                      "   AND c.kind = 'commune' AND c.departement = p.ref) "
                      " ELSE EXISTS (SELECT 1 FROM perimeter_member m WHERE m.perimeter = p.id AND m.commune = ?2) "
                      "END FROM perimeter p WHERE p.id = ?1");
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, id);
  db_bind_text(st, 2, commune);
  int s = sqlite3_step(st);
  if (s == SQLITE_ROW) *inside = sqlite3_column_int(st, 1);
  else if (s == SQLITE_DONE) rc = err_set(ERR_NOTFOUND, "perimeter", "périmètre inconnu : %lld", (long long)id);
  else rc = db_fail(db, s, "lecture d'un périmètre");
  db_done(st);
  return rc;
}

json_t *perimeter_to_json(struct db *db, int64_t id, int *rc) {
  sqlite3_stmt *st;
  json_t *o = NULL;
  if ((*rc = db_prepare(&st, db, "SELECT kind, ref, name FROM perimeter WHERE id = ?"))) return NULL;
  sqlite3_bind_int64(st, 1, id);
  int s = sqlite3_step(st);
  if (s == SQLITE_ROW) {
    char spec[128];
    snprintf(spec, sizeof spec, "%s:%s", db_col_text(st, 0), db_col_text(st, 1));
    o = json_pack("{s:s, s:s, s:s, s:s}", "spec", spec, "kind", db_col_text(st, 0), "ref",
                  db_col_text(st, 1), "name", db_col_text(st, 2));
  } else if (s == SQLITE_DONE) {
    *rc = err_set(ERR_NOTFOUND, "perimeter", "périmètre inconnu");
  } else {
    *rc = db_fail(db, s, "lecture d'un périmètre");
  }
  db_done(st);
  return o;
}

int perimeter_list(json_t **out, struct db *db) {
  sqlite3_stmt *st;
  *out = NULL;
  int rc = db_prepare(&st, db,
                      "SELECT p.kind || ':' || p.ref, p.kind, p.ref, p.name, CASE p.kind "
                      " WHEN 'commune' THEN 1 "
                      " WHEN 'epci' THEN (SELECT count(*) FROM collectivity c WHERE c.epci = p.ref) "
                      " WHEN 'departement' THEN (SELECT count(*) FROM collectivity c WHERE c.departement = p.ref "
                      "   AND c.kind = 'commune') "
                      " ELSE (SELECT count(*) FROM perimeter_member m WHERE m.perimeter = p.id) END "
                      "FROM perimeter p ORDER BY p.kind, p.name");
  if (rc) return rc;
  json_t *arr = json_array();
  int s;
  while ((s = sqlite3_step(st)) == SQLITE_ROW)
    json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:I}", "spec", db_col_text(st, 0), "kind",
                                         db_col_text(st, 1), "ref", db_col_text(st, 2), "name",
                                         db_col_text(st, 3), "communes",
                                         (json_int_t)sqlite3_column_int64(st, 4)));
  if (s != SQLITE_DONE) {
    rc = db_fail(db, s, "liste des périmètres");
    json_decref(arr);
    arr = NULL;
  }
  db_done(st);
  *out = arr;
  return rc;
}
