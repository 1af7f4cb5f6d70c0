/* page_board — the board, its exports, the statistics and the incidents
 * (see page_board.h). */
#include "page_board.h"
#include "board.h"
#include "buf.h"
#include "catalog.h"
#include "clock.h"
#include "engine.h"
#include "err.h"
#include "export.h"
#include "page.h"
#include "workflow.h"
#include "page_work.h"
#include "territory.h"
#include "theme.h"
#include "user.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *str(const json_t *o, const char *key) { return json_string_value(json_object_get(o, key)); }

/* Coordinators, admins and heads; others are refused with a page. */
static int board_readers(const struct http_req *req, const char *what) {
  if (user_coordinates(&req->user) || req->user.role == ROLE_HEAD) return 0;
  return err_set(ERR_FORBIDDEN, NULL, "%s est réservé à la coordination et aux chef·fes de service", what);
}

/* The lateness filter in French words (oui, bientot, non) and the board's. */
static const struct {
  const char *fr, *code, *label;
} lates[] = {{"oui", "yes", "En retard"}, {"bientot", "soon", "Bientôt en retard"}, {"non", "no", "Dans les délais"}};

static const char *late_label(const char *code) {
  for (size_t i = 0; code && i < 3; i++)
    if (!strcmp(code, lates[i].code)) return lates[i].label;
  return code;
}

/* The filters of the page, as typed (for the form and the links) and as
 * the board reads them. Strings borrowed from the request. */
struct filters {
  const char *theme, *org, *epci, *collectivity, *late, *status, *cursor, *limit;
  struct board_filter f;
};

static const char *blank(const char *s) { return s && *s ? s : NULL; }

static void filters_read(struct filters *x, const struct http_req *req) {
  memset(x, 0, sizeof *x);
  x->theme = blank(http_query(req, "theme"));
  x->org = blank(http_query(req, "org"));
  x->epci = blank(http_query(req, "epci"));
  x->collectivity = blank(http_query(req, "collectivity"));
  x->late = blank(http_query(req, "late"));
  x->status = blank(http_query(req, "status"));
  x->cursor = blank(http_query(req, "cursor"));
  x->limit = blank(http_query(req, "limit"));
  if (x->limit) {
    char *end;
    long n = strtol(x->limit, &end, 10);
    x->f.limit = *end || n < 1 || n > BOARD_LIST_MAX ? -1 : (int)n; /* -1: refused by board_filter_check */
  }
  x->f.theme = x->theme;
  x->f.org = x->org;
  x->f.epci = x->epci;
  x->f.collectivity = x->collectivity;
  x->f.status = x->status;
  x->f.cursor = x->cursor;
  x->f.late = x->late;
  for (size_t i = 0; x->late && i < 3; i++)
    if (!strcmp(x->late, lates[i].fr)) x->f.late = lates[i].code;
}

/* Appends name=value (percent-encoded) to a query string. */
static void qs_add(struct buf *b, const char *name, const char *value) {
  if (!value) return;
  buf_puts(b, b->len ? "&" : "");
  buf_puts(b, name);
  buf_puts(b, "=");
  for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
        *p == '.')
      buf_append(b, p, 1);
    else
      buf_printf(b, "%%%02X", *p);
  }
}

/* The query string of the filters (without cursor; with status unless
 * `no_status`). New string (free()). */
static char *filters_qs(const struct filters *x, int no_status) {
  struct buf b = BUF_INIT;
  qs_add(&b, "theme", x->theme);
  qs_add(&b, "org", x->org);
  qs_add(&b, "epci", x->epci);
  qs_add(&b, "collectivity", x->collectivity);
  qs_add(&b, "late", x->late);
  if (!no_status) qs_add(&b, "status", x->status);
  qs_add(&b, "limit", x->limit);
  char *s = strdup(b.data ? b.data : "");
  buf_free(&b);
  return s;
}

/* The options [{value, label}] of board_choices() (borrowed), shared as
 * they are when nothing is chosen; a copy with "selected" on the current
 * one otherwise. New reference. */
static json_t *options(json_t *items, const char *current) {
  if (!current || !*current) return json_incref(items);
  json_t *out = json_deep_copy(items);
  size_t i;
  json_t *it;
  json_array_foreach(out, i, it) {
    const char *v = str(it, "value");
    if (v && !strcmp(v, current)) json_object_set_new(it, "selected", json_true());
  }
  return out;
}

