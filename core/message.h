/* message — the thread of a request: public messages (requester and
 * services) and internal notes (services only). */
#ifndef APPUI_MESSAGE_H
#define APPUI_MESSAGE_H
#include <jansson.h>
#include <stdint.h>

struct db;
struct user;

#define MESSAGE_BODY_MAX 10000 /* characters */

/* Writes a message on request `ref`; `visibility` is "public" (NULL means
 * public) or "internal". Checks the permission rule, journals
 * `message.posted` and touches the request. Returns 0 and the message id,
 * ERR_INVALID (field named), ERR_NOTFOUND, ERR_FORBIDDEN or a storage error. */
int message_post(int64_t *id, struct db *db, const struct user *actor, const char *ref,
                 const char *visibility, const char *body);

/* Same as message_post() on request id `request`, inside the caller's open
 * write transaction, written at `now` (UTC ms), without the permission check
 * (the caller has made it): for bulk loads and other modules. */
int message_post_tx(int64_t *id, struct db *db, const struct user *actor, int64_t request,
                    const char *visibility, const char *body, int64_t now);

/* Messages of request `request` visible to `actor`, oldest first, as a new
 * JSON array of {id, at, author, visibility, body}. The caller has checked
 * that `actor` may read the request. Returns 0 or a storage error. */
int message_list(json_t **out, struct db *db, const struct user *actor, int64_t request);

#endif
