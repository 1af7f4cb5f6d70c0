/* attachment — documents added to a request. The content goes to the blob
 * store (once per content); the row keeps its name, media type and size.
 * The declared media type must be an accepted one and agree with the
 * content's signature. */
#ifndef APPUI_ATTACHMENT_H
#define APPUI_ATTACHMENT_H
#include <stddef.h>
#include <stdint.h>

struct db;
struct user;

#define ATTACHMENT_MAX (10u * 1024u * 1024u) /* bytes */

/* Adds a document to request `ref`: checks the permission rule, the name,
 * the size (ERR_TOOLARGE above ATTACHMENT_MAX), the media type
 * (ERR_MEDIATYPE if not accepted or not matching the content), stores the
 * content under `blobs`, records it and journals `attachment.added`.
 * Returns 0 and its id, or an error; no row on error. */
int attachment_add(int64_t *id, struct db *db, const struct user *actor, const char *blobs,
                   const char *ref, const char *name, const char *media_type, const void *data,
                   size_t size);

/* SQL expression: the JSON array of the documents of the request aliased
 * `r`, oldest first, each {id, name, media_type, size, sha256, at}. Used
 * inside the query that reads a request (request_show). */
#define ATTACHMENT_JSON_SQL \
  "(SELECT json_group_array(json_object('id', a.id, 'name', a.name, 'media_type', a.media_type, 'size', a.size, " \
  "'sha256', a.sha256, 'at', appui_time(a.created_at))) " \
  "FROM (SELECT * FROM attachment WHERE request = r.id ORDER BY id) a)"

/* A stored document read back. */
struct attachment_file {
  char name[256];       /* its name as given */
  char media_type[128]; /* its media type as recorded */
  const char *type;     /* the same, static, when it is an accepted type
                         * (the one to send back), else "application/octet-stream" */
  char *data;           /* its content (malloc'ed, NUL-terminated; free()) */
  size_t size;
};

/* Reads document `id` of request `request` (id; the caller has checked
 * that the actor may read the request) from the blob store `blobs` into
 * *out. Returns 0, ERR_NOTFOUND when the request has no such document, ERR_IO
 * when its content cannot be read, or a storage error. */
int attachment_read(struct attachment_file *out, struct db *db, const char *blobs, int64_t request, int64_t id);

/* The media types accepted, as a static comma-separated list. */
const char *attachment_types(void);

#endif
