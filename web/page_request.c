/* page_request — the requests' pages (see page_request.h). */
#include "page_request.h"
#include "attachment.h"
#include "catalog.h"
#include "clock.h"
#include "engine.h"
#include "err.h"
#include "form.h"
#include "match.h"
#include "message.h"
#include "page.h"
#include "page_catalog.h"
#include "part.h"
#include "perm.h"
#include "request.h"
#include "territory.h"
#include "theme.h"
#include "workflow.h"
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small helpers ------------------------------------------------------ */

/* « 22/05/2026 10:00 » from RFC 3339 "2026-05-22T10:00:00+02:00" (already
 * in Paris time); a copy of the text when it is not one. */
static void fr_date(char out[32], const char *iso) {
  int y, mo, d, h, mi;
  if (iso && sscanf(iso, "%4d-%2d-%2dT%2d:%2d", &y, &mo, &d, &h, &mi) == 5)
    snprintf(out, 32, "%02d/%02d/%04d %02d:%02d", d, mo, y, h, mi);
  else snprintf(out, 32, "%s", iso ? iso : "");
}

/* Sets o[out_key] to the French form of the date o[in_key]. */
static void add_fr_date(json_t *o, const char *in_key, const char *out_key) {
  char fr[32];
  const char *iso = json_string_value(json_object_get(o, in_key));
  if (!iso) return;
  fr_date(fr, iso);
  json_object_set_new(o, out_key, json_string(fr));
}

/* A size in words: « 12 octets », « 3,4 Ko », « 1,2 Mo ». */
static void size_words(char out[32], json_int_t n) {
  if (n < 1024) snprintf(out, 32, "%lld octets", (long long)n);
  else if (n < 1024 * 1024) snprintf(out, 32, "%.1f Ko", (double)n / 1024.0);
  else snprintf(out, 32, "%.1f Mo", (double)n / (1024.0 * 1024.0));
  for (char *p = out; *p; p++)
    if (*p == '.') *p = ',';
}

static int is_staff_or_coordinator(const struct user *u) { return u->role != ROLE_REQUESTER; }
/* The file's announced media type without parameters, into `out`. */
static const char *media_of(char out[128], const struct form_field *file) {
  out[0] = 0;
  if (!file->type) return NULL;
  size_t n = strcspn(file->type, "; ");
  if (n >= 128) n = 127;
  memcpy(out, file->type, n);
  out[n] = 0;
  return out[0] ? out : NULL;
}

/* ---- the list ----------------------------------------------------------- */

/* The public statuses as the processes write them, for the filter. */
static const struct {
  const char *value, *label;
} statuses[] = {
    {"filed", "Déposée"},
    {"En qualification", "En qualification"},
    {"En attente de la collectivité", "En attente de la collectivité"},
    {"Orientée", "Orientée"},
    {"En cours", "En cours"},
    {"closed", "Clôturée"},
    {"cancelled", "Annulée"},
};

