/* journal — the append-only event log. Every change to the store is written
 * in the same transaction as one event (id, time, actor, request, type,
 * JSON data); connectors, boards and feeds read it back. */
#ifndef APPUI_JOURNAL_H
#define APPUI_JOURNAL_H
#include <jansson.h>
#include <stdint.h>

struct db;
struct user;

/* Appends one event inside the caller's open write transaction (asserted).
 * `request` is the request's id or 0; `data` is a JSON object, borrowed (NULL
 * means {}). Returns 0 or a storage error. */
int journal_append(struct db *db, const struct user *actor, int64_t request, const char *type,
                   json_t *data);

/* Same as journal_append() with the event dated `at` (UTC ms) instead of
 * now: for operations that carry their own time (bulk loads, imports of
 * past events). */
int journal_append_at(struct db *db, const struct user *actor, int64_t request, const char *type,
                      json_t *data, int64_t at);

/* Events of one request (request > 0) or of the whole platform (0), oldest
 * first, with id greater than `after`, at most `limit`. *out is a new JSON
 * array of {id, at, actor, type, request, data}. Returns 0 or a storage error. */
int journal_list(json_t **out, struct db *db, int64_t request, int64_t after, int limit);

/* SQL expression: the JSON array of the events of the request aliased `r`,
 * oldest first, each {id, at, actor, type, request, data}; events about
 * internal notes only when the parameter :internal is 1. */
#define JOURNAL_JSON_SQL \
  "(SELECT json_group_array(json_object('id', e.id, 'at', appui_time(e.at), 'actor', e.actor, 'type', e.type, " \
  "'request', r.ref, 'data', json(e.data))) " \
  "FROM (SELECT * FROM event WHERE request = r.id AND (:internal OR " \
  "coalesce(json_extract(data, '$.visibility'), '') <> 'internal') ORDER BY id) e)"


#endif
