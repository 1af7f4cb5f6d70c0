/* catalog — orgs, offers and memberships (see catalog.h). */
#include "catalog.h"
#include "clock.h"
#include "db.h"
#include "err.h"
#include "journal.h"
#include "match.h"
#include "perimeter.h"
#include "text.h"
#include "theme.h"
#include "user.h"
#include <stdlib.h>
#include <string.h>

struct label {
  const char *code, *label;
};

static const struct label org_kinds[] = {
    {"direction", "Direction"}, {"service", "Service"}, {"satellite", "Satellite"},
    {"mission", "Mission"},     {"partner", "Partenaire"}, {NULL, NULL}};

static const struct label offer_kinds[] = {
    {"conseil", "Conseil"},       {"amo", "Assistance à maîtrise d'ouvrage"},
    {"etude", "Étude"},           {"subvention", "Subvention"},
    {"formation", "Formation"},   {"evenement", "Événement"},
    {NULL, NULL}};

static const char *const collectivity_kinds[] = {"commune", "epci", "syndicat", "service", NULL};

static const char *label_of(const struct label *t, const char *code) {
  for (; code && t->code; t++)
    if (strcmp(t->code, code) == 0) return t->label;
  return NULL;
}

const char *catalog_org_kind_label(const char *kind) { return label_of(org_kinds, kind); }
const char *catalog_offer_kind_label(const char *kind) { return label_of(offer_kinds, kind); }

static int check_slug(const char *slug) {
  if (!text_is_slug(slug))
    return err_set(ERR_INVALID, "slug",
                   "identifiant invalide : « %s » (2 à 40 caractères parmi a-z, 0-9 et -)", slug ? slug : "");
  return 0;
}

int catalog_org_id(int64_t *id, struct db *db, const char *slug, const char *field) {
  int rc = db_int_for(id, db, "SELECT id FROM org WHERE slug = ?", slug);
  if (rc == ERR_NOTFOUND)
    return err_set(ERR_NOTFOUND, field, "structure inconnue : « %s »", slug ? slug : "");
  return rc;
}

int catalog_offer_id(int64_t *id, struct db *db, const char *slug, const char *field) {
  int rc = db_int_for(id, db, "SELECT id FROM offer WHERE slug = ? AND active = 1", slug);
  if (rc == ERR_NOTFOUND)
    return err_set(ERR_NOTFOUND, field, "offre inconnue : « %s »", slug ? slug : "");
  return rc;
}

struct org_ctx {
  const struct user *actor;
  const struct catalog_org_new *n;
  int64_t id;
};