int page_request_list(struct http_req *req, struct http_resp *resp) {
  const char *status = http_query(req, "status"), *theme = http_query(req, "theme"), *q = http_query(req, "q"),
             *cursor = http_query(req, "cursor");
  if (status && !*status) status = NULL;
  if (status && !strcmp(status, "qualification")) status = "En qualification";
  if (theme && !*theme) theme = NULL;
  if (cursor && !*cursor) cursor = NULL;
  json_t *labels = NULL, *themes = NULL, *items = NULL, *v = NULL;
  char *next = NULL;
  int rc = theme_labels(&labels, &themes, req->db), code = 200;
  if (rc) goto done;
  struct request_filter f = {status, theme, NULL, NULL, q, cursor, 20};
  rc = request_list(&items, &next, req->db, &req->user, &f);
  v = json_pack("{s:s}", "title", req->user.role == ROLE_REQUESTER ? "Mes demandes" : "Demandes");
  if (rc == ERR_INVALID) {
    /* A bad filter: say so, show nothing rather than everything. */
    json_object_set_new(v, "error", json_string(err_msg()));
    items = json_array();
    code = 422;
    rc = 0;
  } else if (rc) {
    goto done;
  }
  size_t i;
  json_t *it;
  json_array_foreach(items, i, it) {
    add_fr_date(it, "filed_at", "filed_fr");
  }
  json_t *st = json_array();
  for (size_t k = 0; k < sizeof statuses / sizeof statuses[0]; k++) {
    json_t *o = json_pack("{s:s, s:s}", "value", statuses[k].value, "label", statuses[k].label);
    if (status && !strcmp(status, statuses[k].value)) json_object_set_new(o, "selected", json_true());
    json_array_append_new(st, o);
  }
  json_array_foreach(themes, i, it) {
    if (theme && !strcmp(theme, json_string_value(json_object_get(it, "code"))))
      json_object_set_new(it, "selected", json_true());
  }
  json_object_set_new(v, "statuses", st);
  json_object_set(v, "themes", themes);
  if (q) json_object_set_new(v, "q", json_string(q));
  json_object_set_new(v, "requests", items);
  items = NULL;
  if (json_array_size(json_object_get(v, "requests"))) json_object_set_new(v, "has_requests", json_true());
  if (next) {
    /* The next page keeps the filters. */
    char *link = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&link, &len);
    if (m) {
      fprintf(m, "/demandes?cursor=%s", next);
      const char *keys[] = {"status", "theme", "q"}, *vals[] = {status, theme, q};
      for (int k = 0; k < 3; k++) {
        if (!vals[k] || !*vals[k]) continue;
        fprintf(m, "&%s=", keys[k]);
        for (const unsigned char *p = (const unsigned char *)vals[k]; *p; p++) {
          if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
              *p == '_' || *p == '.')
            fputc(*p, m);
          else fprintf(m, "%%%02X", *p);
        }
      }
      fclose(m);
      json_object_set_new(v, "next_href", json_string(link));
      json_object_set_new(v, "next_cursor", json_string(next));
      free(link);
    }
  }
  rc = page_render(resp, req, code, "demande_liste", v);
  v = NULL;
done:
  free(next);
  json_decref(v);
  json_decref(items);
  json_decref(labels);
  json_decref(themes);
  return rc;
}

/* ---- suggested offers --------------------------------------------------- */

/* Sets has_items / has_not_eligible of suggestions `s` (for the template). */
static void flags_of(json_t *s) {
  json_object_set_new(s, "has_items", json_boolean(json_array_size(json_object_get(s, "items")) > 0));
  json_object_set_new(s, "has_not_eligible", json_boolean(json_array_size(json_object_get(s, "not_eligible")) > 0));
}


/* The offers suggested for collectivity `coll`, themes and text, with their
 * eligibility in words, as {items:[{slug, title, org, words, checked}],
 * not_eligible:[{title, org, reason}], message}. `chosen` is the offer
 * already chosen (checked). Never fails for bad input: a message says
 * what is missing. Returns 0 or a storage error. */
static int suggestions(json_t **out, struct db *db, const char *coll, const char *const *themes, int n,
                       const char *text, const char *chosen) {
  json_t *s = json_pack("{s:[], s:[]}", "items", "not_eligible");
  *out = s;
  if (!coll || !*coll) {
    json_object_set_new(s, "message", json_string("Indiquez la collectivité pour voir les offres qui lui sont ouvertes."));
    return 0;
  }
  if (n < 1) {
    json_object_set_new(s, "message",
                        json_string("Choisissez au moins une thématique : les offres correspondantes s'afficheront ici."));
    return 0;
  }
  struct match_query q = {coll, themes, n, text, 0, NULL, -1, chosen};
  json_t *m;
  int rc = match_run(&m, db, &q, MATCH_EXPLAIN, 8, clock_now_ms());
  if (rc == ERR_INVALID || rc == ERR_NOTFOUND) {
    json_object_set_new(s, "message", json_string(err_msg()));
    return 0;
  }
  if (rc) return rc;
  size_t i;
  json_t *o;
  json_array_foreach(json_object_get(m, "offers"), i, o) {
    const json_t *offer = json_object_get(o, "offer"), *reasons = json_object_get(o, "reasons");
    const char *slug = json_string_value(json_object_get(offer, "slug"));
    /* The reason that tells most: the chosen offer or the shared theme. */
    const char *first = json_string_value(json_array_get(reasons, 0));
    size_t k;
    json_t *why;
    json_array_foreach(reasons, k, why) {
      const char *w = json_string_value(why);
      if (w && (!strncmp(w, "Offre choisie", 13) || !strncmp(w, "Thématique", 11))) {
        first = w;
        break;
      }
    }
    char words[512];
    snprintf(words, sizeof words, "éligible%s%s", first ? " — " : "", first ? first : "");
    json_t *item = json_pack("{s:s, s:O, s:O, s:s}", "slug", slug, "title", json_object_get(offer, "title"), "org",
                             json_object_get(json_object_get(o, "org"), "name"), "words", words);
    if (chosen && slug && !strcmp(chosen, slug)) json_object_set_new(item, "checked", json_true());
    json_array_append_new(json_object_get(s, "items"), item);
  }
  json_array_foreach(json_object_get(m, "excluded"), i, o) {
    json_array_append_new(json_object_get(s, "not_eligible"),
                          json_pack("{s:O, s:O, s:O}", "title", json_object_get(json_object_get(o, "offer"), "title"),
                                    "org", json_object_get(json_object_get(o, "org"), "name"), "reason",
                                    json_object_get(o, "reason")));
  }
  if (!json_array_size(json_object_get(s, "items"))) {
    const char *sum = json_string_value(json_object_get(m, "summary"));
    json_object_set_new(s, "message", json_string(sum ? sum : "Aucune offre ne correspond pour l'instant : la "
                                                              "coordination orientera votre demande."));
  }
  if (!chosen || !*chosen) json_object_set_new(s, "none_checked", json_true());
  json_decref(m);
  flags_of(s);
  return 0;
}

