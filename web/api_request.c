/* api_request — the authenticated user and requests: list, file, show,
 * journal, messages, documents (see api.h). */
#include "api.h"
#include "attachment.h"
#include "err.h"
#include "journal.h"
#include "message.h"
#include "request.h"
#include "workflow.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int api_request_me(struct http_req *req, struct http_resp *resp) {
  return http_json(resp, 200, user_to_json(&req->user));
}

int api_request_list(struct http_req *req, struct http_resp *resp) {
  struct request_filter f = {http_query(req, "status"), http_query(req, "theme"), http_query(req, "collectivity"),
                             http_query(req, "epci"),   http_query(req, "q"),     http_query(req, "cursor"), 0};
  const char *limit = http_query(req, "limit");
  if (limit) {
    char *end;
    long v = strtol(limit, &end, 10);
    if (!*limit || *end || v < 1 || v > REQUEST_LIST_MAX)
      return err_set(ERR_INVALID, "limit", "limit : un entier entre 1 et %d est attendu", REQUEST_LIST_MAX);
    f.limit = (int)v;
  }
  json_t *items;
  char *next;
  int rc = request_list(&items, &next, req->db, &req->user, &f);
  if (rc) return rc;
  json_t *o = json_pack("{s:o, s:s?}", "items", items, "next_cursor", next);
  free(next);
  return http_json(resp, 200, o);
}

static int show(struct http_resp *resp, struct http_req *req, const char *ref, int status) {
  json_t *o;
  int rc = request_show(&o, req->db, &req->user, ref, 0);
  if (rc) return rc;
  return http_json(resp, status, o);
}

int api_request_show(struct http_req *req, struct http_resp *resp) {
  char *text;
  size_t len;
  int rc = request_show_text(&text, &len, req->db, &req->user, req->params[0], 0);
  if (rc) return rc;
  return http_take(resp, 200, "application/json", text, len);
}

int api_request_file(struct http_req *req, struct http_resp *resp) {
  static const char *const allowed[] = {"collectivity", "title", "description", "themes", "offer",
                                        "budget", "desired_date", NULL};
  json_t *body;
  const char *themes[16];
  struct request_new n = {0};
  double budget = 0;
  int has_budget, rc = http_body_object(&body, req);
  if (rc) return rc;
  if ((rc = http_fields_allowed(body, allowed)) || (rc = http_field_str(&n.collectivity, body, "collectivity")) ||
      (rc = http_field_str(&n.title, body, "title")) || (rc = http_field_str(&n.description, body, "description")) ||
      (rc = http_field_strs(themes, 16, &n.n_themes, body, "themes")) ||
      (rc = http_field_str(&n.offer, body, "offer")) || (rc = http_field_num(&budget, &has_budget, body, "budget")) ||
      (rc = http_field_str(&n.desired_date, body, "desired_date")))
    goto done;
  n.themes = themes;
  n.budget_cents = -1;
  if (has_budget) {
    if (!(budget >= 0) || budget > 1e12) {
      rc = err_set(ERR_INVALID, "budget", "budget : un montant positif en euros est attendu");
      goto done;
    }
    n.budget_cents = (int64_t)llround(budget * 100.0);
  }
  char ref[REQUEST_REF_SIZE];
  if ((rc = workflow_file(ref, NULL, req->engine, &req->user, &n))) goto done;
  snprintf(resp->location, sizeof resp->location, "/api/v1/requests/%s", ref);
  rc = show(resp, req, ref, 201);
done:
  json_decref(body);
  return rc;
}

int api_request_events(struct http_req *req, struct http_resp *resp) {
  json_t *o;
  int rc = request_show(&o, req->db, &req->user, req->params[0], REQUEST_WITH_EVENTS);
  if (rc) return rc;
  json_t *events = json_incref(json_object_get(o, "events"));
  json_decref(o);
  return http_json(resp, 200, json_pack("{s:o}", "items", events));
}

int api_request_message(struct http_req *req, struct http_resp *resp) {
  static const char *const allowed[] = {"body", "visibility", NULL};
  json_t *body;
  const char *text = NULL, *visibility = NULL;
  int rc = http_body_object(&body, req);
  if (rc) return rc;
  int64_t id;
  if (!(rc = http_fields_allowed(body, allowed)) && !(rc = http_field_str(&text, body, "body")) &&
      !(rc = http_field_str(&visibility, body, "visibility")) &&
      !(rc = message_post(&id, req->db, &req->user, req->params[0], visibility, text)))
    http_json(resp, 201, json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id, "visibility",
                                   visibility ? visibility : "public", "body", text));
  json_decref(body);
  return rc;
}

int api_request_attach(struct http_req *req, struct http_resp *resp) {
  const char *name = http_query(req, "name");
  const char *type = http_header(req, "Content-Type");
  char media[128] = "";
  if (type) { /* drop parameters such as "; charset=utf-8" */
    size_t n = strcspn(type, "; ");
    if (n >= sizeof media) n = sizeof media - 1;
    memcpy(media, type, n);
    media[n] = 0;
  }
  if (!name) return err_set(ERR_INVALID, "name", "name : indiquez le nom du fichier (?name=devis.pdf)");
  int64_t id;
  int rc = attachment_add(&id, req->db, &req->user, req->blobs, req->params[0], name, media[0] ? media : NULL,
                          req->body, req->body_len);
  if (rc) return rc;
  return http_json(resp, 201, json_pack("{s:I, s:s, s:s, s:I}", "id", (json_int_t)id, "name", name, "media_type",
                                        media, "size", (json_int_t)req->body_len));
}
