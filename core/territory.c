/* territory — referential import and lookups (see territory.h). */
#include "territory.h"
#include "buf.h"
#include "db.h"
#include "err.h"
#include "journal.h"
#include "progress.h"
#include "user.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int load(json_t **out, const char *dir, const char *name) {
  struct buf path = BUF_INIT;
  int rc = buf_printf(&path, "%s/%s", dir, name);
  if (rc) return rc;
  json_error_t e;
  *out = json_load_file(buf_str(&path), 0, &e);
  if (!*out) {
    if (e.line < 0 || strstr(e.text, "unable to open"))
      rc = err_set(ERR_IO, "source", "fichier introuvable ou illisible : %s (le paquet npm "
                   "@etalab/decoupage-administratif est-il installé ?)", buf_str(&path));
    else
      rc = err_set(ERR_MALFORMED, "source", "%s : JSON invalide ligne %d : %s", buf_str(&path),
                   e.line, e.text);
  } else if (!json_is_array(*out)) {
    rc = err_set(ERR_MALFORMED, "source", "%s : un tableau JSON est attendu", buf_str(&path));
    json_decref(*out);
    *out = NULL;
  }
  buf_free(&path);
  return rc;
}

/* String member `key` of `o`, or NULL. */
static const char *jstr(const json_t *o, const char *key) {
  return json_string_value(json_object_get(o, key));
}

static int bad(const char *file, size_t i, const char *what) {
  return err_set(ERR_MALFORMED, "source", "%s : élément %zu : %s", file, i, what);
}

struct import {
  struct db *db;
  const struct user *actor;
  json_t *deps, *communes, *epcis;
  json_t *chosen;      /* set of chosen département codes (object used as a set) */
  json_t *epci_of;     /* commune code -> EPCI SIREN */
  const struct progress *progress;
  struct territory_stats *stats;
};