static int org_tx(struct db *db, void *arg) {
  struct org_ctx *c = arg;
  int64_t parent = 0, dummy;
  int rc;
  if (c->n->parent && (rc = catalog_org_id(&parent, db, c->n->parent, "parent"))) return rc;
  rc = catalog_org_id(&dummy, db, c->n->slug, "slug");
  if (rc == 0) return err_set(ERR_CONFLICT, "slug", "la structure %s existe déjà", c->n->slug);
  if (rc != ERR_NOTFOUND) return rc;
  sqlite3_stmt *st;
  if ((rc = db_prepare(&st, db, "INSERT INTO org (slug, name, kind, parent, email, phone, capacity, created_at) "
                                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)")))
    return rc;
  db_bind_text(st, 1, c->n->slug);
  db_bind_text(st, 2, c->n->name);
  db_bind_text(st, 3, c->n->kind);
  if (parent) sqlite3_bind_int64(st, 4, parent);
  db_bind_text(st, 5, c->n->email);
  db_bind_text(st, 6, c->n->phone);
  sqlite3_bind_int(st, 7, c->n->capacity < 0 ? 20 : c->n->capacity);
  sqlite3_bind_int64(st, 8, clock_now_ms());
  int s = sqlite3_step(st);
  db_done(st);
  if (s != SQLITE_DONE) return db_fail(db, s, "création d'une structure");
  c->id = sqlite3_last_insert_rowid(db_sqlite(db));
  json_t *data = json_pack("{s:s, s:s, s:s, s:s?}", "slug", c->n->slug, "name", c->n->name, "kind",
                           c->n->kind, "parent", c->n->parent);
  rc = journal_append(db, c->actor, 0, "org.created", data);
  json_decref(data);
  return rc;
}

int catalog_org_add(int64_t *id, struct db *db, const struct user *actor,
                    const struct catalog_org_new *n) {
  int rc;
  if (actor->role != ROLE_ADMIN)
    return err_set(ERR_FORBIDDEN, NULL, "seule l'administration peut créer une structure");
  if ((rc = check_slug(n->slug))) return rc;
  if ((rc = text_check_field(n->name, "name", "nom", 200))) return rc;
  if (!catalog_org_kind_label(n->kind))
    return err_set(ERR_INVALID, "kind",
                   "type de structure inconnu : « %s » (direction, service, satellite, mission ou partner)",
                   n->kind ? n->kind : "");
  if (n->email && !text_is_email(n->email))
    return err_set(ERR_INVALID, "email", "adresse e-mail invalide : « %s »", n->email);
  if (n->phone && (rc = text_check_field(n->phone, "phone", "téléphone", 40))) return rc;
  if (n->capacity > 100000)
    return err_set(ERR_INVALID, "capacity", "capacité : 100000 au plus");
  struct org_ctx c = {actor, n, 0};
  rc = db_write(db, org_tx, &c);
  if (!rc) *id = c.id;
  return rc;
}

static json_t *org_row(sqlite3_stmt *st) {
  const char *kind = db_col_text(st, 2);
  return json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:i, s:I, s:I}", "slug", db_col_text(st, 0), "name",
                   db_col_text(st, 1), "kind", kind, "kind_label", catalog_org_kind_label(kind), "parent",
                   db_col_text(st, 3), "email", db_col_text(st, 4), "phone", db_col_text(st, 5), "capacity",
                   sqlite3_column_int(st, 6), "offers", (json_int_t)sqlite3_column_int64(st, 7), "open_parts",
                   (json_int_t)sqlite3_column_int64(st, 8));
}

#define ORG_SELECT                                                                                  \
  "SELECT o.slug, o.name, o.kind, p.slug, o.email, o.phone, o.capacity, "                           \
  "(SELECT count(*) FROM offer f WHERE f.org = o.id AND f.active = 1), "                             \
  "(SELECT count(*) FROM part t WHERE t.org = o.id AND t.state IN ('proposed', 'accepted', 'in_progress')) " \
  "FROM org o LEFT JOIN org p ON p.id = o.parent "

int catalog_org_list(json_t **out, struct db *db) {
  sqlite3_stmt *st;
  *out = NULL;
  int rc = db_prepare(&st, db, ORG_SELECT "ORDER BY o.name");
  if (rc) return rc;
  json_t *arr = json_array();
  int s;
  while ((s = sqlite3_step(st)) == SQLITE_ROW) json_array_append_new(arr, org_row(st));
  if (s != SQLITE_DONE) {
    rc = db_fail(db, s, "liste des structures");
    json_decref(arr);
    arr = NULL;
  }
  db_done(st);
  *out = arr;
  return rc;
}

int catalog_org_show(json_t **out, struct db *db, const char *slug) {
  sqlite3_stmt *st;
  *out = NULL;
  int rc = db_prepare(&st, db, ORG_SELECT "WHERE o.slug = ?");
  if (rc) return rc;
  db_bind_text(st, 1, slug);
  int s = sqlite3_step(st);
  json_t *o = NULL;
  if (s == SQLITE_ROW) o = org_row(st);
  else if (s == SQLITE_DONE) rc = err_set(ERR_NOTFOUND, "slug", "structure inconnue : « %s »", slug);
  else rc = db_fail(db, s, "lecture d'une structure");
  db_done(st);
  if (rc) return rc;
  json_t *offers = NULL;
  if ((rc = catalog_offer_list(&offers, db, NULL, slug))) {
    json_decref(o);
    return rc;
  }
  json_object_set_new(o, "offer_list", offers);
  *out = o;
  return 0;
}

