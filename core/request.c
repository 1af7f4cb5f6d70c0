/* request — filing, reading and listing requests (see request.h). */
#include "request.h"
#include "attachment.h"
#include "buf.h"
#include "catalog.h"
#include "clock.h"
#include "db.h"
#include "err.h"
#include "journal.h"
#include "message.h"
#include "text.h"
#include "theme.h"
#include "territory.h"
#include "user.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUDGET_MAX_CENTS 100000000000000LL /* one thousand billion euros */

const char *request_status_label(const char *status) {
  static const struct {
    const char *code, *label;
  } labels[] = {{"filed", "Déposée"},         {"qualifying", "En qualification"},
                {"dispatched", "Orientée"},   {"in_progress", "En cours"},
                {"waiting", "En attente de la collectivité"},
                {"closed", "Clôturée"},       {"cancelled", "Annulée"}};
  for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
    if (strcmp(labels[i].code, status) == 0) return labels[i].label;
  return status;
}

static int validate(struct db *db, const struct user *actor, const struct request_new *n,
                    const char *coll, int64_t now) {
  int rc;
  char kind[16];
  if (!coll) return err_set(ERR_INVALID, "collectivity", "collectivité : champ obligatoire (code INSEE ou SIREN)");
  if ((rc = territory_kind(kind, db, coll))) return rc == ERR_NOTFOUND ? err_recode(ERR_INVALID) : rc;
  if ((rc = perm_file(actor, coll))) return rc;
  if ((rc = text_check_field(n->title, "title", "titre", REQUEST_TITLE_MAX))) return rc;
  if ((rc = text_check_field(n->description, "description", "description", REQUEST_DESCRIPTION_MAX))) return rc;
  if (n->n_themes < 1)
    return err_set(ERR_INVALID, "themes", "thématiques : choisissez au moins une thématique");
  if ((rc = theme_check(db, n->themes, n->n_themes, "themes"))) return rc;
  if (n->budget_cents > BUDGET_MAX_CENTS)
    return err_set(ERR_INVALID, "budget", "budget estimé : montant trop élevé");
  if (n->desired_date) {
    if (!clock_parse_date(n->desired_date, NULL, NULL, NULL))
      return err_set(ERR_INVALID, "desired_date", "date souhaitée invalide : « %s » (AAAA-MM-JJ)", n->desired_date);
    struct civil c;
    char today[16];
    clock_paris(now, &c);
    snprintf(today, sizeof today, "%04d-%02d-%02d", c.year % 10000, c.month, c.day);
    if (strcmp(n->desired_date, today) < 0)
      return err_set(ERR_INVALID, "desired_date", "date souhaitée : %s est déjà passée", n->desired_date);
  }
  return 0;
}