/* The filter form's data: values typed and the options of the selects
 * (themes, orgs, EPCIs, lateness). Returns 0 or an error. */
static int filters_view(json_t *v, struct db *db, const struct filters *x, int with_late) {
  json_t *choices;
  int rc = board_choices(&choices, db, clock_now_ms());
  if (rc) return rc;
  json_object_set_new(v, "themes", options(json_object_get(choices, "themes"), x->theme));
  json_object_set_new(v, "orgs", options(json_object_get(choices, "orgs"), x->org));
  json_object_set_new(v, "epcis", options(json_object_get(choices, "epcis"), x->epci));
  json_decref(choices);
  if (with_late) {
    json_t *l = json_array();
    for (size_t i = 0; i < 3; i++)
      json_array_append_new(l, json_pack("{s:s, s:s, s:b}", "value", lates[i].fr, "label", lates[i].label, "selected",
                                         x->late && (!strcmp(x->late, lates[i].fr) || !strcmp(x->late, lates[i].code))));
    json_object_set_new(v, "lates", l);
  }
  json_object_set_new(v, "filters", json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:s?}", "theme", x->theme, "org", x->org,
                                              "epci", x->epci, "collectivity", x->collectivity, "late", x->late,
                                              "status", x->status));
  return 0;
}

/* A refused filter (ERR_INVALID) is shown on the page: its message as the
 * view's "error", *status 422, and 0 returned. Any other error frees the
 * view and is returned. */
static int bad_filter(json_t *v, int rc, int *status) {
  if (rc != ERR_INVALID) {
    json_decref(v);
    return rc;
  }
  char msg[600];
  page_error_text(msg, sizeof msg);
  json_object_set_new(v, "error", json_string(msg));
  *status = 422;
  return 0;
}

/* ---- /tableau --------------------------------------------------------- */

/* The results of the board for `x`: columns and one page of requests. */
static int board_results(json_t *v, struct http_req *req, const struct filters *x) {
  json_t *counts = NULL, *items = NULL;
  char *next = NULL;
  int64_t now = clock_now_ms();
  int rc = board_counts(&counts, req->db, &req->user, &x->f, now);
  if (!rc) rc = board_list(&items, &next, req->db, &req->user, &x->f, now);
  if (rc) {
    json_decref(counts);
    return rc;
  }
  char *base = filters_qs(x, 1), *all = filters_qs(x, 0);
  json_t *columns = json_array();
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(counts, "columns"), i, c) {
    struct buf href = BUF_INIT;
    buf_puts(&href, "/tableau?");
    buf_puts(&href, base);
    if (*base) buf_puts(&href, "&");
    struct buf one = BUF_INIT;
    qs_add(&one, "status", str(c, "status"));
    buf_puts(&href, one.data ? one.data : "");
    buf_free(&one);
    json_array_append_new(columns, json_pack("{s:s?, s:s?, s:I, s:s, s:b}", "status", str(c, "status"), "label",
                                             str(c, "label"), "count",
                                             (json_int_t)json_integer_value(json_object_get(c, "count")), "href",
                                             href.data, "current",
                                             x->status && str(c, "status") && !strcmp(x->status, str(c, "status"))));
    buf_free(&href);
  }
  json_object_set_new(v, "columns", columns);
  json_object_set_new(v, "total", json_integer(json_integer_value(json_object_get(counts, "total"))));
  json_t *rows = json_array();
  json_t *it;
  json_array_foreach(items, i, it) {
    char filed[20], due[20];
    page_work_date(filed, str(it, "filed_at"));
    page_work_date(due, str(it, "due_at"));
    const char *late = str(it, "late");
    json_array_append_new(
        rows, json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:s, s:s, s:s?, s:b, s:b}", "ref", str(it, "ref"), "title",
                        str(it, "title"), "status", str(it, "status_label"), "collectivity",
                        str(json_object_get(it, "collectivity"), "name"), "lead",
                        str(json_object_get(it, "lead"), "name"), "filed", filed, "due", due, "late_label",
                        late_label(late), "late_yes", late && !strcmp(late, "yes"), "late_soon",
                        late && !strcmp(late, "soon")));
  }
  if (json_array_size(rows)) json_object_set_new(v, "has_items", json_true());
  json_object_set_new(v, "items", rows);
  if (next) {
    struct buf q = BUF_INIT;
    buf_puts(&q, all);
    qs_add(&q, "cursor", next);
    char *href = malloc(q.len + 16);
    if (href) {
      sprintf(href, "/tableau?%s", q.data);
      json_object_set_new(v, "next_href", json_string(href));
    }
    free(href);
    buf_free(&q);
  }
  char link[1200];
  snprintf(link, sizeof link, "/tableau/export?format=csv%s%s", *all ? "&" : "", all);
  json_object_set_new(v, "export_csv", json_string(link));
  snprintf(link, sizeof link, "/tableau/export?format=xlsx%s%s", *all ? "&" : "", all);
  json_object_set_new(v, "export_xlsx", json_string(link));
  free(base);
  free(all);
  free(next);
  json_decref(counts);
  json_decref(items);
  return 0;
}

