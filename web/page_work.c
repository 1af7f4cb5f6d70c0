/* page_work — the queue of an org and the orientation of a request (see
 * page_work.h). */
#include "page_work.h"
#include "catalog.h"
#include "clock.h"
#include "dispatch.h"
#include "err.h"
#include "form.h"
#include "match.h"
#include "page.h"
#include "part.h"
#include "request.h"
#include "user.h"
#include "workflow.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUEUE_LIMIT 500

void page_work_date(char out[20], const char *rfc) {
  out[0] = 0;
  if (!rfc) return;
  /* YYYY-MM-DDTHH:MM… */
  if (strlen(rfc) >= 16 && rfc[4] == '-' && rfc[7] == '-' && rfc[10] == 'T' && rfc[13] == ':')
    snprintf(out, 20, "%.2s/%.2s/%.4s %.5s", rfc + 8, rfc + 5, rfc, rfc + 11);
  else
    snprintf(out, 20, "%s", rfc);
}

static const char *str(const json_t *o, const char *key) { return json_string_value(json_object_get(o, key)); }

/* ---- The queue (/file) ---------------------------------------------- */

/* The operations of the page: path word, part operation, notice code. */
static const struct {
  const char *word;
  int op;          /* enum part_op, or -1 assign, -2 hand over */
  const char *avis;
  const char *done; /* French sentence after success */
} ops[] = {
    {"accepter", PART_ACCEPT, "acceptee", "acceptée"},
    {"decliner", PART_DECLINE, "declinee", "déclinée"},
    {"demarrer", PART_START, "demarree", "démarrée"},
    {"terminer", PART_DONE, "terminee", "terminée"},
    {"assigner", -1, "assignee", "assignée"},
    {"transmettre", -2, "transmise", "transmise à une autre structure"},
};
#define N_OPS (sizeof ops / sizeof ops[0])

static const struct {
  const char *value, *label;
} state_options[] = {
    {"", "Ouvertes (proposées, acceptées, en cours)"},
    {"proposed", "Proposées"},
    {"accepted", "Acceptées"},
    {"in_progress", "En cours"},
    {"done", "Terminées"},
    {"declined", "Déclinées"},
    {"cancelled", "Annulées"},
};

/* What the page knows of the org whose queue it shows. */
struct queue_ctx {
  const char *org;   /* slug */
  json_t *agents;    /* [{email, name}] agents and head of the org (manager only) */
  json_t *orgs;      /* every org [{slug, name}] */
  json_t *offers;    /* offers of the other orgs, by org [{org_name, offers:[{slug, title}]}] (manager only) */
  int manager;       /* head of that org, coordinator or admin */
  int coord;         /* acting as coordinator: forms carry the org */
};

/* Fills ctx->agents and ctx->orgs. Returns 0 or an error. */
static int ctx_load(struct queue_ctx *c, struct db *db) {
  json_t *users = NULL;
  int rc = catalog_org_list(&c->orgs, db);
  if (!rc && c->manager) rc = user_list(&users, db);
  c->agents = json_array();
  size_t i;
  json_t *u;
  json_array_foreach(users, i, u) {
    const char *role = str(u, "role"), *org = str(u, "org");
    if (org && !strcmp(org, c->org) && role && (!strcmp(role, "agent") || !strcmp(role, "head")))
      json_array_append_new(c->agents, json_pack("{s:s?, s:s?}", "email", str(u, "email"), "name", str(u, "name")));
  }
  json_decref(users);
  /* The offers another org may take the request over with, grouped by org. */
  json_t *all = NULL;
  c->offers = json_array();
  if (!rc && c->manager) rc = catalog_offer_list(&all, db, NULL, NULL);
  json_t *groups = json_object(), *o;
  json_array_foreach(all, i, o) {
    const json_t *org = json_object_get(o, "org");
    const char *slug = str(org, "slug");
    if (!slug || !strcmp(slug, c->org)) continue;
    json_t *g = json_object_get(groups, slug);
    if (!g) {
      g = json_pack("{s:s?, s:[]}", "org_name", str(org, "name"), "offers");
      json_object_set_new(groups, slug, g);
      json_array_append(c->offers, g);
    }
    json_array_append_new(json_object_get(g, "offers"), json_pack("{s:s?, s:s?}", "slug", str(o, "slug"), "title", str(o, "title")));
  }
  json_decref(groups);
  json_decref(all);
  return rc;
}

