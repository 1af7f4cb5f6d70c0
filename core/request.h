/* request — what a collectivity asks for: filing (validation, reference
 * AAAA-NNNNNN sequential per Europe/Paris year), reading, and listing with
 * filters, full-text search and stable cursor pagination. Every read goes
 * through the permission rule of perm.h. */
#ifndef APPUI_REQUEST_H
#define APPUI_REQUEST_H
#include "perm.h"
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct db;
struct user;

#define REQUEST_REF_SIZE 16       /* "2026-000123" and its NUL, with room */
#define REQUEST_TITLE_MAX 200     /* characters */
#define REQUEST_DESCRIPTION_MAX 20000
#define REQUEST_LIST_MAX 200      /* largest page */
#define REQUEST_THEMES_MAX 16     /* themes of one request */
#define REQUEST_PER_YEAR 1000000  /* request ids are year * REQUEST_PER_YEAR + number */

/* What a request is filed with. Strings borrowed; optional ones NULL. */
struct request_new {
  const char *collectivity;   /* code; NULL for a requester means its own */
  const char *title;
  const char *description;
  const char *const *themes;  /* at least one theme code */
  int n_themes;
  const char *offer;          /* offer slug, optional */
  int64_t budget_cents;       /* estimated budget, < 0 when not given */
  const char *desired_date;   /* YYYY-MM-DD, optional, not in the past */
};

/* Files a request in its own transaction: validates it (every refusal is
 * ERR_INVALID naming the field, or ERR_FORBIDDEN), stores it with its
 * themes and journals `request.filed`. Returns 0 with its reference in `ref`
 * and its id in *id (either may be NULL), or an error; nothing is stored on
 * error. */
int request_file(char ref[REQUEST_REF_SIZE], int64_t *id, struct db *db, const struct user *actor,
                 const struct request_new *n);

/* Same as request_file() inside the caller's open write transaction, filed
 * at time `now` (UTC ms): for bulk loads. */
int request_file_tx(char ref[REQUEST_REF_SIZE], int64_t *id, struct db *db, const struct user *actor,
                    const struct request_new *n, int64_t now);

/* Sets the public status of request `id` to `status` at `now` and journals
 * `request.status_changed` (with `element`, the process element that set
 * it, may be NULL), inside the caller's write transaction; nothing when the
 * status is already that. Returns 0 or a storage error. */
int request_set_status_tx(struct db *db, const struct user *actor, int64_t id, const char *status, const char *element,
                          int64_t now);

/* The id of the request whose reference is `ref` ("2026-000123" gives
 * 2026000123), whether or not it exists. Returns 0, or ERR_NOTFOUND with a
 * French message when `ref` is not a reference. */
int request_ref_id(int64_t *id, const char *ref);

/* Finds request `ref` and checks that `actor` may do `a` on it. Returns 0
 * and its id, ERR_NOTFOUND, ERR_FORBIDDEN or a storage error. */
int request_access(int64_t *id, struct db *db, const struct user *actor, const char *ref,
                   enum perm_action a);

enum { REQUEST_WITH_EVENTS = 1 };

/* Request `ref` as JSON text, as `actor` may see it (the document of
 * request_show()), built in one statement. *out is NUL-terminated (free());
 * its length goes to *len when not NULL. Returns 0, ERR_NOTFOUND,
 * ERR_FORBIDDEN or a storage error. */
int request_show_text(char **out, size_t *len, struct db *db, const struct user *actor, const char *ref,
                      int flags);

/* Request `ref` as a JSON object (new reference) as `actor` may see it:
 * fields, collectivity, themes, offer, parts, messages (internal ones only
 * for services), attachments, and with REQUEST_WITH_EVENTS its journal.
 * Returns 0, ERR_NOTFOUND, ERR_FORBIDDEN or a storage error. */
int request_show(json_t **out, struct db *db, const struct user *actor, const char *ref, int flags);

struct request_filter {
  const char *status, *theme, *collectivity, *epci; /* exact filters, NULL = any */
  const char *q;       /* full-text search over title and description, NULL or "" = none */
  const char *cursor;  /* from a previous page's next cursor, NULL = first page */
  int limit;           /* page size, 1..REQUEST_LIST_MAX (0 = 20) */
};

/* One page of the requests `actor` may see, newest first. *items is a new
 * JSON array; *next a cursor to pass for the next page (free()), or NULL on
 * the last page. Returns 0, ERR_INVALID (bad filter, field named) or a
 * storage error. */
int request_list(json_t **items, char **next, struct db *db, const struct user *actor,
                 const struct request_filter *f);

#endif
