/* form — the fields of an HTML form posted to a page: URL-encoded
 * (application/x-www-form-urlencoded) or multipart (multipart/form-data,
 * with files). The body already read by the server is fed to
 * libmicrohttpd's own form parser; each field keeps its name, its value
 * (bytes, followed by a NUL byte) and, for a file, the file name and the
 * media type the browser announced (never trusted: see attachment.h).
 *
 * A form belongs to one exchange; nothing is shared between threads. */
#ifndef APPUI_FORM_H
#define APPUI_FORM_H
#include "buf.h"
#include <stddef.h>

struct http_req;

/* At most this many fields per form (a form with more is refused). */
#define FORM_MAX_FIELDS 256

struct form_field {
  char *name;
  char *filename;   /* file fields only, else NULL */
  char *type;       /* announced media type of a file, or NULL */
  struct buf value; /* the value; value.data is NUL-terminated (or NULL when empty) */
};

struct form {
  struct form_field *fields;
  size_t n, cap;
};

/* Parses the body of `q` into *out (zeroed first; free with form_free(),
 * also after an error). An empty body gives an empty form. Returns 0,
 * ERR_MEDIATYPE when the body is not one of the two form encodings (message
 * says which are accepted), ERR_MALFORMED when it cannot be parsed,
 * ERR_TOOLARGE beyond FORM_MAX_FIELDS fields, or ERR_NOMEM. */
int form_parse(struct form *out, const struct http_req *q);

/* The value of the first field `name` (NUL-terminated; "" when empty), or
 * NULL when absent. */
const char *form_get(const struct form *f, const char *name);

/* The values of all the fields `name` (checkboxes), at most `max`, into
 * `out`; returns their number. */
int form_all(const char **out, int max, const struct form *f, const char *name);

/* The file field `name` holding a file actually chosen (a file name is
 * given), or NULL. */
const struct form_field *form_file(const struct form *f, const char *name);

/* Frees the fields. NULL or an empty form is a no-op. */
void form_free(struct form *f);

#endif