/* ---- the filing form ---------------------------------------------------- */


/* What the form holds (borrowed strings). */
struct filing {
  const char *title, *description, *offer, *collectivity;
  const char *themes[REQUEST_THEMES_MAX + 1];
  int n_themes;
};

/* The id of the form's field for error field `field` of the core. */
static const char *field_id(const char *field) {
  if (!field) return NULL;
  if (!strcmp(field, "title")) return "title";
  if (!strcmp(field, "description")) return "description";
  if (!strcmp(field, "themes")) return "themes";
  if (!strcmp(field, "offer")) return "offer";
  if (!strcmp(field, "collectivity")) return "collectivity";
  if (!strcmp(field, "file") || !strcmp(field, "media_type") || !strcmp(field, "name")) return "document";
  return NULL;
}

/* Renders the filing form with the values of `fl`, the suggested offers and,
 * when `error` is set, the message (linked to its field) with `status`. */
static int render_form(struct http_resp *resp, struct http_req *req, int status, const struct filing *fl,
                       const char *error, const char *field) {
  json_t *labels = NULL, *themes = NULL, *sugg = NULL;
  int rc = theme_labels(&labels, &themes, req->db);
  if (rc) return rc;
  size_t i;
  json_t *t;
  json_array_foreach(themes, i, t) {
    const char *code = json_string_value(json_object_get(t, "code"));
    for (int k = 0; k < fl->n_themes; k++)
      if (!strcmp(fl->themes[k], code)) json_object_set_new(t, "checked", json_true());
  }
  const char *coll = req->user.role == ROLE_REQUESTER ? req->user.collectivity : fl->collectivity;
  char text[4096];
  snprintf(text, sizeof text, "%s %s", fl->title ? fl->title : "", fl->description ? fl->description : "");
  if ((rc = suggestions(&sugg, req->db, coll, fl->themes, fl->n_themes, text, fl->offer))) goto done;
  /* An offer chosen but not among the suggestions stays chosen. */
  if (fl->offer && *fl->offer) {
    int found = 0;
    json_array_foreach(json_object_get(sugg, "items"), i, t) {
      if (!strcmp(json_string_value(json_object_get(t, "slug")), fl->offer)) found = 1;
    }
    json_t *o;
    if (!found && !catalog_offer_show(&o, req->db, fl->offer)) {
      json_array_insert_new(json_object_get(sugg, "items"), 0,
                            json_pack("{s:s, s:O, s:O, s:s, s:b}", "slug", fl->offer, "title",
                                      json_object_get(o, "title"), "org",
                                      json_object_get(json_object_get(o, "org"), "name"), "words",
                                      "offre choisie dans le catalogue", "checked", 1));
      json_object_del(sugg, "none_checked");
      json_decref(o);
    }
  }
  flags_of(sugg);
  json_t *v = json_pack("{s:s, s:s, s:s, s:O, s:o}", "title", "Déposer une demande", "form_title",
                        fl->title ? fl->title : "", "description", fl->description ? fl->description : "", "themes",
                        themes, "offers", sugg);
  sugg = NULL;
  if (fl->collectivity) json_object_set_new(v, "collectivity", json_string(fl->collectivity));
  if (user_coordinates(&req->user)) json_object_set_new(v, "choose_collectivity", json_true());
  else {
    json_t *c;
    json_object_set_new(v, "own_collectivity", json_string(req->user.collectivity));
    if (!territory_show(&c, req->db, req->user.collectivity)) {
      json_object_set(v, "own_collectivity_name", json_object_get(c, "name"));
      json_decref(c);
    }
  }
  json_object_set_new(v, "accepted_types", json_string(attachment_types()));
  if (error) {
    json_object_set_new(v, "error", json_string(error));
    const char *id = field_id(field);
    if (id) {
      char key[64];
      snprintf(key, sizeof key, "error_%s", id);
      json_object_set_new(v, key, json_string(error));
    }
  }
  rc = page_render(resp, req, status, "demande_nouvelle", v);
done:
  json_decref(labels);
  json_decref(themes);
  json_decref(sugg);
  return rc;
}