int page_board_show(struct http_req *req, struct http_resp *resp) {
  int rc = board_readers(req, "le tableau de bord");
  if (rc) return rc;
  struct filters x;
  filters_read(&x, req);
  json_t *v = json_pack("{s:s}", "title", "Tableau de bord");
  int status = 200;
  if (((rc = board_filter_check(&x.f)) || (rc = board_results(v, req, &x))) && (rc = bad_filter(v, rc, &status)))
    return rc;
  if ((rc = filters_view(v, req->db, &x, 1))) {
    json_decref(v);
    return rc;
  }
  if (page_is_htmx(req) && !page_wants_json(req)) return page_render(resp, req, status, "tableau_resultats", v);
  return page_render(resp, req, status, "tableau_page", v);
}

int page_board_export(struct http_req *req, struct http_resp *resp) {
  int rc = board_readers(req, "l'export du tableau de bord");
  if (rc) return rc;
  struct filters x;
  filters_read(&x, req);
  x.f.cursor = NULL;
  enum export_format fmt;
  const char *name = http_query(req, "format");
  if ((rc = export_format_parse(&fmt, name ? name : "")))
    return err_set(ERR_INVALID, "format", "format d'export inconnu : choisissez csv ou xlsx");
  struct buf out = BUF_INIT;
  int64_t rows = 0;
  if ((rc = board_export(&rows, NULL, &out, fmt, req->db, &req->user, &x.f, clock_now_ms(), NULL))) {
    buf_free(&out);
    return rc;
  }
  snprintf(resp->disposition, sizeof resp->disposition, "attachment; filename=\"tableau-de-bord.%s\"",
           fmt == EXPORT_CSV ? "csv" : "xlsx");
  return http_take(resp, 200, export_media_type(fmt), out.data, out.len);
}

/* ---- /statistiques ------------------------------------------------------ */

/* "12,5 h" from hours, "—" for null. */
static json_t *hours(const json_t *n) {
  if (!json_is_number(n)) return json_string("—");
  char s[32];
  snprintf(s, sizeof s, "%.1f h", json_number_value(n));
  for (char *p = s; *p; p++)
    if (*p == '.') *p = ',';
  return json_string(s);
}

/* "85 %" from a share in [0, 1], "—" for null. */
static json_t *share(const json_t *o) {
  const json_t *n = json_object_get(o, "share");
  if (!json_is_number(n)) return json_string("—");
  char s[32];
  snprintf(s, sizeof s, "%.0f %% (%lld sur %lld)", json_number_value(n) * 100.0,
           (long long)json_integer_value(json_object_get(o, "on_time")),
           (long long)json_integer_value(json_object_get(o, "counted")));
  return json_string(s);
}

/* A number of the statistics for a chart, null (no bar) when unknown. */
static json_t *num(const json_t *n) { return json_is_number(n) ? json_real(json_number_value(n)) : json_null(); }

/* The rows of an org or EPCI table. */
static json_t *delay_rows(const json_t *list, const char *count_key) {
  json_t *rows = json_array();
  size_t i;
  json_t *o;
  json_array_foreach(list, i, o) {
    const json_t *take = json_object_get(o, "take_charge"), *resolve = json_object_get(o, "resolve");
    json_array_append_new(rows, json_pack("{s:s?, s:I, s:o, s:o, s:o, s:o, s:o, s:o}", "name", str(o, "name"), "count",
                                          (json_int_t)json_integer_value(json_object_get(o, count_key)), "take_median",
                                          hours(json_object_get(take, "median")), "take_p90",
                                          hours(json_object_get(take, "p90")), "resolve_median",
                                          hours(json_object_get(resolve, "median")), "resolve_p90",
                                          hours(json_object_get(resolve, "p90")), "take_share",
                                          share(json_object_get(o, "take_on_time")), "resolve_share",
                                          share(json_object_get(o, "resolve_on_time"))));
  }
  return rows;
}

