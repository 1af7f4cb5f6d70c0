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
#include "sla.h"
#include "text.h"
#include "theme.h"
#include "territory.h"
#include "user.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUDGET_MAX_CENTS 100000000000000LL /* one thousand billion euros */

static int by_text(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
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
  if (n->n_themes > REQUEST_THEMES_MAX)
    return err_set(ERR_INVALID, "themes", "thématiques : %d au plus", REQUEST_THEMES_MAX);
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
  /* The id is the reference: year * 1000000 + the next number of the year. */
  struct civil c;
  clock_paris(now, &c);
  int64_t base = (int64_t)c.year * REQUEST_PER_YEAR, rid = 0;
  sqlite3_stmt *st;
  if ((rc = db_prepare(&st, db, "SELECT coalesce(max(id), ?1) + 1 FROM request WHERE id > ?1 AND id < ?1 + ?2")))
    return rc;
  sqlite3_bind_int64(st, 1, base);
  sqlite3_bind_int64(st, 2, REQUEST_PER_YEAR);
  if (sqlite3_step(st) == SQLITE_ROW) rid = sqlite3_column_int64(st, 0);
  db_done(st);
  if (rid <= base || rid >= base + REQUEST_PER_YEAR)
    return err_set(ERR_CONFLICT, NULL, "plus de numéro de demande disponible pour %d", c.year);
  char r[REQUEST_REF_SIZE];
  snprintf(r, sizeof r, "%04d-%06d", c.year % 10000, (int)(rid - base));
  /* Themes are kept as a sorted JSON array; triggers index them. */
  const char *sorted[REQUEST_THEMES_MAX];
  for (int i = 0; i < n->n_themes; i++) sorted[i] = n->themes[i];
  qsort(sorted, (size_t)n->n_themes, sizeof *sorted, by_text);
  json_t *themes = json_array();
  for (int i = 0; i < n->n_themes; i++) json_array_append_new(themes, json_string(sorted[i]));
  char *themes_text = json_dumps(themes, JSON_COMPACT);
  if (!themes_text || (rc = db_prepare(&st, db,
                                       "INSERT INTO request (id, collectivity, title, description, themes, offer, "
                                       "budget_cents, desired_date, filed_by, filed_at, updated_at, epci) "
                                       "VALUES (?, ?2, ?, ?, ?, ?, ?, ?, ?, ?, ?10, (SELECT CASE WHEN c.kind = 'epci' "
                                       "THEN c.code ELSE c.epci END FROM collectivity c WHERE c.code = ?2))"))) {
    free(themes_text);
    json_decref(themes);
    return rc ? rc : err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
  }
  sqlite3_bind_int64(st, 1, rid);
  db_bind_text(st, 2, coll);
  db_bind_text(st, 3, n->title);
  db_bind_text(st, 4, n->description);
  db_bind_text(st, 5, themes_text);
  if (offer) sqlite3_bind_int64(st, 6, offer);
  if (n->budget_cents >= 0) sqlite3_bind_int64(st, 7, n->budget_cents);
  db_bind_text(st, 8, n->desired_date);
  if (actor->id) sqlite3_bind_int64(st, 9, actor->id);
  sqlite3_bind_int64(st, 10, now);
  int s = sqlite3_step(st);
  db_done(st);
  free(themes_text);
  if (s != SQLITE_DONE) {
    json_decref(themes);
    return db_fail(db, s, "enregistrement de la demande");
  }
  json_t *data = json_pack("{s:s, s:s, s:s, s:o, s:s?}", "ref", r, "collectivity", coll, "title", n->title,
                           "themes", themes, "offer", n->offer);
  rc = journal_append_at(db, actor, rid, "request.filed", data, now);
  json_decref(data);
  if (!rc) rc = sla_start_tx(db, rid, offer, now);
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

int request_set_status_tx(struct db *db, const struct user *actor, int64_t id, const char *status, const char *element,
                          int64_t now) {
  sqlite3_stmt *st;
  int rc = db_prepare(&st, db, "UPDATE request SET status = ?1, updated_at = ?2 WHERE id = ?3 AND status <> ?1");
  if (rc) return rc;
  db_bind_text(st, 1, status);
  sqlite3_bind_int64(st, 2, now);
  sqlite3_bind_int64(st, 3, id);
  int s = sqlite3_step(st);
  int changed = sqlite3_changes(db_sqlite(db));
  db_done(st);
  if (s != SQLITE_DONE) return db_fail(db, s, "changement de statut");
  if (!changed) return 0;
  json_t *data = json_pack("{s:s, s:s?}", "status", status, "element", element);
  rc = journal_append_at(db, actor, id, "request.status_changed", data, now);
  json_decref(data);
  return rc ? rc : sla_status_tx(db, id, status, now);
}

int request_access(int64_t *id, struct db *db, const struct user *actor, const char *ref,
                   enum perm_action a) {
  int rc = request_ref_id(id, ref);
  if (rc) return rc;
  sqlite3_stmt *st;
  if ((rc = db_prepare(&st, db, "SELECT 1 FROM request WHERE id = ?"))) return rc;
  sqlite3_bind_int64(st, 1, *id);
  int s = sqlite3_step(st);
  db_done(st);
  if (s == SQLITE_DONE) return err_set(ERR_NOTFOUND, "ref", "demande inconnue : « %s »", ref);
  if (s != SQLITE_ROW) return db_fail(db, s, "lecture de la demande");
  return perm_request(db, actor, a, *id, ref);
}

int request_ref_id(int64_t *id, const char *ref) {
  int ok = ref && strlen(ref) == 11 && ref[4] == '-';
  for (int i = 0; ok && i < 11; i++) ok = i == 4 || (ref[i] >= '0' && ref[i] <= '9');
  int64_t seq = ok ? strtoll(ref + 5, NULL, 10) : 0;
  if (!ok || seq < 1)
    return err_set(ERR_NOTFOUND, "ref", "demande inconnue : « %s » (une référence s'écrit AAAA-NNNNNN)",
                   ref ? ref : "");
  *id = strtoll(ref, NULL, 10) * REQUEST_PER_YEAR + seq;
  return 0;
}

/* The JSON document of a request, built by SQLite in one statement: the
 * request, its collectivity, themes, offer, parts, thread, documents and,
 * with EVENTS, its journal. Parameters :id, :internal and those of the
 * permission rule SCOPE; second column: 1 if the actor may read it. */
#define SHOW_SQL(SCOPE, EVENTS)                                                                          \
  "SELECT r.id, (" SCOPE "), json_object("                                                               \
  "'ref', r.ref, 'title', r.title, 'description', r.description, 'status', r.status, "                   \
  "'status_label', coalesce(s.label, r.status), "                                                        \
  "'collectivity', json_object('code', c.code, 'name', c.name, 'kind', c.kind, 'epci', "                 \
  "  CASE WHEN c.epci IS NULL THEN NULL ELSE json_object('code', c.epci, 'name', e.name) END), "          \
  "'themes', json(r.themes), "                                                                            \
  "'offer', CASE WHEN f.id IS NULL THEN NULL ELSE json_object('slug', f.slug, 'title', f.title) END, "    \
  "'budget', r.budget_cents / 100.0, 'desired_date', r.desired_date, "                                   \
  "'filed_at', appui_time(r.filed_at), 'updated_at', appui_time(r.updated_at), 'filed_by', u.email, "    \
  "'parts', (SELECT json_group_array(json_object('org', json_object('slug', g.slug, 'name', g.name), "    \
  "  'role', p.role, 'state', p.state, 'agent', CASE WHEN a.id IS NULL THEN NULL "                        \
  "  ELSE json_object('email', a.email, 'name', a.name) END)) "                                           \
  "  FROM (SELECT * FROM part WHERE request = r.id ORDER BY role DESC, id) p JOIN org g ON g.id = p.org "  \
  "  LEFT JOIN user a ON a.id = p.agent), "                                                               \
  "'messages', " MESSAGE_JSON_SQL ", 'attachments', " ATTACHMENT_JSON_SQL EVENTS ") "                      \
  "FROM request r JOIN collectivity c ON c.code = r.collectivity "                                        \
  "LEFT JOIN collectivity e ON e.code = c.epci LEFT JOIN offer f ON f.id = r.offer "                      \
  "LEFT JOIN user u ON u.id = r.filed_by LEFT JOIN status s ON s.code = r.status WHERE r.id = :id"

#define SHOW_VARIANTS(SCOPE) {SHOW_SQL(SCOPE, ""), SHOW_SQL(SCOPE, ", 'events', " JOURNAL_JSON_SQL)}

/* Complete texts, chosen by permission scope and events flag: nothing is
 * composed per call, and the statement cache finds them by address. */
static const char *const show_sql[][2] = {
    [PERM_BY_COLLECTIVITY] = SHOW_VARIANTS(PERM_SCOPE_COLLECTIVITY),
    [PERM_BY_ORG] = SHOW_VARIANTS(PERM_SCOPE_ORG),
    [PERM_EVERYTHING] = SHOW_VARIANTS(PERM_SCOPE_ALL),
};

int request_show_text(char **out, size_t *len, struct db *db, const struct user *actor, const char *ref,
                      int flags) {
  sqlite3_stmt *st = NULL;
  int64_t id;
  *out = NULL;
  int rc = request_ref_id(&id, ref);
  if (!rc) rc = db_prepare_static(&st, db, show_sql[perm_scope_of(actor)][(flags & REQUEST_WITH_EVENTS) ? 1 : 0]);
  if (rc) return rc;
  sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":id"), id);
  sqlite3_bind_int(st, sqlite3_bind_parameter_index(st, ":internal"), actor->role != ROLE_REQUESTER);
  perm_bind(st, actor);
  int s = sqlite3_step(st);
  if (s == SQLITE_DONE) {
    rc = err_set(ERR_NOTFOUND, "ref", "demande inconnue : « %s »", ref);
  } else if (s != SQLITE_ROW) {
    rc = db_fail(db, s, "lecture de la demande");
  } else if (!sqlite3_column_int(st, 1)) {
    /* The refusal and its message come from the one permission rule. */
    rc = perm_request(db, actor, PERM_READ, sqlite3_column_int64(st, 0), ref);
    if (!rc) rc = err_set(ERR_INTERNAL, NULL, "règle d'accès incohérente pour %s", ref);
  } else {
    size_t n = (size_t)sqlite3_column_bytes(st, 2);
    char *text = malloc(n + 1);
    if (!text) {
      rc = err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
    } else {
      memcpy(text, sqlite3_column_text(st, 2), n);
      text[n] = 0;
      *out = text;
      if (len) *len = n;
    }
  }
  db_done(st);
  return rc;
}

int request_show(json_t **out, struct db *db, const struct user *actor, const char *ref, int flags) {
  char *text;
  size_t n;
  *out = NULL;
  int rc = request_show_text(&text, &n, db, actor, ref, flags);
  if (rc) return rc;
  json_error_t e;
  *out = json_loadb(text, n, 0, &e);
  free(text);
  return *out ? 0 : err_set(ERR_INTERNAL, NULL, "document de la demande illisible : %s", e.text);
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
             "r.themes, "
             "coalesce(s.label, r.status) "
             "FROM request r JOIN collectivity c ON c.code = r.collectivity "
             "LEFT JOIN status s ON s.code = r.status WHERE %s",
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
                                         "status_label", db_col_text(st, 8), "collectivity", "code",
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