/* Who may file: requesters (for their collectivity), coordinators and
 * admins (perm.h). */
static int may_file(const struct user *u) {
  return perm_file(u, u->role == ROLE_REQUESTER ? u->collectivity : NULL);
}

int page_request_new(struct http_req *req, struct http_resp *resp) {
  int rc = may_file(&req->user);
  if (rc) return rc;
  struct filing fl = {0};
  json_t *o = NULL;
  const char *offer = http_query(req, "offer");
  if (offer && *offer) {
    /* From the catalogue: the offer and its themes chosen. */
    if ((rc = catalog_offer_show(&o, req->db, offer)) && rc != ERR_NOTFOUND) return rc;
    if (!rc) {
      fl.offer = offer;
      size_t i;
      json_t *t;
      json_array_foreach(json_object_get(o, "themes"), i, t) {
        if (fl.n_themes < REQUEST_THEMES_MAX) fl.themes[fl.n_themes++] = json_string_value(t);
      }
    }
  }
  rc = render_form(resp, req, 200, &fl, NULL, NULL);
  json_decref(o);
  return rc;
}

/* Collects the values of query argument "themes" (repeated, or
 * comma-separated) into the filing. */
struct theme_args {
  struct filing *fl;
  char *copies[REQUEST_THEMES_MAX];
  int n_copies;
};

static enum MHD_Result theme_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
  struct theme_args *a = cls;
  (void)kind;
  if (!key || strcmp(key, "themes") || !value || a->n_copies == REQUEST_THEMES_MAX) return MHD_YES;
  char *copy = strdup(value);
  if (!copy) return MHD_NO;
  a->copies[a->n_copies++] = copy;
  for (char *save = NULL, *t = strtok_r(copy, ",", &save); t && a->fl->n_themes < REQUEST_THEMES_MAX;
       t = strtok_r(NULL, ",", &save))
    a->fl->themes[a->fl->n_themes++] = t;
  return MHD_YES;
}

int page_request_offers(struct http_req *req, struct http_resp *resp) {
  int rc = may_file(&req->user);
  if (rc) return rc;
  struct filing fl = {0};
  struct theme_args a = {&fl, {0}, 0};
  if (req->conn) MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, theme_arg, &a);
  const char *title = http_query(req, "title"), *desc = http_query(req, "description"), *text = http_query(req, "text");
  fl.offer = http_query(req, "offer");
  fl.collectivity = http_query(req, "collectivity");
  const char *coll = req->user.role == ROLE_REQUESTER ? req->user.collectivity : fl.collectivity;
  char all[4096];
  snprintf(all, sizeof all, "%s %s %s", title ? title : "", desc ? desc : "", text ? text : "");
  json_t *s;
  if (!(rc = suggestions(&s, req->db, coll, fl.themes, fl.n_themes, all, fl.offer)))
    rc = page_render(resp, req, 200, "demande_offres", json_pack("{s:o}", "offers", s));
  for (int i = 0; i < a.n_copies; i++) free(a.copies[i]);
  return rc;
}