int request_file_tx(char ref[REQUEST_REF_SIZE], int64_t *id, struct db *db, const struct user *actor,
                    const struct request_new *n, int64_t now) {
  const char *coll = n->collectivity;
  if (!coll && actor->role == ROLE_REQUESTER) coll = actor->collectivity;
  int rc = validate(db, actor, n, coll, now);
  if (rc) return rc;
  int64_t offer = 0;
  if (n->offer) {
    rc = catalog_offer_id(&offer, db, n->offer, "offer");
    if (rc == ERR_NOTFOUND) rc = err_recode(ERR_INVALID);
    if (rc) return rc;
  }
  struct civil c;
  clock_paris(now, &c);
  int64_t seq = 0;
  sqlite3_stmt *st;
  if ((rc = db_prepare(&st, db, "SELECT coalesce(max(seq), 0) + 1 FROM request WHERE year = ?"))) return rc;
  sqlite3_bind_int(st, 1, c.year);
  if (sqlite3_step(st) == SQLITE_ROW) seq = sqlite3_column_int64(st, 0);
  db_done(st);
  if (seq < 1 || seq > 999999)
    return err_set(ERR_CONFLICT, NULL, "plus de numéro de demande disponible pour %d", c.year);
  char r[REQUEST_REF_SIZE];
  snprintf(r, sizeof r, "%04d-%06d", c.year % 10000, (int)seq);
  if ((rc = db_prepare(&st, db,
                       "INSERT INTO request (ref, year, seq, collectivity, title, description, offer, budget_cents, "
                       "desired_date, filed_by, filed_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?11)")))
    return rc;
  db_bind_text(st, 1, r);
  sqlite3_bind_int(st, 2, c.year);
  sqlite3_bind_int64(st, 3, seq);
  db_bind_text(st, 4, coll);
  db_bind_text(st, 5, n->title);
  db_bind_text(st, 6, n->description);
  if (offer) sqlite3_bind_int64(st, 7, offer);
  if (n->budget_cents >= 0) sqlite3_bind_int64(st, 8, n->budget_cents);
  db_bind_text(st, 9, n->desired_date);
  if (actor->id) sqlite3_bind_int64(st, 10, actor->id);
  sqlite3_bind_int64(st, 11, now);
  int s = sqlite3_step(st);
  db_done(st);
  if (s != SQLITE_DONE) return db_fail(db, s, "enregistrement de la demande");
  int64_t rid = sqlite3_last_insert_rowid(db_sqlite(db));
  json_t *themes = json_array();
  for (int i = 0; i < n->n_themes && !rc; i++) {
    if ((rc = db_prepare(&st, db, "INSERT INTO request_theme (request, theme) VALUES (?, ?)"))) break;
    sqlite3_bind_int64(st, 1, rid);
    db_bind_text(st, 2, n->themes[i]);
    s = sqlite3_step(st);
    db_done(st);
    if (s != SQLITE_DONE) rc = db_fail(db, s, "thématiques de la demande");
    json_array_append_new(themes, json_string(n->themes[i]));
  }
  if (rc) {
    json_decref(themes);
    return rc;
  }
  json_t *data = json_pack("{s:s, s:s, s:s, s:o, s:s?}", "ref", r, "collectivity", coll, "title", n->title,
                           "themes", themes, "offer", n->offer);
  rc = journal_append_at(db, actor, rid, "request.filed", data, now);
  json_decref(data);
  if (rc) return rc;
  if (ref) memcpy(ref, r, REQUEST_REF_SIZE);
  if (id) *id = rid;
  return 0;
}

struct file_ctx {
  char *ref;
  int64_t *id;
  const struct user *actor;
  const struct request_new *n;
};

static int file_tx(struct db *db, void *arg) {
  struct file_ctx *c = arg;
  return request_file_tx(c->ref, c->id, db, c->actor, c->n, clock_now_ms());
}

int request_file(char ref[REQUEST_REF_SIZE], int64_t *id, struct db *db, const struct user *actor,
                 const struct request_new *n) {
  struct file_ctx c = {ref, id, actor, n};
  return db_write(db, file_tx, &c);
}

int request_access(int64_t *id, struct db *db, const struct user *actor, const char *ref,
                   enum perm_action a) {
  int rc = db_int_for(id, db, "SELECT id FROM request WHERE ref = ?", ref);
  if (rc == ERR_NOTFOUND)
    return err_set(ERR_NOTFOUND, "ref", "demande inconnue : « %s » (référence AAAA-NNNNNN)", ref ? ref : "");
  if (rc) return rc;
  return perm_request(db, actor, a, *id, ref);
}

static int add_parts(json_t *o, struct db *db, int64_t id) {
  sqlite3_stmt *st;
  int rc = db_prepare(&st, db,
                      "SELECT g.slug, g.name, p.role, p.state, u.email, u.name FROM part p JOIN org g ON g.id = p.org "
                      "LEFT JOIN user u ON u.id = p.agent WHERE p.request = ? ORDER BY p.role DESC, p.id");
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, id);
  json_t *arr = json_array();
  int s;
  while ((s = sqlite3_step(st)) == SQLITE_ROW) {
    json_t *p = json_pack("{s:{s:s, s:s}, s:s, s:s}", "org", "slug", db_col_text(st, 0), "name",
                          db_col_text(st, 1), "role", db_col_text(st, 2), "state", db_col_text(st, 3));
    if (db_col_text(st, 4))
      json_object_set_new(p, "agent", json_pack("{s:s, s:s}", "email", db_col_text(st, 4), "name",
                                                db_col_text(st, 5)));
    json_array_append_new(arr, p);
  }
  if (s != SQLITE_DONE) rc = db_fail(db, s, "lecture des mises en relation");
  db_done(st);
  json_object_set_new(o, "parts", arr);
  return rc;
}

/* Drops journal lines a requester must not see (internal notes). */
static json_t *visible_events(json_t *events, const struct user *actor) {
  if (actor->role != ROLE_REQUESTER) return events;
  json_t *kept = json_array(), *ev;
  size_t i;
  json_array_foreach(events, i, ev) {
    const char *vis = json_string_value(json_object_get(json_object_get(ev, "data"), "visibility"));
    if (!vis || strcmp(vis, "internal") != 0) json_array_append(kept, ev);
  }
  json_decref(events);
  return kept;
}

