/* page_admin — the administration pages (see page_admin.h). */
#include "page_admin.h"
#include "bpmn.h"
#include "catalog.h"
#include "err.h"
#include "form.h"
#include "migrate.h"
#include "request.h"
#include "clock.h"
#include "page.h"
#include "store.h"
#include "theme.h"
#include "user.h"
#include "workflow.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every administration page: the admin role only. */
static int admin_only(const struct http_req *req) {
  if (!req->authenticated || req->user.role != ROLE_ADMIN)
    return err_set(ERR_FORBIDDEN, NULL, "l'administration de la plateforme est réservée aux administrateurs");
  return 0;
}

/* The notice of `?avis=` on a page (fixed sentences; the query is never shown). */
static void notice(json_t *v, const struct http_req *req) {
  static const struct {
    const char *code, *text;
  } notices[] = {{"compte", "Le compte a été créé."},
                 {"structure", "La structure a été créée."},
                 {"offre", "L'offre a été créée."},
                 {"publie", "La définition a été publiée : une nouvelle version est en service."},
                 {"inchange", "La définition est identique à la dernière version : rien n'a été publié."}};
  const char *avis = http_query(req, "avis");
  for (size_t i = 0; avis && i < sizeof notices / sizeof notices[0]; i++)
    if (!strcmp(avis, notices[i].code)) json_object_set_new(v, "notice", json_string(notices[i].text));
}

/* The error message, capitalised, as the view's "error", and the field's
 * own message as "error_<field>". */
static void form_error(json_t *v) {
  char msg[600], key[80];
  page_error_text(msg, sizeof msg);
  json_object_set_new(v, "error", json_string(msg));
  if (err_field()[0]) {
    snprintf(key, sizeof key, "error_%s", err_field());
    json_object_set_new(v, key, json_string(msg));
  }
}

/* The typed values of `names` (NULL-terminated) as the view's "form". */
static json_t *typed(const struct form *f, const char *const *names) {
  json_t *o = json_object();
  for (int i = 0; names[i]; i++) {
    const char *x = form_get(f, names[i]);
    if (x) json_object_set_new(o, names[i], json_string(x));
  }
  return o;
}

/* A refusal worth showing on the form (bad or conflicting input), rather
 * than as an error page. */
static int form_refusal(int rc) { return rc == ERR_INVALID || rc == ERR_CONFLICT || rc == ERR_NOTFOUND; }

/* `s` or NULL when empty. */
static const char *opt(const char *s) { return s && *s ? s : NULL; }

/* Options [{value, label, selected}] of a fixed list. */
static json_t *choices(const char *const (*list)[2], size_t n, const char *current) {
  json_t *a = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(a, json_pack("{s:s, s:s, s:b}", "value", list[i][0], "label", list[i][1], "selected",
                                       current && !strcmp(current, list[i][0])));
  return a;
}

int page_admin_index(struct http_req *req, struct http_resp *resp) {
  int rc = admin_only(req);
  if (rc) return rc;
  return page_render(resp, req, 200, "admin_index", json_pack("{s:s}", "title", "Administration"));
}

/* ---- accounts --------------------------------------------------------- */

static const char *const roles[][2] = {{"requester", "Demandeur (commune, EPCI)"},
                                       {"agent", "Agent d'une structure"},
                                       {"head", "Chef de service d'une structure"},
                                       {"coordinator", "Coordination"},
                                       {"admin", "Administration"}};

static const char *const user_fields[] = {"email", "name", "role", "collectivity", "org", NULL};

static int users_page(struct http_resp *resp, struct http_req *req, int status, json_t *v) {
  json_t *users;
  int rc = user_list(&users, req->db);
  if (rc) {
    json_decref(v);
    return rc;
  }
  /* Only what an administrator needs to see: never a hash or a digest. */
  json_t *rows = json_array();
  size_t i;
  json_t *u;
  json_array_foreach(users, i, u) {
    enum role r;
    const char *role = json_string_value(json_object_get(u, "role"));
    json_array_append_new(rows, json_pack("{s:O?, s:O?, s:s?, s:O?, s:O?}", "email", json_object_get(u, "email"),
                                          "name", json_object_get(u, "name"), "role_label",
                                          role && !user_role_parse(&r, role) ? user_role_label(r) : role,
                                          "collectivity", json_object_get(u, "collectivity"), "org",
                                          json_object_get(u, "org")));
  }
  json_decref(users);
  json_object_set_new(v, "title", json_string("Comptes et jetons"));
  json_object_set_new(v, "users", rows);
  json_t *form = json_object_get(v, "form");
  json_object_set_new(v, "roles", choices(roles, sizeof roles / sizeof roles[0],
                                          form ? json_string_value(json_object_get(form, "role")) : NULL));
  json_object_set_new(v, "password_min", json_integer(USER_PASSWORD_MIN));
  return page_render(resp, req, status, "admin_comptes", v);
}