/* The data of the charts, for stats.js: {months, themes, orgs}, each
 * {labels, series: [{label, values}]}. New reference. */
static json_t *chart_data(const json_t *st) {
  json_t *m_labels = json_array(), *m_values = json_array();
  size_t i;
  json_t *o;
  json_array_foreach(json_object_get(st, "months"), i, o) {
    const char *month = str(o, "month");
    char label[16];
    snprintf(label, sizeof label, "%.2s/%.4s", month && strlen(month) >= 7 ? month + 5 : "", month ? month : "");
    json_array_append_new(m_labels, json_string(label));
    json_array_append_new(m_values, json_integer(json_integer_value(json_object_get(o, "count"))));
  }
  json_t *t_labels = json_array(), *t_values = json_array();
  json_array_foreach(json_object_get(st, "themes"), i, o) {
    json_array_append_new(t_labels, json_string(str(o, "label") ? str(o, "label") : ""));
    json_array_append_new(t_values, json_integer(json_integer_value(json_object_get(o, "count"))));
  }
  json_t *g_labels = json_array(), *g_take = json_array(), *g_resolve = json_array();
  json_array_foreach(json_object_get(st, "orgs"), i, o) {
    json_array_append_new(g_labels, json_string(str(o, "name") ? str(o, "name") : ""));
    json_array_append_new(g_take, num(json_object_get(json_object_get(o, "take_charge"), "median")));
    json_array_append_new(g_resolve, num(json_object_get(json_object_get(o, "resolve"), "median")));
  }
  return json_pack("{s:{s:o, s:[{s:s, s:o}]}, s:{s:o, s:[{s:s, s:o}]}, s:{s:o, s:[{s:s, s:o}, {s:s, s:o}]}}",
                   "months", "labels", m_labels, "series", "label", "Demandes déposées", "values", m_values, "themes",
                   "labels", t_labels, "series", "label", "Demandes", "values", t_values, "orgs", "labels", g_labels,
                   "series", "label", "Prise en charge (médiane, heures)", "values", g_take, "label",
                   "Résolution (médiane, heures)", "values", g_resolve);
}

/* `data` as JSON text that is safe inside a <script> element: '<', '>' and
 * '&' (which JSON only has inside strings) become \u003c, \u003e, \u0026,
 * so that no "</script>" or "<!--" in a name can end or alter the block.
 * New string (free()), or NULL. */
static char *script_json(const json_t *data) {
  char *text = json_dumps(data, JSON_COMPACT);
  if (!text) return NULL;
  struct buf b = BUF_INIT;
  for (const char *p = text; *p; p++) {
    if (*p == '<') buf_puts(&b, "\\u003c");
    else if (*p == '>') buf_puts(&b, "\\u003e");
    else if (*p == '&') buf_puts(&b, "\\u0026");
    else buf_append(&b, p, 1);
  }
  free(text);
  char *s = strdup(b.data ? b.data : "{}");
  buf_free(&b);
  return s;
}