struct offer_ctx {
  const struct user *actor;
  const struct catalog_offer_new *n;
  int64_t id;
};

static int offer_tx(struct db *db, void *arg) {
  struct offer_ctx *c = arg;
  const struct catalog_offer_new *n = c->n;
  int64_t org, perimeter = 0, dummy;
  int rc;
  if ((rc = catalog_org_id(&org, db, n->org, "org"))) return rc;
  rc = db_int_for(&dummy, db, "SELECT 1 FROM offer WHERE slug = ?", n->slug);
  if (rc == 0) return err_set(ERR_CONFLICT, "slug", "l'offre %s existe déjà", n->slug);
  if (rc != ERR_NOTFOUND) return rc;
  if ((rc = theme_check(db, n->themes, n->n_themes, "themes"))) return rc;
  if (n->perimeter && (rc = perimeter_resolve(&perimeter, db, n->perimeter, "perimeter"))) return rc;
  sqlite3_stmt *st;
  if ((rc = db_prepare(&st, db,
                       "INSERT INTO offer (slug, org, kind, title, summary, perimeter, eligibility, "
                       "requires_membership, sla_ack_days, sla_take_days, sla_resolve_days, process, created_at) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")))
    return rc;
  db_bind_text(st, 1, n->slug);
  sqlite3_bind_int64(st, 2, org);
  db_bind_text(st, 3, n->kind);
  db_bind_text(st, 4, n->title);
  db_bind_text(st, 5, n->summary ? n->summary : "");
  if (perimeter) sqlite3_bind_int64(st, 6, perimeter);
  db_bind_text(st, 7, n->eligibility);
  sqlite3_bind_int(st, 8, n->requires_membership ? 1 : 0);
  if (n->sla_ack >= 0) sqlite3_bind_int(st, 9, n->sla_ack);
  if (n->sla_take >= 0) sqlite3_bind_int(st, 10, n->sla_take);
  if (n->sla_resolve >= 0) sqlite3_bind_int(st, 11, n->sla_resolve);
  db_bind_text(st, 12, n->process ? n->process : "demande-appui");
  sqlite3_bind_int64(st, 13, clock_now_ms());
  int s = sqlite3_step(st);
  db_done(st);
  if (s != SQLITE_DONE) return db_fail(db, s, "création d'une offre");
  c->id = sqlite3_last_insert_rowid(db_sqlite(db));
  json_t *themes = json_array(), *audience = json_array();
  for (int i = 0; i < n->n_themes && !rc; i++) {
    if ((rc = db_prepare(&st, db, "INSERT INTO offer_theme (offer, theme) VALUES (?, ?)"))) break;
    sqlite3_bind_int64(st, 1, c->id);
    db_bind_text(st, 2, n->themes[i]);
    s = sqlite3_step(st);
    db_done(st);
    if (s != SQLITE_DONE) rc = db_fail(db, s, "thématiques d'une offre");
    json_array_append_new(themes, json_string(n->themes[i]));
  }
  static const char *const default_audience[] = {"commune", "epci"};
  const char *const *aud = n->n_audience ? n->audience : default_audience;
  int n_aud = n->n_audience ? n->n_audience : 2;
  for (int i = 0; i < n_aud && !rc; i++) {
    if ((rc = db_prepare(&st, db, "INSERT OR IGNORE INTO offer_audience (offer, kind) VALUES (?, ?)"))) break;
    sqlite3_bind_int64(st, 1, c->id);
    db_bind_text(st, 2, aud[i]);
    s = sqlite3_step(st);
    db_done(st);
    if (s != SQLITE_DONE) rc = db_fail(db, s, "public d'une offre");
    json_array_append_new(audience, json_string(aud[i]));
  }
  if (rc) {
    json_decref(themes);
    json_decref(audience);
    return rc;
  }
  json_t *data = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:s?}", "slug", n->slug, "org", n->org, "kind",
                           n->kind, "title", n->title, "themes", themes, "audience", audience, "perimeter",
                           n->perimeter);
  rc = journal_append(db, c->actor, 0, "offer.created", data);
  json_decref(data);
  return rc;
}