int page_admin_users(struct http_req *req, struct http_resp *resp) {
  int rc = admin_only(req);
  if (rc) return rc;
  json_t *v = json_object();
  notice(v, req);
  return users_page(resp, req, 200, v);
}

int page_admin_user_add(struct http_req *req, struct http_resp *resp) {
  int rc = admin_only(req);
  if (rc) return rc;
  const struct form *f = req->form;
  struct user_new n = {form_get(f, "email"),    form_get(f, "name"),      form_get(f, "role"),
                       opt(form_get(f, "collectivity")), opt(form_get(f, "org")), form_get(f, "password")};
  if (!n.email) n.email = "";
  if (!n.name) n.name = "";
  if (!n.role) n.role = "";
  if (!n.password || !*n.password) {
    rc = err_set(ERR_INVALID, "password", "mot de passe : %d caractères au moins", USER_PASSWORD_MIN);
  } else {
    int64_t id;
    rc = user_add(&id, req->db, &req->user, &n);
  }
  if (!rc) return page_redirect(resp, req, "/admin/utilisateurs?avis=compte");
  if (!form_refusal(rc)) return rc;
  json_t *v = json_pack("{s:o}", "form", typed(f, user_fields)); /* never the password */
  form_error(v);
  return users_page(resp, req, http_status_of(rc) == 409 ? 409 : 422, v);
}

int page_admin_token(struct http_req *req, struct http_resp *resp) {
  int rc = admin_only(req);
  if (rc) return rc;
  const char *email = form_get(req->form, "email"), *label = opt(form_get(req->form, "label"));
  char *token = NULL;
  rc = user_token_create(&token, req->db, &req->user, email ? email : "", label);
  if (form_refusal(rc)) {
    json_t *v = json_pack("{s:{s:s}}", "token_form", "email", email ? email : "");
    form_error(v);
    return users_page(resp, req, 422, v);
  }
  if (rc) return rc;
  /* The token is in this answer only (never stored, never in an address;
   * the server sends every page with Cache-Control: no-store). */
  json_t *v = json_pack("{s:s, s:s, s:s, s:s?}", "title", "Jeton d'API créé", "token", token, "email", email,
                        "label", label);
  free(token);
  return page_render(resp, req, 200, "admin_jeton", v);
}

/* ---- orgs --------------------------------------------------------------- */

static const char *const org_kinds[][2] = {{"direction", "Direction du Département"},
                                           {"service", "Service"},
                                           {"satellite", "Satellite (agence, CAUE, syndicat…)"},
                                           {"mission", "Mission"},
                                           {"partner", "Partenaire"}};
static const char *const org_fields[] = {"slug", "name", "kind", "parent", "email", "phone", "capacity", NULL};

static int orgs_page(struct http_resp *resp, struct http_req *req, int status, json_t *v) {
  json_t *orgs;
  int rc = catalog_org_list(&orgs, req->db);
  if (rc) {
    json_decref(v);
    return rc;
  }
  size_t i;
  json_t *o;
  json_array_foreach(orgs, i, o) {
    const char *label = catalog_org_kind_label(json_string_value(json_object_get(o, "kind")));
    if (label) json_object_set_new(o, "kind_label", json_string(label));
  }
  json_object_set_new(v, "title", json_string("Structures"));
  json_object_set_new(v, "orgs", orgs);
  json_t *form = json_object_get(v, "form");
  json_object_set_new(v, "kinds", choices(org_kinds, sizeof org_kinds / sizeof org_kinds[0],
                                          form ? json_string_value(json_object_get(form, "kind")) : NULL));
  return page_render(resp, req, status, "admin_structures", v);
}

int page_admin_orgs(struct http_req *req, struct http_resp *resp) {
  int rc = admin_only(req);
  if (rc) return rc;
  json_t *v = json_object();
  notice(v, req);
  return orgs_page(resp, req, 200, v);
}