static int upsert_collectivity(struct import *im, const char *code, const char *kind,
                               const char *name, json_int_t population, int has_pop,
                               const char *dep, const char *epci, const char *epci_kind,
                               const char *siren) {
  sqlite3_stmt *st;
  struct db *db = im->db;
  int rc = db_prepare(&st, db,
                      "INSERT INTO collectivity (code, kind, name, population, departement, epci, epci_kind, siren) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
                      "ON CONFLICT (code) DO UPDATE SET kind = ?2, name = ?3, population = ?4, "
                      "departement = ?5, epci = ?6, epci_kind = ?7, siren = ?8 "
                      "WHERE (kind, name, population, departement, epci, epci_kind, siren) "
                      "IS NOT (?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  if (rc) return rc;
  int64_t before = sqlite3_total_changes64(db_sqlite(db));
  int64_t exists = 0;
  rc = db_int_for(&exists, db, "SELECT 1 FROM collectivity WHERE code = ?", code);
  if (rc && rc != ERR_NOTFOUND) goto done;
  rc = 0;
  db_bind_text(st, 1, code);
  db_bind_text(st, 2, kind);
  db_bind_text(st, 3, name);
  if (has_pop) sqlite3_bind_int64(st, 4, population);
  db_bind_text(st, 5, dep);
  db_bind_text(st, 6, epci);
  db_bind_text(st, 7, epci_kind);
  db_bind_text(st, 8, siren);
  int s = sqlite3_step(st);
  if (s != SQLITE_DONE) {
    rc = db_fail(db, s, "import d'une collectivité");
    goto done;
  }
  if (sqlite3_total_changes64(db_sqlite(db)) > before) {
    if (exists) im->stats->updated++;
    else im->stats->inserted++;
  }
done:
  db_done(st);
  return rc;
}

static int import_departements(struct import *im, const char *const *codes, int n) {
  size_t i;
  json_t *d;
  /* Every requested code must exist. */
  for (int k = 0; k < n; k++) {
    int found = 0;
    json_array_foreach(im->deps, i, d) {
      const char *c = jstr(d, "code");
      if (c && strcmp(c, codes[k]) == 0) found = 1;
    }
    if (!found)
      return err_set(ERR_INVALID, "departement", "département inconnu : « %s » (exemples : 31, 2A, 971)",
                     codes[k]);
    json_object_set_new(im->chosen, codes[k], json_true());
  }
  sqlite3_stmt *st;
  int rc = db_prepare(&st, im->db,
                      "INSERT INTO departement (code, name, region) VALUES (?1, ?2, ?3) "
                      "ON CONFLICT (code) DO UPDATE SET name = ?2, region = ?3 "
                      "WHERE (name, region) IS NOT (?2, ?3)");
  if (rc) return rc;
  json_array_foreach(im->deps, i, d) {
    const char *code = jstr(d, "code"), *name = jstr(d, "nom"), *region = jstr(d, "region");
    if (!code || !name || !region) {
      rc = bad("departements.json", i, "code, nom ou region manquant");
      break;
    }
    /* All départements are stored (the list is small and names help display). */
    db_bind_text(st, 1, code);
    db_bind_text(st, 2, name);
    db_bind_text(st, 3, region);
    int s = sqlite3_step(st);
    sqlite3_reset(st);
    if (s != SQLITE_DONE) {
      rc = db_fail(im->db, s, "import d'un département");
      break;
    }
    if (n == 0) json_object_set_new(im->chosen, code, json_true());
    if (json_object_get(im->chosen, code)) im->stats->departements++;
  }
  db_done(st);
  return rc;
}

static int is_current_commune(const json_t *c) {
  const char *type = jstr(c, "type");
  return type && strcmp(type, "commune-actuelle") == 0;
}

static int import_epcis(struct import *im) {
  size_t i, j;
  json_t *e, *m;
  /* Department of each current commune, for choosing EPCI and their main département. */
  json_t *dep_of = json_object();
  int rc = 0;
  json_array_foreach(im->communes, i, e) {
    const char *code = jstr(e, "code"), *dep = jstr(e, "departement");
    if (!code || !jstr(e, "nom") || !json_is_string(json_object_get(e, "type"))) {
      rc = bad("communes.json", i, "code, nom ou type manquant");
      goto done;
    }
    if (is_current_commune(e) && dep) json_object_set_new(dep_of, code, json_string(dep));
  }
  json_array_foreach(im->epcis, i, e) {
    const char *siren = jstr(e, "code"), *name = jstr(e, "nom"), *kind = jstr(e, "type");
    json_t *members = json_object_get(e, "membres");
    if (!siren || !name || !kind || !json_is_array(members)) {
      rc = bad("epci.json", i, "code, nom, type ou membres manquant");
      goto done;
    }
    /* Kept when one member lies in a chosen département; its main
     * département is the one most of its members lie in. */
    int keep = 0;
    json_t *count = json_object();
    const char *main_dep = NULL;
    json_int_t best = 0;
    json_array_foreach(members, j, m) {
      const char *mc = jstr(m, "code");
      const char *dep = mc ? json_string_value(json_object_get(dep_of, mc)) : NULL;
      if (!dep) continue;
      if (json_object_get(im->chosen, dep)) keep = 1;
      json_int_t c = json_integer_value(json_object_get(count, dep)) + 1;
      json_object_set_new(count, dep, json_integer(c));
      if (c > best) {
        best = c;
        main_dep = json_string_value(json_object_get(dep_of, mc));
      }
    }
    if (keep) {
      json_t *pop = json_object_get(e, "populationTotale");
      rc = upsert_collectivity(im, siren, "epci", name, json_integer_value(pop), json_is_integer(pop),
                               main_dep, NULL, kind, NULL);
      if (rc == ERR_CONFLICT) {
        char why[512];
        snprintf(why, sizeof why, "%s", err_msg());
        rc = bad("epci.json", i, why);
      }
      im->stats->epcis++;
      json_array_foreach(members, j, m) {
        const char *mc = jstr(m, "code");
        if (mc) json_object_set_new(im->epci_of, mc, json_string(siren));
      }
    }
    json_decref(count);
    if (rc) goto done;
  }
done:
  json_decref(dep_of);
  return rc;
}

static int import_communes(struct import *im) {
  size_t i, j;
  json_t *c, *pc;
  int64_t total = 0, seen = 0;
  int rc = 0;
  json_array_foreach(im->communes, i, c) {
    const char *dep = jstr(c, "departement");
    if (is_current_commune(c) && dep && json_object_get(im->chosen, dep)) total++;
  }
  sqlite3_stmt *del = NULL, *ins = NULL;
  if ((rc = db_prepare(&del, im->db, "DELETE FROM postal_code WHERE commune = ? AND code NOT IN "
                                     "(SELECT value FROM json_each(?))")))
    return rc;
  if ((rc = db_prepare(&ins, im->db, "INSERT OR IGNORE INTO postal_code (commune, code) VALUES (?, ?)")))
    return rc;
  json_array_foreach(im->communes, i, c) {
    const char *dep = jstr(c, "departement");
    if (!is_current_commune(c) || !dep || !json_object_get(im->chosen, dep)) continue;
    const char *code = jstr(c, "code");
    json_t *pop = json_object_get(c, "population");
    const char *epci = json_string_value(json_object_get(im->epci_of, code));
    rc = upsert_collectivity(im, code, "commune", jstr(c, "nom"), json_integer_value(pop),
                             json_is_integer(pop), dep, epci, NULL, jstr(c, "siren"));
    if (rc == ERR_CONFLICT) { /* a value the store refuses (negative population…) */
      char why[512];
      snprintf(why, sizeof why, "%s", err_msg());
      rc = bad("communes.json", i, why);
    }
    if (rc) break;
    json_t *codes = json_object_get(c, "codesPostaux");
    char *list = json_is_array(codes) ? json_dumps(codes, JSON_COMPACT) : strdup("[]");
    db_bind_text(del, 1, code);
    db_bind_text(del, 2, list);
    int s = sqlite3_step(del);
    sqlite3_reset(del);
    free(list);
    if (s != SQLITE_DONE) {
      rc = db_fail(im->db, s, "import des codes postaux");
      break;
    }
    json_array_foreach(codes, j, pc) {
      if (!json_is_string(pc)) continue;
      db_bind_text(ins, 1, code);
      db_bind_text(ins, 2, json_string_value(pc));
      s = sqlite3_step(ins);
      sqlite3_reset(ins);
      if (s != SQLITE_DONE) {
        rc = db_fail(im->db, s, "import des codes postaux");
        break;
      }
    }
    if (rc) break;
    seen++;
    im->stats->communes++;
    if (seen % 500 == 0 || seen == total) progress_report(im->progress, "Communes", seen, total);
  }
  db_done(del);
  db_done(ins);
  return rc;
}

int territory_import(struct territory_stats *stats, struct db *db, const struct user *actor,
                     const char *dir, const char *const *codes, int n,
                     const struct progress *progress) {
  struct import im = {db, actor, NULL, NULL, NULL, json_object(), json_object(), progress, stats};
  int rc;
  memset(stats, 0, sizeof *stats);
  if (actor->role != ROLE_ADMIN) {
    rc = err_set(ERR_FORBIDDEN, NULL, "seule l'administration peut importer le référentiel");
    goto done;
  }
  progress_report(progress, "Lecture du référentiel", 0, 3);
  if ((rc = load(&im.deps, dir, "departements.json"))) goto done;
  progress_report(progress, "Lecture du référentiel", 1, 3);
  if ((rc = load(&im.communes, dir, "communes.json"))) goto done;
  progress_report(progress, "Lecture du référentiel", 2, 3);
  if ((rc = load(&im.epcis, dir, "epci.json"))) goto done;
  progress_report(progress, "Lecture du référentiel", 3, 3);
  if ((rc = db_begin(db))) goto done;
  rc = import_departements(&im, codes, n);
  if (!rc) rc = import_epcis(&im);
  if (!rc) rc = import_communes(&im);
  if (!rc) {
    json_t *list = json_array();
    for (int k = 0; k < n; k++) json_array_append_new(list, json_string(codes[k]));
    json_t *data = json_pack("{s:s, s:o, s:I, s:I, s:I, s:I}", "source", "@etalab/decoupage-administratif",
                             "departements", n ? list : (json_decref(list), json_string("toutes")),
                             "communes", (json_int_t)stats->communes, "epci", (json_int_t)stats->epcis,
                             "inserted", (json_int_t)stats->inserted, "updated", (json_int_t)stats->updated);
    rc = journal_append(db, actor, 0, "territory.imported", data);
    json_decref(data);
  }
  if (rc) db_rollback(db);
  else rc = db_commit(db);
  if (rc) memset(stats, 0, sizeof *stats);
done:
  json_decref(im.deps);
  json_decref(im.communes);
  json_decref(im.epcis);
  json_decref(im.chosen);
  json_decref(im.epci_of);
  return rc;
}

int territory_kind(char kind[16], struct db *db, const char *code) {
  sqlite3_stmt *st;
  int rc = db_prepare(&st, db, "SELECT kind FROM collectivity WHERE code = ?");
  if (rc) return rc;
  db_bind_text(st, 1, code);
  int s = sqlite3_step(st);
  if (s == SQLITE_ROW) snprintf(kind, 16, "%s", db_col_text(st, 0));
  else if (s == SQLITE_DONE)
    rc = err_set(ERR_NOTFOUND, "collectivity", "collectivité inconnue : « %s » (code INSEE de commune ou SIREN)",
                 code ? code : "");
  else rc = db_fail(db, s, "lecture d'une collectivité");
  db_done(st);
  return rc;
}

static json_t *list_of(struct db *db, const char *sql, const char *code, int *rc) {
  sqlite3_stmt *st;
  json_t *arr = json_array();
  if ((*rc = db_prepare(&st, db, sql))) return arr;
  db_bind_text(st, 1, code);
  int s, cols = sqlite3_column_count(st);
  while ((s = sqlite3_step(st)) == SQLITE_ROW) {
    if (cols == 1) {
      json_array_append_new(arr, json_string(db_col_text(st, 0)));
    } else {
      json_t *o = json_pack("{s:s, s:s}", "code", db_col_text(st, 0), "name", db_col_text(st, 1));
      if (sqlite3_column_type(st, 2) != SQLITE_NULL)
        json_object_set_new(o, "population", json_integer(sqlite3_column_int64(st, 2)));
      json_array_append_new(arr, o);
    }
  }
  if (s != SQLITE_DONE) *rc = db_fail(db, s, "lecture du territoire");
  db_done(st);
  return arr;
}

int territory_show(json_t **out, struct db *db, const char *code) {
  sqlite3_stmt *st;
  *out = NULL;
  int rc = db_prepare(&st, db,
                      "SELECT c.code, c.kind, c.name, c.population, c.departement, d.name, c.epci, e.name, "
                      "e.epci_kind, c.epci_kind, c.siren "
                      "FROM collectivity c LEFT JOIN departement d ON d.code = c.departement "
                      "LEFT JOIN collectivity e ON e.code = c.epci WHERE c.code = ?");
  if (rc) return rc;
  db_bind_text(st, 1, code);
  int s = sqlite3_step(st);
  json_t *o = NULL;
  if (s == SQLITE_ROW) {
    o = json_pack("{s:s, s:s, s:s}", "code", db_col_text(st, 0), "kind", db_col_text(st, 1), "name",
                  db_col_text(st, 2));
    json_object_set_new(o, "population", sqlite3_column_type(st, 3) == SQLITE_NULL
                                             ? json_null()
                                             : json_integer(sqlite3_column_int64(st, 3)));
    if (db_col_text(st, 4))
      json_object_set_new(o, "departement", json_pack("{s:s, s:s?}", "code", db_col_text(st, 4),
                                                      "name", db_col_text(st, 5)));
    if (db_col_text(st, 6))
      json_object_set_new(o, "epci", json_pack("{s:s, s:s?, s:s?}", "code", db_col_text(st, 6), "name",
                                               db_col_text(st, 7), "kind", db_col_text(st, 8)));
    if (db_col_text(st, 9)) json_object_set_new(o, "epci_kind", json_string(db_col_text(st, 9)));
    if (db_col_text(st, 10)) json_object_set_new(o, "siren", json_string(db_col_text(st, 10)));
  } else if (s == SQLITE_DONE) {
    rc = err_set(ERR_NOTFOUND, "code", "collectivité inconnue : « %s » (code INSEE de commune ou SIREN d'EPCI)",
                 code);
  } else {
    rc = db_fail(db, s, "lecture d'une collectivité");
  }
  db_done(st);
  if (rc) return rc;
  const char *kind = json_string_value(json_object_get(o, "kind"));
  if (strcmp(kind, "commune") == 0) {
    json_object_set_new(o, "postal_codes",
                        list_of(db, "SELECT code FROM postal_code WHERE commune = ? ORDER BY code", code, &rc));
  } else if (strcmp(kind, "epci") == 0) {
    json_t *m = list_of(db, "SELECT code, name, population FROM collectivity WHERE epci = ? ORDER BY name",
                        code, &rc);
    json_object_set_new(o, "member_count", json_integer((json_int_t)json_array_size(m)));
    json_object_set_new(o, "members", m);
  }
  if (rc) {
    json_decref(o);
    return rc;
  }
  *out = o;
  return 0;
}

int territory_code_of_name(char code[16], struct db *db, const char *name) {
  sqlite3_stmt *st;
  int rc = db_prepare(&st, db, "SELECT code, name, kind, departement FROM collectivity WHERE name = ? COLLATE NOCASE "
                               "AND kind IN ('commune', 'epci') ORDER BY code LIMIT 6");
  if (rc) return rc;
  db_bind_text(st, 1, name);
  char list[512] = "";
  int n = 0, s;
  size_t used = 0;
  while ((s = sqlite3_step(st)) == SQLITE_ROW) {
    if (!n) snprintf(code, 16, "%s", db_col_text(st, 0));
    const char *dep = db_col_text(st, 3);
    int w = snprintf(list + used, sizeof list - used, "%s%s (%s, %s%s)", n ? ", " : "", db_col_text(st, 1),
                     db_col_text(st, 0), !strcmp(db_col_text(st, 2), "epci") ? "EPCI" : "département ",
                     !strcmp(db_col_text(st, 2), "epci") ? "" : dep ? dep : "?");
    if (w > 0 && (size_t)w < sizeof list - used) used += (size_t)w;
    n++;
  }
  if (s != SQLITE_DONE && s != SQLITE_ROW) rc = db_fail(db, s, "recherche d'une commune par son nom");
  db_done(st);
  if (rc) return rc;
  if (!n) return err_set(ERR_NOTFOUND, "commune", "aucune commune de ce nom");
  if (n > 1)
    return err_set(ERR_INVALID, "commune", "Plusieurs collectivités portent ce nom : %s. Indiquez le code INSEE de "
                                           "la vôtre.", list);
  return 0;
}

int territory_epcis(json_t **out, struct db *db) {
  sqlite3_stmt *st;
  *out = NULL;
  int rc = db_prepare(&st, db, "SELECT code, name FROM collectivity WHERE kind = 'epci' ORDER BY name, code");
  if (rc) return rc;
  json_t *arr = json_array();
  int s;
  while ((s = sqlite3_step(st)) == SQLITE_ROW)
    json_array_append_new(arr, json_pack("{s:s, s:s}", "code", db_col_text(st, 0), "name", db_col_text(st, 1)));
  if (s != SQLITE_DONE) {
    rc = db_fail(db, s, "liste des EPCI");
    json_decref(arr);
    arr = NULL;
  }
  db_done(st);
  *out = arr;
  return rc;
}