static int check_sla(int days, const char *field) {
  if (days > 365) return err_set(ERR_INVALID, field, "délai : 365 jours ouvrés au plus");
  return 0;
}

int catalog_offer_add(int64_t *id, struct db *db, const struct user *actor,
                      const struct catalog_offer_new *n) {
  int rc;
  if (actor->role != ROLE_ADMIN)
    return err_set(ERR_FORBIDDEN, NULL, "seule l'administration peut créer une offre");
  if ((rc = check_slug(n->slug))) return rc;
  if ((rc = text_check_field(n->title, "title", "titre", 200))) return rc;
  if (n->summary && (!text_valid_utf8(n->summary, strlen(n->summary)) || text_chars(n->summary) > 5000))
    return err_set(ERR_INVALID, "summary", "présentation : texte invalide ou trop long (5000 caractères au plus)");
  if (!catalog_offer_kind_label(n->kind))
    return err_set(ERR_INVALID, "kind",
                   "type d'offre inconnu : « %s » (conseil, amo, etude, subvention, formation ou evenement)",
                   n->kind ? n->kind : "");
  if (n->n_themes < 1) return err_set(ERR_INVALID, "themes", "une offre relève d'au moins une thématique");
  for (int i = 0; i < n->n_audience; i++) {
    int ok = 0;
    for (const char *const *k = collectivity_kinds; *k; k++) ok |= strcmp(*k, n->audience[i]) == 0;
    if (!ok)
      return err_set(ERR_INVALID, "audience", "public inconnu : « %s » (commune, epci, syndicat ou service)",
                     n->audience[i]);
  }
  if (n->eligibility && ((rc = text_check_field(n->eligibility, "eligibility", "règle d'éligibilité", 2000)) ||
                         (rc = match_check_eligibility(n->eligibility))))
    return rc;
  if ((rc = check_sla(n->sla_ack, "sla_ack")) || (rc = check_sla(n->sla_take, "sla_take")) ||
      (rc = check_sla(n->sla_resolve, "sla_resolve")))
    return rc;
  if (n->process && !text_is_slug(n->process))
    return err_set(ERR_INVALID, "process", "identifiant de circuit invalide : « %s »", n->process);
  struct offer_ctx c = {actor, n, 0};
  rc = db_write(db, offer_tx, &c);
  if (!rc) *id = c.id;
  return rc;
}

#define OFFER_SELECT                                                                             \
  "SELECT f.slug, f.title, f.kind, g.slug, g.name, f.summary, f.perimeter, f.eligibility, "      \
  "f.requires_membership, f.sla_ack_days, f.sla_take_days, f.sla_resolve_days, f.process, "       \
  "(SELECT json_group_array(theme) FROM (SELECT theme FROM offer_theme WHERE offer = f.id ORDER BY theme)), " \
  "(SELECT json_group_array(kind) FROM (SELECT kind FROM offer_audience WHERE offer = f.id ORDER BY kind)) " \
  "FROM offer f JOIN org g ON g.id = f.org "

static json_t *int_or_null(sqlite3_stmt *st, int i) {
  return sqlite3_column_type(st, i) == SQLITE_NULL ? json_null() : json_integer(sqlite3_column_int(st, i));
}