int page_admin_org_add(struct http_req *req, struct http_resp *resp) {
  int rc = admin_only(req);
  if (rc) return rc;
  const struct form *f = req->form;
  struct catalog_org_new n = {form_get(f, "slug"),        form_get(f, "name"),  form_get(f, "kind"),
                              opt(form_get(f, "parent")), opt(form_get(f, "email")), opt(form_get(f, "phone")), -1};
  const char *cap = opt(form_get(f, "capacity"));
  if (cap) {
    char *end;
    long c = strtol(cap, &end, 10);
    if (*end || c < 0 || c > 100000) rc = err_set(ERR_INVALID, "capacity", "capacité : un nombre entier positif est attendu");
    n.capacity = (int)c;
  }
  if (!n.slug) n.slug = "";
  if (!n.name) n.name = "";
  if (!n.kind) n.kind = "";
  int64_t id;
  if (!rc) rc = catalog_org_add(&id, req->db, &req->user, &n);
  if (!rc) return page_redirect(resp, req, "/admin/structures?avis=structure");
  if (!form_refusal(rc)) return rc;
  json_t *v = json_pack("{s:o}", "form", typed(f, org_fields));
  form_error(v);
  return orgs_page(resp, req, rc == ERR_CONFLICT ? 409 : 422, v);
}

/* ---- offers ------------------------------------------------------------- */

static const char *const offer_kinds[][2] = {{"conseil", "Conseil"},       {"amo", "Assistance à maîtrise d'ouvrage"},
                                             {"etude", "Étude"},           {"subvention", "Subvention"},
                                             {"formation", "Formation"},   {"evenement", "Événement"}};
static const char *const offer_fields[] = {"slug", "org", "kind", "title", "summary", "perimeter", "eligibility", NULL};

static int offers_page(struct http_resp *resp, struct http_req *req, int status, json_t *v) {
  json_t *offers = NULL, *orgs = NULL, *themes = NULL, *labels = NULL;
  int rc = catalog_offer_list(&offers, req->db, NULL, NULL);
  if (!rc) rc = catalog_org_list(&orgs, req->db);
  if (!rc) rc = theme_labels(&labels, &themes, req->db);
  if (rc) {
    json_decref(offers);
    json_decref(orgs);
    json_decref(v);
    return rc;
  }
  json_decref(labels);
  json_t *form = json_object_get(v, "form");
  const char *org = form ? json_string_value(json_object_get(form, "org")) : NULL;
  size_t i;
  json_t *o;
  json_array_foreach(orgs, i, o)
      json_object_set_new(o, "selected", json_boolean(org && !strcmp(org, json_string_value(json_object_get(o, "slug")))));
  json_t *checked = json_object_get(v, "checked_themes");
  json_array_foreach(themes, i, o) {
    const char *code = json_string_value(json_object_get(o, "code"));
    size_t k;
    json_t *c;
    json_array_foreach(checked, k, c) if (!strcmp(json_string_value(c), code)) json_object_set_new(o, "checked", json_true());
  }
  json_object_set_new(v, "title", json_string("Offres d'appui"));
  json_object_set_new(v, "offers", offers);
  json_object_set_new(v, "orgs", orgs);
  json_object_set_new(v, "themes", themes);
  json_object_set_new(v, "kinds", choices(offer_kinds, sizeof offer_kinds / sizeof offer_kinds[0],
                                          form ? json_string_value(json_object_get(form, "kind")) : NULL));
  return page_render(resp, req, status, "admin_offres", v);
}

int page_admin_offers(struct http_req *req, struct http_resp *resp) {
  int rc = admin_only(req);
  if (rc) return rc;
  json_t *v = json_object();
  notice(v, req);
  return offers_page(resp, req, 200, v);
}

