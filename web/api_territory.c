/* api_territory — communes and collectivities of the referential (see
 * api.h). */
#include "api.h"
#include "err.h"
#include "territory.h"
#include <string.h>

int api_territory_collectivity(struct http_req *req, struct http_resp *resp) {
  json_t *o;
  int rc = territory_show(&o, req->db, req->params[0]);
  if (rc) return rc;
  return http_json(resp, 200, o);
}

int api_territory_commune(struct http_req *req, struct http_resp *resp) {
  json_t *o;
  int rc = territory_show(&o, req->db, req->params[0]);
  if (rc) return rc;
  if (strcmp(json_string_value(json_object_get(o, "kind")), "commune") != 0) {
    json_decref(o);
    return err_set(ERR_NOTFOUND, "code", "%s n'est pas une commune (voir /api/v1/territory/collectivities/%s)",
                   req->params[0], req->params[0]);
  }
  return http_json(resp, 200, o);
}
