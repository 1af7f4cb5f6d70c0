/* message — the thread of a request: public messages (requester and
 * services) and internal notes (services only). */
#ifndef APPUI_MESSAGE_H
#define APPUI_MESSAGE_H
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

/* SQL expression: the JSON array of the messages of the request aliased `r`,
 * oldest first, each {id, at, author{email, name}, visibility, body};
 * internal notes only when the parameter :internal is 1. Used inside the
 * query that reads a request (request_show). */
#define MESSAGE_JSON_SQL \
  "(SELECT json_group_array(json_object('id', m.id, 'at', appui_time(m.created_at), 'author', " \
  "CASE WHEN m.author IS NULL THEN json_object('name', 'Plateforme') " \
  "ELSE json_object('email', u.email, 'name', u.name) END, 'visibility', m.visibility, 'body', m.body)) " \
  "FROM (SELECT * FROM message WHERE request = r.id AND (:internal OR visibility = 'public') ORDER BY id) m " \
  "LEFT JOIN user u ON u.id = m.author)"

#endif