static json_t *offer_row(struct db *db, sqlite3_stmt *st, int *rc) {
  const char *kind = db_col_text(st, 2);
  json_t *o = json_pack("{s:s, s:s, s:s, s:s?, s:{s:s, s:s}, s:s, s:s?, s:b, s:s}", "slug", db_col_text(st, 0),
                        "title", db_col_text(st, 1), "kind", kind, "kind_label", catalog_offer_kind_label(kind),
                        "org", "slug", db_col_text(st, 3), "name", db_col_text(st, 4), "summary",
                        db_col_text(st, 5), "eligibility", db_col_text(st, 7), "requires_membership",
                        sqlite3_column_int(st, 8), "process", db_col_text(st, 12));
  json_object_set_new(o, "sla", json_pack("{s:o, s:o, s:o}", "acknowledge", int_or_null(st, 9), "take_charge",
                                          int_or_null(st, 10), "resolve", int_or_null(st, 11)));
  json_object_set_new(o, "themes", json_loads(db_col_text(st, 13), 0, NULL));
  json_object_set_new(o, "audience", json_loads(db_col_text(st, 14), 0, NULL));
  json_t *per = json_null();
  if (sqlite3_column_type(st, 6) != SQLITE_NULL) {
    per = perimeter_to_json(db, sqlite3_column_int64(st, 6), rc);
    if (!per) per = json_null();
  }
  json_object_set_new(o, "perimeter", per);
  return o;
}

int catalog_offer_list(json_t **out, struct db *db, const char *theme, const char *org) {
  sqlite3_stmt *st;
  *out = NULL;
  int rc = db_prepare(&st, db,
                      OFFER_SELECT "WHERE f.active = 1 "
                                   "AND (?1 IS NULL OR EXISTS (SELECT 1 FROM offer_theme t WHERE t.offer = f.id AND t.theme = ?1)) "
                                   "AND (?2 IS NULL OR g.slug = ?2) ORDER BY g.name, f.title");
  if (rc) return rc;
  db_bind_text(st, 1, theme);
  db_bind_text(st, 2, org);
  json_t *arr = json_array();
  int s;
  /* perimeter_to_json uses another cached statement: collect rows first is
   * not needed, distinct statements may be stepped in turn. */
  while ((s = sqlite3_step(st)) == SQLITE_ROW && !rc) json_array_append_new(arr, offer_row(db, st, &rc));
  if (!rc && s != SQLITE_DONE && s != SQLITE_ROW) rc = db_fail(db, s, "liste des offres");
  db_done(st);
  if (rc) {
    json_decref(arr);
    return rc;
  }
  *out = arr;
  return 0;
}

int catalog_offer_show(json_t **out, struct db *db, const char *slug) {
  sqlite3_stmt *st;
  *out = NULL;
  int rc = db_prepare(&st, db, OFFER_SELECT "WHERE f.slug = ?");
  if (rc) return rc;
  db_bind_text(st, 1, slug);
  int s = sqlite3_step(st);
  json_t *o = NULL;
  if (s == SQLITE_ROW) o = offer_row(db, st, &rc);
  else if (s == SQLITE_DONE) rc = err_set(ERR_NOTFOUND, "slug", "offre inconnue : « %s »", slug);
  else rc = db_fail(db, s, "lecture d'une offre");
  db_done(st);
  if (rc) {
    json_decref(o);
    return rc;
  }
  *out = o;
  return 0;
}

struct member_ctx {
  const struct user *actor;
  const char *code, *org, *start, *end;
  int64_t id;
};