int page_admin_offer_add(struct http_req *req, struct http_resp *resp) {
  int rc = admin_only(req);
  if (rc) return rc;
  const struct form *f = req->form;
  const char *themes[16];
  int n_themes = form_all(themes, 16, f, "themes");
  struct catalog_offer_new n = {.slug = form_get(f, "slug"),
                                .org = form_get(f, "org"),
                                .kind = form_get(f, "kind"),
                                .title = form_get(f, "title"),
                                .summary = opt(form_get(f, "summary")),
                                .themes = themes,
                                .n_themes = n_themes,
                                .perimeter = opt(form_get(f, "perimeter")),
                                .eligibility = opt(form_get(f, "eligibility")),
                                .requires_membership = form_get(f, "membership") != NULL,
                                .sla_ack = -1,
                                .sla_take = -1,
                                .sla_resolve = -1};
  if (!n.slug) n.slug = "";
  if (!n.org) n.org = "";
  if (!n.kind) n.kind = "";
  if (!n.title) n.title = "";
  int64_t id;
  rc = catalog_offer_add(&id, req->db, &req->user, &n);
  if (!rc) return page_redirect(resp, req, "/admin/offres?avis=offre");
  if (!form_refusal(rc)) return rc;
  json_t *v = json_pack("{s:o}", "form", typed(f, offer_fields)), *checked = json_array();
  for (int i = 0; i < n_themes; i++) json_array_append_new(checked, json_string(themes[i]));
  json_object_set_new(v, "checked_themes", checked);
  if (n.requires_membership) json_object_set_new(json_object_get(v, "form"), "membership", json_true());
  form_error(v);
  return offers_page(resp, req, rc == ERR_CONFLICT ? 409 : 422, v);
}

/* ---- processes ---------------------------------------------------------- */

static int processes_page(struct http_resp *resp, struct http_req *req, int status, json_t *v) {
  json_t *versions;
  int rc = store_list(&versions, req->db, NULL);
  if (rc) {
    json_decref(v);
    return rc;
  }
  json_object_set_new(v, "title", json_string("Circuits (processus BPMN)"));
  json_object_set_new(v, "versions", versions);
  return page_render(resp, req, status, "admin_processus", v);
}

int page_admin_processes(struct http_req *req, struct http_resp *resp) {
  int rc = admin_only(req);
  if (rc) return rc;
  json_t *v = json_object();
  notice(v, req);
  return processes_page(resp, req, 200, v);
}

int page_admin_publish(struct http_req *req, struct http_resp *resp) {
  int rc = admin_only(req);
  if (rc) return rc;
  const struct form_field *file = form_file(req->form, "fichier");
  struct store_version ver = {0};
  struct bpmn_report report = {0};
  if (!file) {
    rc = err_set(ERR_INVALID, "fichier", "aucun fichier choisi : choisissez la définition BPMN à publier");
  } else {
    char path[4096], author[600];
    struct store *s = NULL;
    workflow_repository(path, sizeof path, req->data_dir);
    snprintf(author, sizeof author, "%s <%s>", req->user.name, req->user.email);
    rc = store_open(&s, path, 0);
    if (!rc)
      rc = store_publish(&ver, &report, s, req->db, &req->user, file->value.data ? file->value.data : "",
                         file->value.len, author, opt(form_get(req->form, "message")));
    store_close(s);
  }
  if (!rc) {
    bpmn_report_free(&report);
    char to[256];
    snprintf(to, sizeof to, "/admin/processus?avis=%s", ver.created ? "publie" : "inchange");
    return page_redirect(resp, req, to);
  }
  if (rc != ERR_INVALID && rc != ERR_TOOLARGE && rc != ERR_CONFLICT) {
    bpmn_report_free(&report);
    return rc;
  }
  json_t *v = json_object(), *issues = json_array();
  form_error(v);
  for (int i = 0; i < report.n; i++)
    json_array_append_new(issues, json_pack("{s:s, s:s, s:b}", "element", report.items[i].element, "message",
                                            report.items[i].message, "error", report.items[i].error));
  bpmn_report_free(&report);
  json_object_set_new(v, "issues", issues);
  return processes_page(resp, req, rc == ERR_TOOLARGE ? 413 : 422, v);
}

/* French words of a change kind of store_diff(). */
static json_t *diff_view(json_t *d) {
  json_t *v = json_object();
  const char *keys[] = {"added", "removed", "changed"};
  for (int k = 0; k < 3; k++) {
    json_t *a = json_object_get(d, keys[k]);
    if (json_array_size(a)) json_object_set(v, keys[k], a);
  }
  if (!json_object_size(v)) json_object_set_new(v, "none", json_true());
  return v;
}

/* The version page of `name` version `p`, with `extra` (stolen, may be
 * NULL) merged into its view: a migration's report or error. */
