/* api_dispatch — matching, parts and deadlines of requests over HTTP (see
 * api.h). Every operation is the one of core/match, core/part (through
 * workflows/dispatch) and core/sla: no rule lives here. */
#include "api.h"
#include "clock.h"
#include "dispatch.h"
#include "err.h"
#include "match.h"
#include "part.h"
#include "request.h"
#include "sla.h"
#include <stdlib.h>
#include <string.h>

/* Integer query parameter `name` in [min, max] into *out (unchanged when
 * absent). Returns 0 or ERR_INVALID. */
static int query_int(int *out, const struct http_req *req, const char *name, int min, int max) {
  const char *v = http_query(req, name);
  if (!v) return 0;
  char *end;
  long n = strtol(v, &end, 10);
  if (!*v || *end || n < min || n > max)
    return err_set(ERR_INVALID, name, "%s : un entier de %d à %d est attendu, reçu « %s »", name, min, max, v);
  *out = (int)n;
  return 0;
}

static int flag(const struct http_req *req, const char *name) {
  const char *v = http_query(req, name);
  return v && (!strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "oui"));
}

int api_dispatch_matches(struct http_req *req, struct http_resp *resp) {
  int limit = 10;
  int rc = query_int(&limit, req, "limit", 1, 200);
  json_t *m;
  if (!rc) rc = match_request(&m, req->db, &req->user, req->params[0], flag(req, "explain") ? MATCH_EXPLAIN : 0, limit,
                              clock_now_ms());
  return rc ? rc : http_json(resp, 200, m);
}

int api_dispatch_match_dry(struct http_req *req, struct http_resp *resp) {
  int limit = 10;
  int rc = query_int(&limit, req, "limit", 1, 200);
  if (rc) return rc;
  const char *coll = http_query(req, "collectivity"), *list = http_query(req, "theme");
  if (!coll) return err_set(ERR_INVALID, "collectivity", "collectivity : indiquez le code de la collectivité");
  if (!list || !*list) return err_set(ERR_INVALID, "theme", "theme : indiquez au moins une thématique (theme=voirie,energie)");
  char copy[512];
  if (strlen(list) >= sizeof copy) return err_set(ERR_INVALID, "theme", "theme : liste trop longue");
  strcpy(copy, list);
  const char *themes[16];
  int n = 0;
  for (char *save = NULL, *t = strtok_r(copy, ",", &save); t && n < 16; t = strtok_r(NULL, ",", &save)) themes[n++] = t;
  struct match_query q = {coll, themes, n, http_query(req, "text"), 0, NULL, -1, NULL};
  json_t *m;
  if ((rc = match_run(&m, req->db, &q, flag(req, "explain") ? MATCH_EXPLAIN : 0, limit, clock_now_ms()))) return rc;
  return http_json(resp, 200, m);
}

/* Answers with the parts of request `ref` (status `status`). */
static int parts_of(struct http_resp *resp, struct http_req *req, int status) {
  int64_t id;
  json_t *parts;
  int rc = request_access(&id, req->db, &req->user, req->params[0], PERM_READ);
  if (!rc) rc = part_list(&parts, req->db, id);
  return rc ? rc : http_json(resp, status, json_pack("{s:o}", "items", parts));
}

int api_dispatch_parts(struct http_req *req, struct http_resp *resp) { return parts_of(resp, req, 200); }

int api_dispatch_propose(struct http_req *req, struct http_resp *resp) {
  static const char *const allowed[] = {"org", "offer", "role", NULL};
  json_t *body;
  const char *org = NULL, *offer = NULL, *role = NULL;
  int rc = http_body_object(&body, req);
  if (rc) return rc;
  if (!(rc = http_fields_allowed(body, allowed)) && !(rc = http_field_str(&org, body, "org")) &&
      !(rc = http_field_str(&offer, body, "offer")) && !(rc = http_field_str(&role, body, "role"))) {
    if (!org) rc = err_set(ERR_INVALID, "org", "org : indiquez la structure à proposer");
    else rc = dispatch_propose(req->engine, &req->user, req->params[0], org, offer, role ? role : "lead");
  }
  json_decref(body);
  return rc ? rc : parts_of(resp, req, 201);
}

int api_dispatch_part_op(struct http_req *req, struct http_resp *resp) {
  static const char *const allowed[] = {"reason", "agent", "to", "offer", NULL};
  const char *org = req->params[1], *op = req->params[2];
  json_t *body = NULL;
  const char *reason = NULL, *agent = NULL, *to = NULL, *offer = NULL;
  int rc = 0;
  if (req->body_len) rc = http_body_object(&body, req);
  if (!rc && body &&
      ((rc = http_fields_allowed(body, allowed)) || (rc = http_field_str(&reason, body, "reason")) ||
       (rc = http_field_str(&agent, body, "agent")) || (rc = http_field_str(&to, body, "to")) ||
       (rc = http_field_str(&offer, body, "offer"))))
    goto done;
  if (rc) goto done;
  enum part_op move;
  if (!strcmp(op, "assign")) {
    rc = dispatch_assign(req->engine, &req->user, req->params[0], org, agent);
  } else if (!strcmp(op, "handover")) {
    rc = to ? dispatch_handover(req->engine, &req->user, req->params[0], org, to, offer)
            : err_set(ERR_INVALID, "to", "to : indiquez la structure qui reprend");
  } else if (part_op_parse(&move, op) == 0) {
    rc = dispatch_move(NULL, req->engine, &req->user, req->params[0], org, move, reason);
  } else {
    rc = err_set(ERR_NOTFOUND, "op", "opération inconnue « %s » : accept, decline, start, done, cancel, assign ou "
                                     "handover",
                 op);
  }
done:
  json_decref(body);
  return rc ? rc : parts_of(resp, req, 200);
}

int api_dispatch_reassign(struct http_req *req, struct http_resp *resp) {
  static const char *const allowed[] = {"from", "to", NULL};
  json_t *body;
  const char *from = NULL, *to = NULL;
  int moved = 0, rc = http_body_object(&body, req);
  if (rc) return rc;
  if (!(rc = http_fields_allowed(body, allowed)) && !(rc = http_field_str(&from, body, "from")) &&
      !(rc = http_field_str(&to, body, "to")) && !(rc = part_bulk_reassign(&moved, req->db, &req->user, from, to)))
    http_json(resp, 200, json_pack("{s:i, s:s?, s:s?}", "moved", moved, "from", from, "to", to));
  json_decref(body); /* owns from and to: after the answer is built */
  return rc;
}

int api_dispatch_queue(struct http_req *req, struct http_resp *resp) {
  int limit = 50;
  json_t *items;
  int rc = query_int(&limit, req, "limit", 1, 500);
  if (!rc) rc = part_queue(&items, req->db, &req->user, req->params[0], http_query(req, "state"), limit);
  return rc ? rc : http_json(resp, 200, json_pack("{s:o}", "items", items));
}

int api_dispatch_sla(struct http_req *req, struct http_resp *resp) {
  int64_t id;
  json_t *o;
  int rc = request_access(&id, req->db, &req->user, req->params[0], PERM_READ);
  if (!rc) rc = sla_show(&o, req->db, id, clock_now_ms());
  return rc ? rc : http_json(resp, 200, o);
}