static void ctx_free(struct queue_ctx *c) {
  json_decref(c->offers);
  json_decref(c->agents);
  json_decref(c->orgs);
}

/* The row of the page for queue item `it` (borrowed): labels, French dates,
 * the actions `me` may take. New reference. */
static json_t *row_of(const json_t *it, const struct queue_ctx *c, const struct user *me) {
  const json_t *part = json_object_get(it, "part");
  const char *state = str(part, "state") ? str(part, "state") : "";
  const json_t *agent = json_object_get(part, "agent");
  const char *agent_email = str(agent, "email");
  int mine = agent_email && !strcmp(agent_email, me->email);
  int open = !strcmp(state, "proposed") || !strcmp(state, "accepted") || !strcmp(state, "in_progress");
  char due[20];
  page_work_date(due, str(it, "due_at"));
  const char *sl = part_state_label(state), *rl = part_role_label(str(part, "role"));
  json_t *row = json_pack("{s:s?, s:s?, s:s?, s:s?, s:s, s:s?, s:s?, s:s?, s:s?, s:s}", "ref", str(it, "ref"), "title",
                          str(it, "title"), "collectivity", str(json_object_get(it, "collectivity"), "name"), "status",
                          str(it, "status"), "state", state, "state_label", sl ? sl : state, "role_label", rl,
                          "offer", str(json_object_get(part, "offer"), "title"), "reason", str(part, "reason"), "due",
                          due);
  if (agent_email) json_object_set_new(row, "agent", json_pack("{s:s, s:s?}", "email", agent_email, "name", str(agent, "name")));
  if (c->coord) json_object_set_new(row, "org_field", json_string(c->org));
  int any = 0;
#define ACTION(key, cond)                                                                                              \
  if (cond) {                                                                                                          \
    json_object_set_new(row, key, json_true());                                                                        \
    any = 1;                                                                                                           \
  }
  ACTION("can_accept", c->manager && !strcmp(state, "proposed"));
  ACTION("can_decline", c->manager && !strcmp(state, "proposed"));
  ACTION("can_start", !strcmp(state, "accepted") && (c->manager || mine));
  ACTION("can_finish", !strcmp(state, "in_progress") && (c->manager || mine));
  ACTION("can_assign", c->manager && (!strcmp(state, "accepted") || !strcmp(state, "in_progress")));
  ACTION("can_handover", c->manager && open);
#undef ACTION
  if (any) json_object_set_new(row, "has_actions", json_true());
  if (json_is_true(json_object_get(row, "can_assign"))) {
    json_t *agents = json_array();
    size_t i;
    json_t *a;
    json_array_foreach(c->agents, i, a) {
      json_t *o = json_deep_copy(a);
      json_object_set_new(o, "selected", json_boolean(agent_email && str(a, "email") && !strcmp(agent_email, str(a, "email"))));
      json_array_append_new(agents, o);
    }
    json_object_set_new(row, "agents", agents);
  }
  if (json_is_true(json_object_get(row, "can_handover"))) {
    json_t *orgs = json_array();
    size_t i;
    json_t *g;
    json_array_foreach(c->orgs, i, g) if (str(g, "slug") && strcmp(str(g, "slug"), c->org))
        json_array_append_new(orgs, json_pack("{s:s, s:s?, s:b}", "slug", str(g, "slug"), "name", str(g, "name"),
                                              "selected", 0));
    json_object_set_new(row, "orgs_to", orgs);
    json_object_set(row, "offer_groups", c->offers);
  }
  return row;
}

/* The org of the page: ?org= (or the form's org) when given, else the
 * account's own. NULL for a coordinator who chose none. */
static const char *org_of(const struct http_req *req, const char *given) {
  if (given && *given) return given;
  return req->user.org_slug[0] ? req->user.org_slug : NULL;
}

/* Sets ctx->manager / coord for org `org`. */
static void ctx_roles(struct queue_ctx *c, const struct user *me, const char *org) {
  c->org = org;
  c->coord = user_coordinates(me);
  c->manager = c->coord || (me->role == ROLE_HEAD && !strcmp(me->org_slug, org));
}