int page_request_file(struct http_req *req, struct http_resp *resp) {
  int rc = may_file(&req->user);
  if (rc) return rc;
  struct filing fl = {0};
  fl.title = form_get(req->form, "title");
  fl.description = form_get(req->form, "description");
  fl.offer = form_get(req->form, "offer");
  fl.collectivity = form_get(req->form, "collectivity");
  if (fl.offer && !*fl.offer) fl.offer = NULL;
  if (fl.collectivity && !*fl.collectivity) fl.collectivity = NULL;
  fl.n_themes = form_all(fl.themes, REQUEST_THEMES_MAX + 1, req->form, "themes");
  const char *action = form_get(req->form, "action");
  if (action && !strcmp(action, "suggest")) return render_form(resp, req, 200, &fl, NULL, NULL);
  struct request_new n = {0};
  n.collectivity = user_coordinates(&req->user) ? fl.collectivity : NULL;
  n.title = fl.title ? fl.title : "";
  n.description = fl.description ? fl.description : "";
  n.themes = fl.themes;
  n.n_themes = fl.n_themes;
  n.offer = fl.offer;
  n.budget_cents = -1;
  const struct form_field *file = form_file(req->form, "document");
  char ref[REQUEST_REF_SIZE], media[128];
  struct workflow_document doc = {0};
  if (file)
    doc = (struct workflow_document){file->filename, media_of(media, file), file->value.data ? file->value.data : "",
                                     file->value.len};
  rc = workflow_file_with(ref, NULL, req->engine, &req->user, &n, req->blobs, file ? &doc : NULL);
  if (rc == ERR_INVALID || rc == ERR_TOOLARGE || rc == ERR_MEDIATYPE || rc == ERR_NOTFOUND) {
    char msg[600];
    const char *field = err_field();
    char f[64];
    snprintf(f, sizeof f, "%s", field ? field : "");
    if (field_id(f) && !strcmp(field_id(f), "document"))
      snprintf(msg, sizeof msg, "Pièce jointe refusée, la demande n'a pas été déposée : %s. Choisissez à nouveau le "
                                "fichier (types acceptés : %s).", err_msg(), attachment_types());
    else snprintf(msg, sizeof msg, "La demande n'a pas été déposée : %s.", err_msg());
    return render_form(resp, req, http_status_of(rc), &fl, msg, f[0] ? f : NULL);
  }
  if (rc) return rc;
  char to[64];
  snprintf(to, sizeof to, "/demandes/%s?avis=deposee", ref);
  return page_redirect(resp, req, to);
}

/* ---- a request's page --------------------------------------------------- */

