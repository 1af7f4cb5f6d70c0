/* form — HTML form fields, parsed by libmicrohttpd (see form.h). */
#include "form.h"
#include "err.h"
#include "http.h"
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct parse_ctx {
  struct form *f;
  int rc;
};

static char *dup_or_null(const char *s) {
  if (!s) return NULL;
  char *d = strdup(s);
  return d;
}

/* Called by MHD for each piece of a field's value: a piece at offset 0
 * starts a new field, others continue the last one. */
static enum MHD_Result on_field(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename,
                                const char *content_type, const char *transfer_encoding, const char *data,
                                uint64_t off, size_t size) {
  struct parse_ctx *c = cls;
  struct form *f = c->f;
  (void)kind;
  (void)transfer_encoding;
  if (!key) return MHD_YES;
  struct form_field *last = f->n ? &f->fields[f->n - 1] : NULL;
  if (off == 0 || !last || strcmp(last->name, key) != 0) {
    if (f->n == FORM_MAX_FIELDS) {
      c->rc = err_set(ERR_TOOLARGE, NULL, "formulaire trop long : %d champs au plus", FORM_MAX_FIELDS);
      return MHD_NO;
    }
    if (f->n == f->cap) {
      size_t cap = f->cap ? f->cap * 2 : 16;
      struct form_field *p = realloc(f->fields, cap * sizeof *p);
      if (!p) goto nomem;
      f->fields = p;
      f->cap = cap;
    }
    last = &f->fields[f->n];
    memset(last, 0, sizeof *last);
    last->name = strdup(key);
    if (!last->name) goto nomem;
    f->n++;
    if (filename && !(last->filename = dup_or_null(filename))) goto nomem;
    if (content_type && !(last->type = dup_or_null(content_type))) goto nomem;
  }
  if (size && buf_append(&last->value, data, size)) goto nomem;
  return MHD_YES;
nomem:
  c->rc = err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
  return MHD_NO;
}

int form_parse(struct form *out, const struct http_req *q) {
  memset(out, 0, sizeof *out);
  const char *type = http_header(q, "Content-Type");
  if (!q->body_len) return 0;
  if (!type || (strncasecmp(type, "application/x-www-form-urlencoded", 33) != 0 &&
                strncasecmp(type, "multipart/form-data", 19) != 0))
    return err_set(ERR_MEDIATYPE, NULL,
                   "type de contenu non accepté : « %s » (formulaire attendu : application/x-www-form-urlencoded "
                   "ou multipart/form-data)",
                   type ? type : "aucun");
  struct parse_ctx c = {out, 0};
  struct MHD_PostProcessor *pp = MHD_create_post_processor(q->conn, 16 * 1024, on_field, &c);
  if (!pp) return err_set(ERR_MALFORMED, NULL, "formulaire illisible : en-tête Content-Type incomplet (boundary ?)");
  enum MHD_Result ok = MHD_post_process(pp, q->body, q->body_len);
  enum MHD_Result end = MHD_destroy_post_processor(pp);
  if (c.rc) return c.rc;
  if (ok != MHD_YES || end != MHD_YES) return err_set(ERR_MALFORMED, NULL, "formulaire illisible : corps tronqué ou mal formé");
  /* Every value NUL-terminated (buf keeps a NUL after its data when not empty). */
  return 0;
}

const char *form_get(const struct form *f, const char *name) {
  for (size_t i = 0; f && i < f->n; i++)
    if (strcmp(f->fields[i].name, name) == 0) return f->fields[i].value.data ? f->fields[i].value.data : "";
  return NULL;
}

int form_all(const char **out, int max, const struct form *f, const char *name) {
  int k = 0;
  for (size_t i = 0; f && i < f->n && k < max; i++)
    if (strcmp(f->fields[i].name, name) == 0) out[k++] = f->fields[i].value.data ? f->fields[i].value.data : "";
  return k;
}

const struct form_field *form_file(const struct form *f, const char *name) {
  for (size_t i = 0; f && i < f->n; i++)
    if (strcmp(f->fields[i].name, name) == 0 && f->fields[i].filename && f->fields[i].filename[0]) return &f->fields[i];
  return NULL;
}

void form_free(struct form *f) {
  if (!f) return;
  for (size_t i = 0; i < f->n; i++) {
    free(f->fields[i].name);
    free(f->fields[i].filename);
    free(f->fields[i].type);
    buf_free(&f->fields[i].value);
  }
  free(f->fields);
  memset(f, 0, sizeof *f);
}