/* The fixed sentences of ?avis= (never the query's text itself). */
static const char *avis_text(const char *avis) {
  for (size_t i = 0; avis && i < N_OPS; i++)
    if (!strcmp(avis, ops[i].avis)) return ops[i].done;
  return NULL;
}

/* Builds the view of /file for `org` (may be NULL for a coordinator: the
 * choice of an org), with the state filter, "mine", and the items. Adds
 * `error` (and keeps the row's typed values in `typed`, for the row `ref`)
 * when given. Returns 0 and *out, or an error. */
static int queue_view(json_t **out, struct http_req *req, const char *org, const char *state, int mine) {
  struct queue_ctx c = {0};
  json_t *v = json_object(), *items = NULL;
  int rc = 0;
  *out = NULL;
  if (state && !*state) state = NULL;
  json_t *states = json_array();
  for (size_t i = 0; i < sizeof state_options / sizeof state_options[0]; i++) {
    json_t *o = json_pack("{s:s, s:s}", "value", state_options[i].value, "label", state_options[i].label);
    json_object_set_new(o, "selected", json_boolean(!strcmp(state ? state : "", state_options[i].value)));
    json_array_append_new(states, o);
  }
  json_object_set_new(v, "states", states);
  if (mine) json_object_set_new(v, "mine", json_true());
  if (req->user.role == ROLE_AGENT || req->user.role == ROLE_HEAD) json_object_set_new(v, "can_mine", json_true());
  if (!org) {
    /* A coordinator chooses the org whose queue to see. */
    json_t *orgs;
    if ((rc = catalog_org_list(&orgs, req->db))) goto done;
    json_object_set_new(v, "choose_org", json_true());
    json_object_set_new(v, "orgs", orgs);
    json_object_set_new(v, "title", json_string("File de la structure"));
    goto done;
  }
  json_t *shown;
  if ((rc = catalog_org_show(&shown, req->db, org))) {
    if (rc == ERR_NOTFOUND) rc = err_set(ERR_NOTFOUND, "org", "structure inconnue : « %s »", org);
    goto done;
  }
  char title[400];
  snprintf(title, sizeof title, "File de la structure — %s", str(shown, "name") ? str(shown, "name") : org);
  json_object_set_new(v, "title", json_string(title));
  json_object_set_new(v, "org", json_pack("{s:s, s:s?}", "slug", org, "name", str(shown, "name")));
  json_decref(shown);
  ctx_roles(&c, &req->user, org);
  if (c.coord) json_object_set_new(v, "org_field", json_string(org));
  if ((rc = part_queue(&items, req->db, &req->user, org, state, QUEUE_LIMIT))) goto done;
  if ((rc = ctx_load(&c, req->db))) goto done;
  json_t *rows = json_array();
  size_t i;
  json_t *it;
  json_array_foreach(items, i, it) {
    const char *email = str(json_object_get(json_object_get(it, "part"), "agent"), "email");
    if (mine && !(email && !strcmp(email, req->user.email))) continue;
    json_array_append_new(rows, row_of(it, &c, &req->user));
  }
  if (json_array_size(rows)) json_object_set_new(v, "has_items", json_true());
  json_object_set_new(v, "items", rows);
done:
  json_decref(items);
  ctx_free(&c);
  if (rc) json_decref(v);
  else *out = v;
  return rc;
}

int page_work_queue(struct http_req *req, struct http_resp *resp) {
  if (req->user.role == ROLE_REQUESTER)
    return err_set(ERR_FORBIDDEN, NULL, "la file d'une structure est réservée à ses services et à la coordination");
  const char *state = http_query(req, "state"), *mine = http_query(req, "mine");
  const char *org = org_of(req, http_query(req, "org"));
  json_t *v;
  int rc = queue_view(&v, req, org, state, mine && !strcmp(mine, "1"));
  if (rc) return rc;
  const char *avis = avis_text(http_query(req, "avis")), *ref = http_query(req, "ref");
  int64_t id;
  if (avis) {
    char text[200];
    if (ref && !request_ref_id(&id, ref)) snprintf(text, sizeof text, "La demande %s a été %s.", ref, avis);
    else snprintf(text, sizeof text, "La mise en relation a été %s.", avis);
    json_object_set_new(v, "avis", json_string(text));
  }
  return page_render(resp, req, 200, "file_page", v);
}