int request_show(json_t **out, struct db *db, const struct user *actor, const char *ref, int flags) {
  int64_t id;
  *out = NULL;
  int rc = request_access(&id, db, actor, ref, PERM_READ);
  if (rc) return rc;
  sqlite3_stmt *st;
  if ((rc = db_prepare(&st, db,
                       "SELECT r.ref, r.title, r.description, r.status, r.collectivity, c.name, c.kind, c.epci, "
                       "e.name, f.slug, f.title, r.budget_cents, r.desired_date, r.filed_at, r.updated_at, u.email, "
                       "(SELECT json_group_array(theme) FROM (SELECT theme FROM request_theme WHERE request = r.id "
                       "ORDER BY theme)) "
                       "FROM request r JOIN collectivity c ON c.code = r.collectivity "
                       "LEFT JOIN collectivity e ON e.code = c.epci LEFT JOIN offer f ON f.id = r.offer "
                       "LEFT JOIN user u ON u.id = r.filed_by WHERE r.id = ?")))
    return rc;
  sqlite3_bind_int64(st, 1, id);
  int s = sqlite3_step(st);
  json_t *o = NULL;
  if (s == SQLITE_ROW) {
    char filed[32], updated[32];
    clock_format(sqlite3_column_int64(st, 13), filed);
    clock_format(sqlite3_column_int64(st, 14), updated);
    const char *status = db_col_text(st, 3);
    o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s}, s:s, s:s, s:s?, s:s?}", "ref", db_col_text(st, 0),
                  "title", db_col_text(st, 1), "description", db_col_text(st, 2), "status", status,
                  "status_label", request_status_label(status), "collectivity", "code", db_col_text(st, 4), "name",
                  db_col_text(st, 5), "kind", db_col_text(st, 6), "filed_at", filed, "updated_at", updated,
                  "desired_date", db_col_text(st, 12), "filed_by", db_col_text(st, 15));
    if (db_col_text(st, 7))
      json_object_set_new(json_object_get(o, "collectivity"), "epci",
                          json_pack("{s:s, s:s?}", "code", db_col_text(st, 7), "name", db_col_text(st, 8)));
    json_object_set_new(o, "offer", db_col_text(st, 9) ? json_pack("{s:s, s:s}", "slug", db_col_text(st, 9),
                                                                    "title", db_col_text(st, 10))
                                                       : json_null());
    json_object_set_new(o, "budget", sqlite3_column_type(st, 11) == SQLITE_NULL
                                         ? json_null()
                                         : json_real((double)sqlite3_column_int64(st, 11) / 100.0));
    json_object_set_new(o, "themes", json_loads(db_col_text(st, 16), 0, NULL));
  } else {
    rc = db_fail(db, s, "lecture de la demande");
  }
  db_done(st);
  if (rc) return rc;
  json_t *list = NULL;
  if (!rc) rc = add_parts(o, db, id);
  if (!rc && !(rc = message_list(&list, db, actor, id))) json_object_set_new(o, "messages", list);
  if (!rc && !(rc = attachment_list(&list, db, id))) json_object_set_new(o, "attachments", list);
  if (!rc && (flags & REQUEST_WITH_EVENTS) && !(rc = journal_list(&list, db, id, 0, 10000)))
    json_object_set_new(o, "events", visible_events(list, actor));
  if (rc) {
    json_decref(o);
    return rc;
  }
  *out = o;
  return 0;
}

/* Builds an FTS5 query matching every word of `q` (as quoted strings, so no
 * operator of the user can reach FTS5's syntax). Returns 0 or ERR_INVALID. */
static int fts_query(struct buf *out, const char *q) {
  if (!text_valid_utf8(q, strlen(q)) || text_chars(q) > 200)
    return err_set(ERR_INVALID, "q", "recherche : texte invalide ou trop long (200 caractères au plus)");
  const char *p = q;
  int words = 0;
  while (*p) {
    while (*p && !((unsigned char)*p >= 0x80 || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
                   (*p >= 'A' && *p <= 'Z')))
      p++;
    if (!*p) break;
    if (words++) buf_puts(out, " ");
    buf_puts(out, "\"");
    while (*p && ((unsigned char)*p >= 0x80 || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
                  (*p >= 'A' && *p <= 'Z')))
      buf_append(out, p++, 1);
    buf_puts(out, "\"");
  }
  if (!words) return err_set(ERR_INVALID, "q", "recherche : aucun mot à chercher");
  return 0;
}