/* The journal line `e` in French words. */
static void event_words(char *out, size_t size, const json_t *e) {
  const char *type = json_string_value(json_object_get(e, "type"));
  const json_t *d = json_object_get(e, "data");
#define S(k) (json_string_value(json_object_get(d, k)) ? json_string_value(json_object_get(d, k)) : "")
  if (!type) type = "";
  if (!strcmp(type, "request.filed")) snprintf(out, size, "Demande déposée");
  else if (!strcmp(type, "request.status_changed")) snprintf(out, size, "Statut : %s", S("status"));
  else if (!strcmp(type, "workflow.started")) snprintf(out, size, "Circuit « %s » démarré", S("process"));
  else if (!strcmp(type, "workflow.task_created")) snprintf(out, size, "Étape ouverte : %s", S("name"));
  else if (!strcmp(type, "workflow.task_completed")) snprintf(out, size, "Étape terminée%s%s", *S("name") ? " : " : "", S("name"));
  else if (!strcmp(type, "workflow.task_cancelled")) snprintf(out, size, "Étape annulée%s%s", *S("name") ? " : " : "", S("name"));
  else if (!strcmp(type, "workflow.message")) snprintf(out, size, "Le circuit a reçu : %s", S("message"));
  else if (!strcmp(type, "workflow.timer_fired")) snprintf(out, size, "Échéance atteinte");
  else if (!strcmp(type, "workflow.completed")) snprintf(out, size, "Circuit terminé");
  else if (!strcmp(type, "workflow.incident")) snprintf(out, size, "Incident du circuit, signalé à la coordination");
  else if (!strcmp(type, "workflow.incident_retried")) snprintf(out, size, "Incident du circuit relancé");
  else if (!strcmp(type, "workflow.job_failed")) snprintf(out, size, "Une étape automatique sera réessayée");
  else if (!strcmp(type, "workflow.migrated")) snprintf(out, size, "Circuit mis à jour vers une nouvelle version");
  else if (!strcmp(type, "workflow.log")) snprintf(out, size, "%s", *S("message") ? S("message") : "Étape du circuit");
  else if (!strcmp(type, "message.posted"))
    snprintf(out, size, "%s", !strcmp(S("visibility"), "internal") ? "Note interne écrite" : "Message écrit");
  else if (!strcmp(type, "attachment.added")) snprintf(out, size, "Document ajouté : %s", S("name"));
  else if (!strncmp(type, "part.", 5)) {
    static const struct {
      const char *type, *words;
    } parts[] = {{"part.proposed", "Structure sollicitée"},   {"part.accepted", "Prise en charge acceptée"},
                 {"part.declined", "Prise en charge déclinée"}, {"part.assigned", "Agent désigné"},
                 {"part.started", "Travail commencé"},         {"part.done", "Appui réalisé"},
                 {"part.cancelled", "Mise en relation annulée"}, {"part.handed_over", "Transmise à une autre structure"}};
    const char *w = "Mise en relation mise à jour";
    for (size_t k = 0; k < sizeof parts / sizeof parts[0]; k++)
      if (!strcmp(parts[k].type, type)) w = parts[k].words;
    const char *org = S("org");
    snprintf(out, size, "%s%s%s", w, *org ? " : " : "", org);
  } else if (!strcmp(type, "sla.overdue")) snprintf(out, size, "Délai dépassé : %s", S("label"));
  else snprintf(out, size, "%s", type);
#undef S
}

/* The fixed notices of ?avis=. */
static const char *notice_of(const char *avis) {
  static const struct {
    const char *key, *text;
  } notices[] = {
      {"deposee", "Votre demande a été déposée. Vous pouvez suivre ici son avancement."},
      {"message", "Votre message a été envoyé."},
      {"document", "Le document a été joint à la demande."},
      {"pieces", "Le document a été joint et la coordination est informée que les pièces demandées sont arrivées."},
      {"orientee", "La demande a été orientée."},
  };
  for (size_t i = 0; avis && i < sizeof notices / sizeof notices[0]; i++)
    if (!strcmp(notices[i].key, avis)) return notices[i].text;
  return NULL;
}