/* Shows error `message` on `row` (key row_error), flags the field at fault
 * (err_reason, err_agent, err_to, err_offer) and keeps the values typed. */
static void mark_error(json_t *row, const char *message, const char *field, const char *reason, const char *to) {
  json_object_set_new(row, "row_error", json_string(message));
  static const char *const fields[] = {"reason", "agent", "to", "offer"};
  for (size_t i = 0; field && i < 4; i++)
    if (!strcmp(field, fields[i])) {
      char key[16];
      snprintf(key, sizeof key, "err_%s", fields[i]);
      json_object_set_new(row, key, json_true());
    }
  if (reason) json_object_set_new(row, "reason_typed", json_string(reason));
  size_t i;
  json_t *g;
  json_array_foreach(json_object_get(row, "orgs_to"), i, g)
      json_object_set_new(g, "selected", json_boolean(to && str(g, "slug") && !strcmp(to, str(g, "slug"))));
}

/* The row of request `ref` in the queue of `org` as `me` sees it now
 * (searched among the parts in `state`, NULL for the open ones), or NULL. */
static json_t *find_row(struct http_req *req, const struct queue_ctx *c, const char *ref, const char *state) {
  json_t *items = NULL, *row = NULL;
  if (part_queue(&items, req->db, &req->user, c->org, state, QUEUE_LIMIT)) return NULL;
  size_t i;
  json_t *it;
  json_array_foreach(items, i, it) if (str(it, "ref") && !strcmp(str(it, "ref"), ref)) {
      row = row_of(it, c, &req->user);
      break;
    }
  json_decref(items);
  return row;
}

/* The htmx answer: the row of `ref` as it is now (or a line saying it left
 * the queue) and the status message (`message`, an alert when `error`). */
static int row_answer(struct http_resp *resp, struct http_req *req, const char *org, const char *ref,
                      const char *message, int error, const char *reason, const char *field) {
  struct queue_ctx c = {0};
  ctx_roles(&c, &req->user, org);
  json_t *row = NULL;
  err_clear();
  if (!ctx_load(&c, req->db)) {
    static const char *const states[] = {NULL, "declined", "done", "cancelled"};
    for (size_t i = 0; !row && i < sizeof states / sizeof states[0]; i++) row = find_row(req, &c, ref, states[i]);
  }
  ctx_free(&c);
  if (!row) row = json_pack("{s:s, s:b}", "ref", ref, "gone", 1);
  if (error) mark_error(row, message, field, reason, NULL);
  json_t *v = json_pack("{s:o, s:s, s:b}", "row", row, "message", message, "error", error);
  return page_render(resp, req, 200, "file_ligne", v);
}

