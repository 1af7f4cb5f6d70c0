/* api_catalog — themes, orgs and offers (see api.h). */
#include "api.h"
#include "catalog.h"
#include "theme.h"

static int wrap(struct http_resp *resp, int rc, json_t *o) {
  if (rc) return rc;
  return http_json(resp, 200, o);
}

int api_catalog_themes(struct http_req *req, struct http_resp *resp) {
  json_t *o;
  int rc = theme_list(&o, req->db);
  return wrap(resp, rc, rc ? NULL : json_pack("{s:o}", "items", o));
}

int api_catalog_orgs(struct http_req *req, struct http_resp *resp) {
  json_t *o;
  int rc = catalog_org_list(&o, req->db);
  return wrap(resp, rc, rc ? NULL : json_pack("{s:o}", "items", o));
}

int api_catalog_org(struct http_req *req, struct http_resp *resp) {
  json_t *o;
  int rc = catalog_org_show(&o, req->db, req->params[0]);
  return wrap(resp, rc, o);
}

int api_catalog_offers(struct http_req *req, struct http_resp *resp) {
  json_t *o;
  int rc = catalog_offer_list(&o, req->db, http_query(req, "theme"), http_query(req, "org"));
  return wrap(resp, rc, rc ? NULL : json_pack("{s:o}", "items", o));
}

int api_catalog_offer(struct http_req *req, struct http_resp *resp) {
  json_t *o;
  int rc = catalog_offer_show(&o, req->db, req->params[0]);
  return wrap(resp, rc, o);
}
