/* http — exchange helpers for handlers (see http.h). */
#include "http.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include "err.h"
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int http_json(struct http_resp *r, int status, json_t *body) {
  r->status = status;
  json_decref(r->json);
  r->json = body;
  return 0;
}

int http_bytes(struct http_resp *r, int status, const char *type, const char *data, size_t len) {
  char *copy = malloc(len + 1);
  if (!copy) return err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
  memcpy(copy, data, len);
  copy[len] = 0;
  free(r->bytes);
  r->bytes = copy;
  r->len = len;
  r->type = type;
  r->status = status;
  return 0;
}

int http_take(struct http_resp *r, int status, const char *type, char *data, size_t len) {
  free(r->bytes);
  r->bytes = data;
  r->len = len;
  r->type = type;
  r->status = status;
  return 0;
}

int http_status_of(int rc) {
  switch (rc) {
  case ERR_INVALID: return 422;
  case ERR_NOTFOUND: return 404;
  case ERR_FORBIDDEN: return 403;
  case ERR_CONFLICT: return 409;
  case ERR_TOOLARGE: return 413;
  case ERR_MALFORMED:
  case ERR_USAGE: return 400;
  case ERR_UNAUTH: return 401;
  case ERR_MEDIATYPE: return 415;
  case ERR_TOOMANY: return 429;
  case ERR_BUSY: return 503;
  default: return 500;
  }
}

void http_error(struct http_resp *r, int rc) {
  json_t *e = json_pack("{s:s, s:s}", "code", err_name(rc), "message",
                        err_msg()[0] ? err_msg() : "erreur interne du serveur");
  if (err_field()[0] && rc == ERR_INVALID) json_object_set_new(e, "field", json_string(err_field()));
  http_json(r, http_status_of(rc), json_pack("{s:o}", "error", e));
}

const char *http_query(const struct http_req *q, const char *name) {
  return q->conn ? MHD_lookup_connection_value(q->conn, MHD_GET_ARGUMENT_KIND, name) : NULL;
}

const char *http_cookie(const struct http_req *q, const char *name) {
  return q->conn ? MHD_lookup_connection_value(q->conn, MHD_COOKIE_KIND, name) : NULL;
}

void http_client_address(char out[64], const struct http_req *q) {
  out[0] = 0;
  const union MHD_ConnectionInfo *ci =
      q->conn ? MHD_get_connection_info(q->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS) : NULL;
  if (!ci || !ci->client_addr) return;
  const struct sockaddr *sa = ci->client_addr;
  if (sa->sa_family == AF_INET)
    inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, 64);
  else if (sa->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, 64);
}

const char *http_header(const struct http_req *q, const char *name) {
  return q->conn ? MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, name) : NULL;
}

int http_body_object(json_t **out, const struct http_req *q) {
  *out = NULL;
  const char *type = http_header(q, "Content-Type");
  size_t n = strlen("application/json");
  if (!type || strncasecmp(type, "application/json", n) != 0 || (type[n] && type[n] != ';' && type[n] != ' '))
    return err_set(ERR_MEDIATYPE, NULL, "le corps doit être du JSON (Content-Type: application/json), reçu : %s",
                   type ? type : "aucun type");
  if (!q->body || !q->body_len) return err_set(ERR_MALFORMED, NULL, "corps de requête vide : un objet JSON est attendu");
  json_error_t e;
  json_t *o = json_loadb(q->body, q->body_len, JSON_REJECT_DUPLICATES, &e);
  if (!o) return err_set(ERR_MALFORMED, NULL, "JSON invalide, ligne %d colonne %d : %s", e.line, e.column, e.text);
  if (!json_is_object(o)) {
    json_decref(o);
    return err_set(ERR_MALFORMED, NULL, "un objet JSON est attendu");
  }
  *out = o;
  return 0;
}

int http_fields_allowed(const json_t *o, const char *const *allowed) {
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)o, key, v) {
    int ok = 0;
    for (const char *const *a = allowed; *a && !ok; a++) ok = strcmp(*a, key) == 0;
    if (!ok) return err_set(ERR_INVALID, key, "champ inconnu : « %s »", key);
  }
  return 0;
}

int http_field_str(const char **out, const json_t *o, const char *key) {
  json_t *v = json_object_get(o, key);
  *out = NULL;
  if (!v || json_is_null(v)) return 0;
  if (!json_is_string(v)) return err_set(ERR_INVALID, key, "%s : une chaîne de caractères est attendue", key);
  if (strlen(json_string_value(v)) != json_string_length(v))
    return err_set(ERR_INVALID, key, "%s : caractère nul interdit", key);
  *out = json_string_value(v);
  return 0;
}

int http_field_strs(const char **out, int max, int *n, const json_t *o, const char *key) {
  json_t *v = json_object_get(o, key), *x;
  size_t i;
  *n = 0;
  if (!v || json_is_null(v)) return 0;
  if (!json_is_array(v)) return err_set(ERR_INVALID, key, "%s : une liste de chaînes est attendue", key);
  if (json_array_size(v) > (size_t)max) return err_set(ERR_INVALID, key, "%s : %d valeurs au plus", key, max);
  json_array_foreach(v, i, x) {
    if (!json_is_string(x)) return err_set(ERR_INVALID, key, "%s : une liste de chaînes est attendue", key);
    out[(*n)++] = json_string_value(x);
  }
  return 0;
}

int http_field_num(double *out, int *present, const json_t *o, const char *key) {
  json_t *v = json_object_get(o, key);
  *present = 0;
  if (!v || json_is_null(v)) return 0;
  if (!json_is_number(v)) return err_set(ERR_INVALID, key, "%s : un nombre est attendu", key);
  *out = json_number_value(v);
  *present = 1;
  return 0;
}