/* Builds the view of request `ref` for the account into *out. */
static int request_view(json_t **out, struct http_req *req, const char *ref) {
  json_t *r;
  *out = NULL;
  int rc = request_show(&r, req->db, &req->user, ref, REQUEST_WITH_EVENTS);
  if (rc) return rc;
  int64_t id;
  struct workflow_state ps;
  if ((rc = request_ref_id(&id, ref)) || (rc = workflow_state(&ps, req->db, id))) {
    json_decref(r);
    return rc;
  }
  const char *ref_s = json_string_value(json_object_get(r, "ref"));
  add_fr_date(r, "filed_at", "filed_fr");
  add_fr_date(r, "updated_at", "updated_fr");
  size_t i;
  json_t *o;
  json_array_foreach(json_object_get(r, "parts"), i, o) {
    const char *role = json_string_value(json_object_get(o, "role")), *state = json_string_value(json_object_get(o, "state"));
    const char *rl = role ? part_role_label(role) : NULL, *sl = state ? part_state_label(state) : NULL;
    json_object_set_new(o, "role_label", json_string(rl ? rl : role ? role : ""));
    json_object_set_new(o, "state_label", json_string(sl ? sl : state ? state : ""));
  }
  json_array_foreach(json_object_get(r, "messages"), i, o) {
    add_fr_date(o, "at", "at_fr");
    if (!strcmp(json_string_value(json_object_get(o, "visibility")) ? json_string_value(json_object_get(o, "visibility")) : "",
                "internal"))
      json_object_set_new(o, "internal", json_true());
  }
  json_array_foreach(json_object_get(r, "attachments"), i, o) {
    char sz[32];
    add_fr_date(o, "at", "at_fr");
    size_words(sz, json_integer_value(json_object_get(o, "size")));
    json_object_set_new(o, "size_text", json_string(sz));
  }
  json_t *timeline = json_array();
  json_array_foreach(json_object_get(r, "events"), i, o) {
    char words[512], at[32];
    event_words(words, sizeof words, o);
    fr_date(at, json_string_value(json_object_get(o, "at")));
    json_array_append_new(timeline, json_pack("{s:s, s:s, s:O}", "at_fr", at, "text", words, "actor",
                                              json_object_get(o, "actor")));
  }
  json_object_del(r, "events");
  json_t *labels = NULL, *themes = NULL;
  if ((rc = theme_labels(&labels, &themes, req->db))) {
    json_decref(r);
    json_decref(timeline);
    return rc;
  }
  json_t *tl = json_array();
  json_array_foreach(json_object_get(r, "themes"), i, o) {
    const json_t *l = json_object_get(labels, json_string_value(o));
    json_array_append_new(tl, json_pack("{s:O}", "label", l ? l : o));
  }
  json_decref(labels);
  json_decref(themes);
  json_object_set_new(r, "theme_labels", tl);
  json_t *v = json_pack("{s:O, s:o, s:o}", "title", json_object_get(r, "title"), "request", r, "timeline", timeline);
  char href[64];
  snprintf(href, sizeof href, "/demandes/%s/circuit.bpmn", ref_s);
  if (ps.instance) {
    json_t *d = json_pack("{s:s, s:s, s:b}", "href", href, "active", ps.elements, "running", ps.active), *tasks;
    /* The steps waiting for a person, by their names in the diagram. */
    if (ps.active && !engine_tasks(&tasks, req->db, ps.instance)) {
      json_t *names = json_array();
      json_array_foreach(tasks, i, o) {
        if (json_is_string(json_object_get(o, "name"))) json_array_append(names, json_object_get(o, "name"));
      }
      json_object_set_new(d, "steps", names);
      json_decref(tasks);
    }
    json_object_set_new(v, "diagram", d);
  }
  json_object_set_new(r, "has_parts", json_boolean(json_array_size(json_object_get(r, "parts")) > 0));
  json_object_set_new(r, "has_attachments", json_boolean(json_array_size(json_object_get(r, "attachments")) > 0));
  if (ps.waiting_documents) json_object_set_new(v, "waiting_docs", json_true());
  if (is_staff_or_coordinator(&req->user)) json_object_set_new(v, "may_note", json_true());
  const char *status = json_string_value(json_object_get(r, "status"));
  if (user_coordinates(&req->user) && status && (!strcmp(status, "En qualification") || !strcmp(status, "qualifying")))
    json_object_set_new(v, "may_orient", json_true());
  json_object_set_new(v, "accepted_types", json_string(attachment_types()));
  *out = v;
  return 0;
}

/* Renders the request's page with `status`; `extra` (stolen, may be NULL)
 * adds or replaces keys (errors, typed values). */
static int render_request(struct http_resp *resp, struct http_req *req, const char *ref, int status, json_t *extra) {
  json_t *v;
  int rc = request_view(&v, req, ref);
  if (rc) {
    json_decref(extra);
    return rc;
  }
  if (extra) json_object_update(v, extra);
  json_decref(extra);
  return page_render(resp, req, status, "demande_page", v);
}

int page_request_show(struct http_req *req, struct http_resp *resp) {
  const char *notice = notice_of(http_query(req, "avis"));
  return render_request(resp, req, req->params[0], 200, notice ? json_pack("{s:s}", "notice", notice) : NULL);
}

int page_request_circuit(struct http_req *req, struct http_resp *resp) {
  int64_t id;
  int rc = request_access(&id, req->db, &req->user, req->params[0], PERM_READ);
  if (rc) return rc;
  char *xml;
  size_t len;
  if ((rc = workflow_diagram(&xml, &len, req->db, id))) return rc;
  return http_take(resp, 200, "application/xml", xml, len);
}