int page_work_part_op(struct http_req *req, struct http_resp *resp) {
  const char *ref = req->params[0], *word = req->params[1];
  size_t k = 0;
  while (k < N_OPS && strcmp(ops[k].word, word)) k++;
  if (k == N_OPS)
    return err_set(ERR_NOTFOUND, "op", "action inconnue « %s » : accepter, decliner, demarrer, terminer, assigner ou "
                                       "transmettre",
                   word);
  const char *given = form_get(req->form, "org");
  const char *org = org_of(req, given);
  if (!org) return err_set(ERR_INVALID, "org", "indiquez la structure pour laquelle vous agissez");
  const char *reason = form_get(req->form, "reason"), *agent = form_get(req->form, "agent");
  const char *to = form_get(req->form, "to"), *offer = form_get(req->form, "offer");
  if (reason && !*reason) reason = NULL;
  if (agent && !*agent) agent = NULL;
  if (offer && !*offer) offer = NULL;
  int rc;
  if (ops[k].op == -1) {
    rc = dispatch_assign(req->engine, &req->user, ref, org, agent);
  } else if (ops[k].op == -2) {
    rc = to && *to ? dispatch_handover(req->engine, &req->user, ref, org, to, offer)
                   : err_set(ERR_INVALID, "to", "choisissez la structure qui reprend la demande");
  } else if (ops[k].op == PART_DECLINE && !reason) {
    rc = err_set(ERR_INVALID, "reason", "le motif du refus est obligatoire : expliquez en quelques mots pourquoi votre "
                                        "structure décline cette demande");
  } else {
    rc = dispatch_move(NULL, req->engine, &req->user, ref, org, (enum part_op)ops[k].op, reason);
  }
  if (rc) {
    int status = http_status_of(rc);
    /* A refused move: the message where the user acts (status 200 for htmx,
     * which swaps only successful answers), or the form again (422) with
     * what was typed; refusals of access are error pages. */
    if (page_is_htmx(req) && !page_wants_json(req) && status < 500) {
      char msg[600];
      page_error_text(msg, sizeof msg);
      const char *field = err_field();
      char f[32];
      snprintf(f, sizeof f, "%s", field ? field : "");
      return row_answer(resp, req, org, ref, msg, 1, form_get(req->form, "reason"), f[0] ? f : NULL);
    }
    char msg[600], f[32];
    page_error_text(msg, sizeof msg);
    snprintf(f, sizeof f, "%s", err_field() ? err_field() : "");
    /* An unknown agent or org is a mistake of the form, not a missing page. */
    int typed = rc == ERR_NOTFOUND && (!strcmp(f, "agent") || !strcmp(f, "to") || !strcmp(f, "offer"));
    if (status != 422 && !typed) {
      err_set(rc, f[0] ? f : NULL, "%s", msg);
      return rc;
    }
    json_t *v;
    const char *state = form_get(req->form, "state");
    int rc2 = queue_view(&v, req, org, state, 0);
    if (rc2) return rc2;
    json_object_set_new(v, "error", json_string(msg));
    /* The row acted on keeps its typed values and shows the error. */
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(v, "items"), i, row) if (!strcmp(str(row, "ref"), ref)) {
        mark_error(row, msg, f[0] ? f : NULL, form_get(req->form, "reason"), to);
      }
    return page_render(resp, req, 422, "file_page", v);
  }
  if (page_is_htmx(req) && !page_wants_json(req)) {
    char msg[300];
    snprintf(msg, sizeof msg, "La demande %s a été %s.", ref, ops[k].done);
    return row_answer(resp, req, org, ref, msg, 0, NULL, NULL);
  }
  char to_url[256];
  snprintf(to_url, sizeof to_url, "/file?avis=%s&ref=%s%s%s", ops[k].avis, ref,
           user_coordinates(&req->user) ? "&org=" : "", user_coordinates(&req->user) ? org : "");
  /* A slug is [a-z0-9-]: nothing to encode; anything else goes back to /file. */
  for (const char *p = org; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-')) {
      snprintf(to_url, sizeof to_url, "/file?avis=%s&ref=%s", ops[k].avis, ref);
      break;
    }
  return page_redirect(resp, req, to_url);
}

/* ---- Orientation ----------------------------------------------------- */

/* French name of a gate of match.h. */
static const char *gate_label(const char *gate) {
  static const struct {
    const char *code, *label;
  } gates[] = {{"perimeter", "Hors du périmètre"},     {"audience", "Public non visé"},
               {"membership", "Adhésion requise"},     {"eligibility", "Condition d'éligibilité"},
               {"rule", "Écartée par une règle"},      {"unrelated", "Sans rapport avec la demande"}};
  for (size_t i = 0; gate && i < sizeof gates / sizeof gates[0]; i++)
    if (!strcmp(gate, gates[i].code)) return gates[i].label;
  return gate;
}

static int coordination_only(const struct http_req *req) {
  if (!req->authenticated || !user_coordinates(&req->user))
    return err_set(ERR_FORBIDDEN, NULL, "l'orientation des demandes est réservée à la coordination de la plateforme");
  return 0;
}