int page_board_stats(struct http_req *req, struct http_resp *resp) {
  int rc = board_readers(req, "l'accès aux statistiques");
  if (rc) return rc;
  struct filters x;
  filters_read(&x, req);
  x.f.status = NULL;
  x.f.late = NULL;
  x.f.cursor = NULL;
  x.late = x.status = NULL;
  json_t *v = json_pack("{s:s}", "title", "Statistiques"), *st = NULL;
  int status = 200;
  if (((rc = board_filter_check(&x.f)) || (rc = board_stats(&st, req->db, &req->user, &x.f, clock_now_ms()))) &&
      (rc = bad_filter(v, rc, &status)))
    return rc;
  if (st) {
    json_object_set_new(v, "total", json_integer(json_integer_value(json_object_get(st, "total"))));
    json_t *months = json_array(), *themes = json_array();
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(st, "months"), i, o) {
      const char *month = str(o, "month");
      char label[16];
      snprintf(label, sizeof label, "%.2s/%.4s", month && strlen(month) >= 7 ? month + 5 : "", month ? month : "");
      json_array_append_new(months, json_pack("{s:s, s:I}", "label", label, "count",
                                              (json_int_t)json_integer_value(json_object_get(o, "count"))));
    }
    json_array_foreach(json_object_get(st, "themes"), i, o)
        json_array_append_new(themes, json_pack("{s:s?, s:I}", "label", str(o, "label"), "count",
                                                (json_int_t)json_integer_value(json_object_get(o, "count"))));
    json_object_set_new(v, "months", months);
    json_object_set_new(v, "themes_stats", themes);
    json_object_set_new(v, "orgs_stats", delay_rows(json_object_get(st, "orgs"), "parts"));
    json_object_set_new(v, "epcis_stats", delay_rows(json_object_get(st, "epcis"), "count"));
    json_t *data = chart_data(st);
    char *text = script_json(data);
    json_decref(data);
    if (text) json_object_set_new(v, "stats_json", json_string(text));
    free(text);
    json_decref(st);
  }
  /* The layout loads Chart.js (global Chart), then the module drawing the charts. */
  json_object_set_new(v, "scripts", json_pack("[{s:s}, {s:s, s:b}]", "src", "/static/chart.umd.min.js", "src",
                                              "/static/stats.js", "module", 1));
  if ((rc = filters_view(v, req->db, &x, 0))) {
    json_decref(v);
    return rc;
  }
  return page_render(resp, req, status, "stats_page", v);
}

/* ---- /incidents --------------------------------------------------------- */

static int coordination_only(const struct http_req *req) {
  if (user_coordinates(&req->user)) return 0;
  return err_set(ERR_FORBIDDEN, NULL, "les incidents des circuits sont réservés à la coordination de la plateforme");
}

static const char *kind_label(const char *kind) {
  static const struct {
    const char *code, *label;
  } kinds[] = {{"job", "Tâche automatique en échec"},
               {"condition", "Aucune condition de passage vérifiée"},
               {"loop", "Boucle sans fin arrêtée"},
               {"assignment", "Attribution de tâche impossible"}};
  for (size_t i = 0; kind && i < sizeof kinds / sizeof kinds[0]; i++)
    if (!strcmp(kind, kinds[i].code)) return kinds[i].label;
  return kind;
}

int page_board_incidents(struct http_req *req, struct http_resp *resp) {
  int rc = coordination_only(req);
  json_t *list;
  if (rc || (rc = engine_incidents(&list, req->db))) return rc;
  json_t *rows = json_array();
  size_t i;
  json_t *o;
  json_array_foreach(list, i, o) {
    char at[20];
    page_work_date(at, str(o, "created_at"));
    json_array_append_new(rows, json_pack("{s:I, s:I, s:s?, s:s?, s:s?, s:s?, s:s}", "id",
                                          (json_int_t)json_integer_value(json_object_get(o, "id")), "instance",
                                          (json_int_t)json_integer_value(json_object_get(o, "instance")), "request",
                                          str(o, "request"), "element", str(o, "element"), "kind",
                                          kind_label(str(o, "kind")), "message", str(o, "message"), "at", at));
  }
  json_decref(list);
  json_t *v = json_pack("{s:s}", "title", "Incidents des circuits");
  if (json_array_size(rows)) json_object_set_new(v, "has_items", json_true());
  json_object_set_new(v, "items", rows);
  const char *avis = http_query(req, "avis");
  if (avis && !strcmp(avis, "relance"))
    json_object_set_new(v, "avis", json_string("L'incident a été relancé : le circuit reprend à l'étape en cause."));
  return page_render(resp, req, 200, "incidents_page", v);
}

int page_board_retry(struct http_req *req, struct http_resp *resp) {
  int rc = coordination_only(req);
  if (rc) return rc;
  const char *p = req->params[0];
  char *end;
  long long id = strtoll(p, &end, 10);
  if (!*p || *end || id < 1) return err_set(ERR_NOTFOUND, "id", "incident inconnu : « %s »", p);
  int64_t now = clock_now_ms();
  if ((rc = engine_retry(req->engine, &req->user, (int64_t)id, now))) return rc;
  /* A job retried now runs at once, as the scheduler would a moment later. */
  if ((rc = workflow_run_due(NULL, req->engine, now))) return rc;
  return page_redirect(resp, req, "/incidents?avis=relance");
}