static int version_page(struct http_resp *resp, struct http_req *req, const char *name, const char *p, int status,
                        json_t *extra) {
  int rc;
  char *end;
  long number = strtol(p, &end, 10);
  int xml = !strcmp(end, ".bpmn");
  if (end == p || number < 1 || number > 1000000 || (*end && !xml)) {
    json_decref(extra);
    return err_set(ERR_NOTFOUND, "version", "version inconnue : « %s »", p);
  }
  if (xml) {
    char *text;
    size_t len;
    json_decref(extra);
    if ((rc = store_xml(&text, &len, req->db, name, (int)number))) return rc;
    return http_take(resp, 200, "application/xml", text, len);
  }
  json_t *versions;
  if ((rc = store_list(&versions, req->db, name))) {
    json_decref(extra);
    return rc;
  }
  json_t *mine = NULL;
  size_t i;
  json_t *x;
  json_array_foreach(versions, i, x) if (json_integer_value(json_object_get(x, "version")) == number) mine = x;
  if (!mine) {
    json_decref(versions);
    json_decref(extra);
    return err_set(ERR_NOTFOUND, "version", "version inconnue : %s v%ld", name, number);
  }
  char title[200], href[300];
  snprintf(title, sizeof title, "Circuit %s, version %ld", name, number);
  snprintf(href, sizeof href, "/admin/processus/%s/%ld.bpmn", name, number);
  json_t *v = json_pack("{s:s, s:s, s:s, s:O, s:[{s:s}, {s:s, s:b}], s:[{s:s}, {s:s}]}", "title", title, "process",
                        name, "bpmn", href, "version", mine, "scripts", "src", "/static/bpmn-viewer.js", "src",
                        "/static/diagram.js", "module", 1, "styles", "href", "/static/diagram-js.css", "href",
                        "/static/bpmn-js.css");
  json_decref(versions);
  if (extra) json_object_update(v, extra);
  json_decref(extra);
  char action[300];
  snprintf(action, sizeof action, "/admin/processus/%s/%ld/migrer", name, number);
  json_object_set_new(v, "migrate_action", json_string(action));
  if (number > 1) {
    json_t *d;
    if ((rc = store_diff(&d, req->db, name, (int)number - 1, (int)number))) {
      json_decref(v);
      return rc;
    }
    json_object_set_new(v, "diff", diff_view(d));
    json_object_set_new(v, "previous", json_integer(number - 1));
    json_decref(d);
  }
  return page_render(resp, req, status, "admin_version", v);
}

int page_admin_version(struct http_req *req, struct http_resp *resp) {
  int rc = admin_only(req);
  if (rc) return rc;
  json_t *extra = NULL;
  const char *avis = http_query(req, "avis");
  if (avis && !strcmp(avis, "migree")) extra = json_pack("{s:s}", "notice", "L'instance a été migrée vers cette version.");
  return version_page(resp, req, req->params[0], req->params[1], 200, extra);
}

int page_admin_migrate(struct http_req *req, struct http_resp *resp) {
  int rc = admin_only(req);
  if (rc) return rc;
  const char *name = req->params[0], *p = req->params[1], *ref = form_get(req->form, "ref");
  int dry = form_get(req->form, "essai") != NULL;
  char *end;
  long number = strtol(p, &end, 10);
  int64_t target, request;
  struct workflow_state ws;
  json_t *report = NULL;
  if (end == p || *end || number < 1) return err_set(ERR_NOTFOUND, "version", "version inconnue : « %s »", p);
  if ((rc = store_version_id(&target, req->db, name, (int)number))) return rc;
  rc = request_access(&request, req->db, &req->user, ref ? ref : "", PERM_READ);
  if (!rc) rc = workflow_state(&ws, req->db, request);
  if (!rc && !ws.instance) rc = err_set(ERR_NOTFOUND, "ref", "la demande %s n'a pas de circuit", ref);
  if (!rc) rc = migrate_instance(&report, req->engine, &req->user, ws.instance, target, NULL, dry, clock_now_ms());
  if (!rc && !dry) {
    json_decref(report);
    char to[300];
    snprintf(to, sizeof to, "/admin/processus/%s/%ld?avis=migree", name, number);
    return page_redirect(resp, req, to);
  }
  if (rc && !form_refusal(rc)) {
    json_decref(report);
    return rc;
  }
  json_t *extra = json_pack("{s:{s:s}}", "migrate_form", "ref", ref ? ref : "");
  if (rc) form_error(extra);
  else json_object_set_new(extra, "notice", json_string("Essai réussi : l'instance peut être migrée vers cette version."));
  json_t *problems = report ? json_object_get(report, "problems") : NULL;
  if (json_array_size(problems)) {
    json_object_set(extra, "problems", problems);
    json_object_set_new(extra, "has_problems", json_true());
  }
  json_decref(report);
  return version_page(resp, req, name, p, rc ? 422 : 200, extra);
}