static int membership_tx(struct db *db, void *arg) {
  struct member_ctx *c = arg;
  int64_t org, dummy;
  int rc = db_int_for(&dummy, db, "SELECT 1 FROM collectivity WHERE code = ?", c->code);
  if (rc == ERR_NOTFOUND)
    return err_set(ERR_NOTFOUND, "collectivity", "collectivité inconnue : « %s »", c->code);
  if (rc) return rc;
  if ((rc = catalog_org_id(&org, db, c->org, "org"))) return rc;
  sqlite3_stmt *st;
  if ((rc = db_prepare(&st, db,
                       "SELECT 1 FROM membership WHERE collectivity = ?1 AND org = ?2 "
                       "AND (end_date IS NULL OR end_date >= ?3) AND (?4 IS NULL OR start_date <= ?4)")))
    return rc;
  db_bind_text(st, 1, c->code);
  sqlite3_bind_int64(st, 2, org);
  db_bind_text(st, 3, c->start);
  db_bind_text(st, 4, c->end);
  int s = sqlite3_step(st);
  db_done(st);
  if (s == SQLITE_ROW)
    return err_set(ERR_CONFLICT, "start", "%s adhère déjà à %s sur cette période", c->code, c->org);
  if (s != SQLITE_DONE) return db_fail(db, s, "lecture des adhésions");
  if ((rc = db_prepare(&st, db, "INSERT INTO membership (collectivity, org, start_date, end_date, created_at) "
                                "VALUES (?, ?, ?, ?, ?)")))
    return rc;
  db_bind_text(st, 1, c->code);
  sqlite3_bind_int64(st, 2, org);
  db_bind_text(st, 3, c->start);
  db_bind_text(st, 4, c->end);
  sqlite3_bind_int64(st, 5, clock_now_ms());
  s = sqlite3_step(st);
  db_done(st);
  if (s != SQLITE_DONE) return db_fail(db, s, "création d'une adhésion");
  c->id = sqlite3_last_insert_rowid(db_sqlite(db));
  json_t *data = json_pack("{s:s, s:s, s:s, s:s?}", "collectivity", c->code, "org", c->org, "start", c->start,
                           "end", c->end);
  rc = journal_append(db, c->actor, 0, "membership.added", data);
  json_decref(data);
  return rc;
}

int catalog_membership_add(int64_t *id, struct db *db, const struct user *actor, const char *code,
                           const char *org, const char *start, const char *end) {
  if (!user_coordinates(actor))
    return err_set(ERR_FORBIDDEN, NULL, "seules l'administration et la coordination enregistrent les adhésions");
  if (!clock_parse_date(start, NULL, NULL, NULL))
    return err_set(ERR_INVALID, "start", "date de début invalide : « %s » (AAAA-MM-JJ)", start ? start : "");
  if (end && !clock_parse_date(end, NULL, NULL, NULL))
    return err_set(ERR_INVALID, "end", "date de fin invalide : « %s » (AAAA-MM-JJ)", end);
  if (end && strcmp(end, start) < 0)
    return err_set(ERR_INVALID, "end", "la date de fin (%s) précède la date de début (%s)", end, start);
  struct member_ctx c = {actor, code, org, start, end, 0};
  int rc = db_write(db, membership_tx, &c);
  if (!rc) *id = c.id;
  return rc;
}

int catalog_membership_list(json_t **out, struct db *db, const char *code, const char *org) {
  sqlite3_stmt *st;
  *out = NULL;
  int rc = db_prepare(&st, db,
                      "SELECT c.code, c.name, o.slug, o.name, m.start_date, m.end_date FROM membership m "
                      "JOIN collectivity c ON c.code = m.collectivity JOIN org o ON o.id = m.org "
                      "WHERE (?1 IS NULL OR m.collectivity = ?1) AND (?2 IS NULL OR o.slug = ?2) "
                      "ORDER BY o.name, c.name, m.start_date");
  if (rc) return rc;
  db_bind_text(st, 1, code);
  db_bind_text(st, 2, org);
  json_t *arr = json_array();
  int s;
  while ((s = sqlite3_step(st)) == SQLITE_ROW)
    json_array_append_new(arr, json_pack("{s:{s:s, s:s}, s:{s:s, s:s}, s:s, s:s?}", "collectivity", "code",
                                         db_col_text(st, 0), "name", db_col_text(st, 1), "org", "slug",
                                         db_col_text(st, 2), "name", db_col_text(st, 3), "start",
                                         db_col_text(st, 4), "end", db_col_text(st, 5)));
  if (s != SQLITE_DONE) {
    rc = db_fail(db, s, "liste des adhésions");
    json_decref(arr);
    arr = NULL;
  }
  db_done(st);
  *out = arr;
  return rc;
}