/* The view of the orientation page of `ref`. */
static int orientation_view(json_t **out, struct http_req *req, const char *ref) {
  json_t *rq = NULL, *m = NULL;
  *out = NULL;
  int rc = request_show(&rq, req->db, &req->user, ref, 0);
  if (!rc) rc = match_request(&m, req->db, &req->user, ref, MATCH_EXPLAIN, 20, clock_now_ms());
  int64_t task = 0, id = 0;
  const char *element = NULL;
  if (!rc) rc = request_access(&id, req->db, &req->user, ref, PERM_READ);
  if (!rc) rc = dispatch_coordination_task(&task, &element, req->db, id);
  if (rc) {
    json_decref(rq);
    json_decref(m);
    return rc;
  }
  char title[64];
  snprintf(title, sizeof title, "Orientation de la demande %s", ref);
  json_t *v = json_pack("{s:s}", "title", title);
  json_object_set_new(v, "request",
                      json_pack("{s:s, s:s?, s:s?, s:s?}", "ref", ref, "title", str(rq, "title"), "status",
                                str(rq, "status_label") ? str(rq, "status_label") : str(rq, "status"), "collectivity",
                                str(json_object_get(rq, "collectivity"), "name")));
  if (task) json_object_set_new(v, "awaiting", json_true());
  const char *lead = str(json_object_get(json_object_get(m, "proposal"), "lead"), "org");
  json_t *offers = json_array(), *seen = json_object();
  size_t i;
  json_t *o;
  json_array_foreach(json_object_get(m, "offers"), i, o) {
    const json_t *org = json_object_get(o, "org"), *offer = json_object_get(o, "offer");
    json_t *row = json_pack("{s:I, s:s?, s:s?, s:s?, s:s?, s:i, s:O}", "rank",
                            (json_int_t)json_integer_value(json_object_get(o, "rank")), "offer_slug", str(offer, "slug"),
                            "offer_title", str(offer, "title"), "org_slug", str(org, "slug"), "org_name",
                            str(org, "name"), "score", (int)lround(json_number_value(json_object_get(o, "score"))),
                            "reasons", json_object_get(o, "reasons") ? json_object_get(o, "reasons") : json_null());
    if (lead && str(org, "slug") && !strcmp(lead, str(org, "slug")) && !json_object_get(v, "proposed"))
      json_object_set_new(row, "proposed", json_true());
    /* The best offer of an org gets the button « Orienter vers ORG »; its
     * other offers name themselves too, so that every button is distinct. */
    const char *slug = str(org, "slug") ? str(org, "slug") : "";
    json_object_set_new(row, "offer_hint", json_object_get(seen, slug) ? json_string(str(offer, "title")) : json_null());
    json_object_set_new(seen, slug, json_true());
    json_array_append_new(offers, row);
  }
  json_decref(seen);
  if (json_array_size(offers)) json_object_set_new(v, "has_offers", json_true());
  json_object_set_new(v, "offers", offers);
  json_t *excluded = json_array();
  json_array_foreach(json_object_get(m, "excluded"), i, o) {
    json_array_append_new(excluded, json_pack("{s:s?, s:s?, s:s?, s:s?}", "offer",
                                              str(json_object_get(o, "offer"), "title"), "org",
                                              str(json_object_get(o, "org"), "name"), "gate",
                                              gate_label(str(o, "gate")), "reason", str(o, "reason")));
  }
  if (json_array_size(excluded)) json_object_set_new(v, "has_excluded", json_true());
  json_object_set_new(v, "excluded", excluded);
  if (str(m, "summary")) json_object_set_new(v, "summary", json_string(str(m, "summary")));
  json_decref(rq);
  json_decref(m);
  *out = v;
  return 0;
}

int page_work_orientation(struct http_req *req, struct http_resp *resp) {
  int rc = coordination_only(req);
  json_t *v;
  if (!rc) rc = orientation_view(&v, req, req->params[0]);
  return rc ? rc : page_render(resp, req, 200, "orientation_page", v);
}

int page_work_orient(struct http_req *req, struct http_resp *resp) {
  const char *ref = req->params[0];
  int rc = coordination_only(req);
  const char *org = form_get(req->form, "org"), *offer = form_get(req->form, "offer");
  if (offer && !*offer) offer = NULL;
  if (!rc) rc = dispatch_orient(req->engine, &req->user, ref, org, offer);
  if (rc == ERR_INVALID || rc == ERR_NOTFOUND) {
    /* A bad choice (no org, unknown org or offer): the page again, 422. */
    char msg[600];
    page_error_text(msg, sizeof msg);
    json_t *v;
    int rc2 = orientation_view(&v, req, ref);
    if (rc2) return rc2;
    json_object_set_new(v, "error", json_string(msg));
    return page_render(resp, req, 422, "orientation_page", v);
  }
  if (rc) return rc;
  if ((rc = workflow_run_due(NULL, req->engine, clock_now_ms()))) return rc;
  char to[64];
  snprintf(to, sizeof to, "/demandes/%s?avis=orientee", ref);
  return page_redirect(resp, req, to);
}