int page_request_message(struct http_req *req, struct http_resp *resp) {
  const char *ref = req->params[0], *body = form_get(req->form, "body"), *vis = form_get(req->form, "visibility");
  if (vis && !*vis) vis = NULL;
  int64_t id;
  int rc = message_post(&id, req->db, &req->user, ref, vis, body ? body : "");
  if (rc == ERR_INVALID) {
    char msg[512];
    snprintf(msg, sizeof msg, "Le message n'a pas été envoyé : %s.", err_msg());
    json_t *x = json_pack("{s:s, s:s}", "message_error", msg, "message_body", body ? body : "");
    if (vis && !strcmp(vis, "internal")) json_object_set_new(x, "internal_checked", json_true());
    if (page_is_htmx(req)) {
      json_t *v;
      if ((rc = request_view(&v, req, ref))) {
        json_decref(x);
        return rc;
      }
      json_object_update(v, x);
      json_decref(x);
      /* htmx swaps only successful answers: the section with its error
       * comes as 200 so that the message is seen (and the text kept). */
      return page_render(resp, req, 200, "demande_echanges", v);
    }
    return render_request(resp, req, ref, 422, x);
  }
  if (rc) return rc;
  if (page_is_htmx(req)) {
    /* The section again: the thread with the new message last, an empty form. */
    json_t *v;
    if ((rc = request_view(&v, req, ref))) return rc;
    json_object_set_new(v, "message_notice", json_string("Votre message a été envoyé."));
    return page_render(resp, req, 200, "demande_echanges", v);
  }
  char to[64];
  snprintf(to, sizeof to, "/demandes/%s?avis=message#echanges", ref);
  return page_redirect(resp, req, to);
}

int page_request_attach(struct http_req *req, struct http_resp *resp) {
  const char *ref = req->params[0];
  const struct form_field *file = form_file(req->form, "document");
  const char *pieces = form_get(req->form, "pieces");
  int rc;
  if (!file) {
    rc = err_set(ERR_INVALID, "file", "aucun fichier choisi : choisissez le document à joindre");
  } else {
    int64_t id;
    int told = 0;
    char media[128];
    struct workflow_document doc = {file->filename, media_of(media, file),
                                    file->value.data ? file->value.data : "", file->value.len};
    rc = workflow_add_document(&id, &told, req->engine, &req->user, req->blobs, ref, &doc,
                               pieces && !strcmp(pieces, "1"));
    if (rc == ERR_FORBIDDEN || rc == ERR_NOTFOUND) return rc;
    if (!rc) {
      char to[80];
      snprintf(to, sizeof to, "/demandes/%s?avis=%s#documents", ref, told ? "pieces" : "document");
      return page_redirect(resp, req, to);
    }
  }
  if (rc == ERR_INVALID || rc == ERR_TOOLARGE || rc == ERR_MEDIATYPE) {
    char msg[600];
    snprintf(msg, sizeof msg, "Document refusé : %s. Rien n'a été ajouté ; choisissez un autre fichier (types "
                              "acceptés : %s).", err_msg(), attachment_types());
    return render_request(resp, req, ref, http_status_of(rc), json_pack("{s:s}", "document_error", msg));
  }
  return rc;
}

int page_request_document(struct http_req *req, struct http_resp *resp) {
  int64_t request;
  int rc = request_access(&request, req->db, &req->user, req->params[0], PERM_READ);
  if (rc) return rc;
  char *end;
  long long doc = strtoll(req->params[1], &end, 10);
  if (!*req->params[1] || *end || doc <= 0) return err_set(ERR_NOTFOUND, NULL, "document inconnu : « %s »", req->params[1]);
  struct attachment_file af;
  if ((rc = attachment_read(&af, req->db, req->blobs, request, doc))) return rc;
  const char *type = af.type, *name = af.name;
  char *data = af.data;
  size_t len = af.size;
  /* A file name safe in the header: letters, digits, . - _ only. */
  char safe[80];
  size_t k = 0;
  for (const unsigned char *p = (const unsigned char *)name; *p && k < sizeof safe - 1; p++) {
    int ok = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' ||
             *p == '-' || *p == '_';
    if (ok) safe[k++] = (char)*p;
    else if (*p < 0x80 || (*p & 0xC0) == 0xC0) safe[k++] = '_';
  }
  safe[k] = 0;
  if (!k || safe[0] == '.') snprintf(safe, sizeof safe, "document-%lld", doc);
  snprintf(resp->disposition, sizeof resp->disposition, "attachment; filename=\"%s\"", safe);
  return http_take(resp, 200, type, data, len);
}
