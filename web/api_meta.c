/* api_meta — health check and the OpenAPI description (see api.h). */
#include "api.h"
#include "embed.h"
#include "err.h"

extern const struct embed_file web_files[];
extern const size_t web_files_count;

static const char health[] = "{\"status\":\"ok\"}";

int api_meta_health(struct http_req *req, struct http_resp *resp) {
  (void)req;
  return http_bytes(resp, 200, "application/json", health, sizeof health - 1);
}

int api_meta_openapi(struct http_req *req, struct http_resp *resp) {
  (void)req;
  const struct embed_file *f = embed_find(web_files, web_files_count, "openapi.json");
  if (!f) return err_set(ERR_INTERNAL, NULL, "description OpenAPI absente du programme");
  return http_bytes(resp, 200, "application/json", f->data, f->size);
}