int request_list(json_t **items, char **next, struct db *db, const struct user *actor,
                 const struct request_filter *f) {
  struct buf sql = BUF_INIT, fts = BUF_INIT;
  sqlite3_stmt *st = NULL;
  json_t *arr = NULL;
  int rc = 0;
  int limit = f->limit ? f->limit : 20;
  int64_t cursor = 0;
  *items = NULL;
  *next = NULL;
  if (limit < 1 || limit > REQUEST_LIST_MAX) {
    rc = err_set(ERR_INVALID, "limit", "taille de page : entre 1 et %d", REQUEST_LIST_MAX);
    goto done;
  }
  if (f->cursor) {
    char *end = NULL;
    long long v = strtoll(f->cursor, &end, 10);
    if (!*f->cursor || *end || v <= 0) {
      rc = err_set(ERR_INVALID, "cursor", "curseur de pagination invalide : « %s »", f->cursor);
      goto done;
    }
    cursor = v;
  }
  /* An empty search (a blank search field) is no search. */
  const char *q = f->q && *f->q ? f->q : NULL;
  if (q && (rc = fts_query(&fts, q))) goto done;
  buf_printf(&sql,
             "SELECT r.id, r.ref, r.title, r.status, r.collectivity, c.name, r.filed_at, "
             "(SELECT json_group_array(theme) FROM (SELECT theme FROM request_theme WHERE request = r.id ORDER BY theme)) "
             "FROM request r JOIN collectivity c ON c.code = r.collectivity WHERE %s",
             perm_scope_sql(actor));
  if (f->status) buf_puts(&sql, " AND r.status = :status");
  if (f->theme) buf_puts(&sql, " AND r.id IN (SELECT request FROM request_theme WHERE theme = :theme)");
  if (f->collectivity) buf_puts(&sql, " AND r.collectivity = :coll");
  if (f->epci) buf_puts(&sql, " AND (c.epci = :epci OR r.collectivity = :epci)");
  if (q) buf_puts(&sql, " AND r.id IN (SELECT rowid FROM request_fts WHERE request_fts MATCH :q)");
  if (cursor) buf_puts(&sql, " AND r.id < :cursor");
  buf_puts(&sql, " ORDER BY r.id DESC LIMIT :limit");
  if ((rc = db_prepare(&st, db, buf_str(&sql)))) goto done;
  perm_bind(st, actor);
#define BIND(name, v) \
  if (v) sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, name), v, -1, SQLITE_TRANSIENT)
  BIND(":status", f->status);
  BIND(":theme", f->theme);
  BIND(":coll", f->collectivity);
  BIND(":epci", f->epci);
  BIND(":q", q ? buf_str(&fts) : NULL);
#undef BIND
  if (cursor) sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":cursor"), cursor);
  sqlite3_bind_int(st, sqlite3_bind_parameter_index(st, ":limit"), limit + 1);
  arr = json_array();
  int s, n = 0;
  int64_t last = 0;
  while ((s = sqlite3_step(st)) == SQLITE_ROW) {
    if (n == limit) {
      char c[24];
      snprintf(c, sizeof c, "%lld", (long long)last);
      *next = strdup(c);
      break;
    }
    char filed[32];
    clock_format(sqlite3_column_int64(st, 6), filed);
    const char *status = db_col_text(st, 3);
    json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:s, s:o}", "ref",
                                         db_col_text(st, 1), "title", db_col_text(st, 2), "status", status,
                                         "status_label", request_status_label(status), "collectivity", "code",
                                         db_col_text(st, 4), "name", db_col_text(st, 5), "filed_at", filed,
                                         "themes", json_loads(db_col_text(st, 7), 0, NULL)));
    last = sqlite3_column_int64(st, 0);
    n++;
  }
  if (s != SQLITE_ROW && s != SQLITE_DONE) rc = db_fail(db, s, "liste des demandes");
done:
  db_done(st);
  buf_free(&sql);
  buf_free(&fts);
  if (rc) {
    json_decref(arr);
    free(*next);
    *next = NULL;
    return rc;
  }
  *items = arr;
  return 0;
}
