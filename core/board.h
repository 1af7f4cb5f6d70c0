/* board — the cross-service board of the coordination: the requests seen
 * across every org, filtered (status, theme, org and the state of its part,
 * assigned agent, collectivity, EPCI, lateness), counted per status (the
 * board's columns), listed a page at a time newest first, exported whole as
 * CSV or XLSX (export.h), and summed up in statistics (volumes, take-charge
 * and resolve times, share of deadlines kept).
 *
 * Who sees what is the one rule of perm.h, embedded in every query:
 * coordinators and admins see every request, heads and agents the requests
 * where their org has a part; requesters are refused (ERR_FORBIDDEN).
 *
 * Lateness at `now` (UTC epoch ms) reads request.due_at, the earliest
 * deadline not yet met (sla.h): "yes" when it has passed (due_at < now),
 * "soon" when it passes before sla_soon_limit(now) (one business day),
 * "no" otherwise (no deadline running, or a later one). As a filter, "no"
 * means "not late": it keeps the "soon" ones too.
 *
 * Every query is a fixed text chosen by the filters present: it starts from
 * the index of the filter that is cheapest to read (sizes probed on the
 * indexes of collectivity, agent, EPCI, org, theme and lateness) and checks
 * the others row by row; only bound parameters carry the caller's values.
 * Nothing here writes; nothing is kept between calls. */
#ifndef APPUI_BOARD_H
#define APPUI_BOARD_H
#include "buf.h"
#include "export.h"
#include "progress.h"
#include <jansson.h>
#include <stdint.h>

struct db;
struct user;

#define BOARD_LIST_MAX 200     /* largest page */
#define BOARD_LIST_DEFAULT 50  /* page size when limit is 0 */

/* What the board shows. Strings are borrowed; NULL (or "", a blank form
 * field) means "any". */
struct board_filter {
  const char *status;       /* request.status exactly (a code of table status or a process label) */
  const char *theme;        /* theme code */
  const char *org;          /* org slug: requests with a part of that org (any state unless part_state) */
  const char *part_state;   /* with org or agent only: parts in that state (proposed, accepted, declined,
                               in_progress, done, cancelled) */
  const char *agent;        /* e-mail: requests with a part assigned to that account */
  const char *collectivity; /* collectivity code: its requests */
  const char *epci;         /* SIREN: request.epci is it (the EPCI itself and its communes) */
  const char *late;         /* "yes", "soon" or "no" (see above) */
  const char *cursor;       /* next cursor of the previous page (board_list only) */
  int limit;                /* page size 1..BOARD_LIST_MAX, 0 = BOARD_LIST_DEFAULT (board_list only) */
};

/* Checks the shape of `f` without reading the store: late, part_state (and
 * that it comes with org or agent), limit, cursor (a positive integer) and
 * theme (written like a code: a-z, 0-9, '-'). Returns 0 or ERR_INVALID
 * naming the field, with a French message saying what to write. Allocates
 * nothing. The functions below call it, then also refuse a theme that is
 * not in table theme, an org slug or an agent e-mail that does not exist
 * (ERR_INVALID, field theme, org or agent). */
int board_filter_check(const struct board_filter *f);

/* The board's columns for `actor` at `now`: *out is a new JSON object
 * {total, columns:[{status, label, count}]}, one column per status present
 * (known codes in their lifecycle order: filed, qualifying, dispatched,
 * in_progress, waiting, closed, cancelled, then other codes of table
 * status, then process labels alphabetically); label from table status
 * for a code, else the status itself. Counts follow every filter except
 * `status` (the columns are the statuses); cursor and limit are ignored.
 * Returns 0, ERR_FORBIDDEN, ERR_INVALID or a storage error (*out NULL). */
int board_counts(json_t **out, struct db *db, const struct user *actor, const struct board_filter *f, int64_t now);

/* One page of the requests `actor` sees through `f` at `now`, newest first
 * (request id descending). *items is a new JSON array of {ref, title,
 * status, status_label, collectivity:{code, name}, epci:{code, name}|null,
 * themes, lead:{slug, name}|null (the lead part unless declined or
 * cancelled), parts:[{org (slug), role, state, agent (e-mail|null)}] (lead
 * first), filed_at, due_at|null (RFC 3339, Paris), late}. *next is the
 * cursor of the next page (the last id as text, free()) or NULL on the last
 * page. A page walk is stable: requests filed meanwhile come after the
 * cursor, never twice. Returns 0, ERR_FORBIDDEN, ERR_INVALID or a storage
 * error (*items and *next NULL). */
int board_list(json_t **items, char **next, struct db *db, const struct user *actor, const struct board_filter *f,
               int64_t now);

/* Every request of the filtered view (cursor and limit ignored), newest
 * first, as a file of format `fmt` written whole to `path` (export_write,
 * progress to `p`, which may be NULL), or, when `path` is NULL, appended to
 * `out` (export_to_buf; `p` unused). Columns: Référence, Déposée le (date
 * and time), Collectivité (name), Code, EPCI (name), Titre, Thématiques
 * (labels), Statut (label), Structure pilote, Structures (every org with a
 * part, lead first), Échéance (date and time), En retard (oui, bientôt,
 * non). *rows (may be NULL) gets the number of data rows. Returns 0,
 * ERR_FORBIDDEN, ERR_INVALID or an error of export_write(); nothing is
 * written on error. */
int board_export(int64_t *rows, const char *path, struct buf *out, enum export_format fmt, struct db *db,
                 const struct user *actor, const struct board_filter *f, int64_t now, const struct progress *p);

/* Statistics of the requests `actor` sees, filtered by theme, org,
 * collectivity and EPCI only (status, lateness, agent, part_state, cursor
 * and limit are ignored), at `now`. *out is a new JSON object:
 *   {unit: "hours", total,
 *    months: [{month "YYYY-MM" (filing, Paris time), count}] (ascending),
 *    themes: [{theme, label, count}] (display order; a request counts once
 *             per theme),
 *    orgs:   [{slug, name, parts, take_charge, resolve, take_on_time,
 *              resolve_on_time}] (by slug; every org with a part on the
 *              requests of the view, the filtered org's partners included),
 *    epcis:  [{code, name, count, take_charge, resolve, take_on_time,
 *              resolve_on_time}] (by code; requests with an EPCI)}
 * take_charge and resolve are {count, median, p90}: durations in hours
 * (one decimal) from the filing, median and 9th decile by linear
 * interpolation between the sorted values (position q × (n − 1)), null
 * when count is 0. Per org: part.accepted_at (take charge) and
 * part.ended_at of its parts in state done (resolve). Per EPCI: sla.taken_at
 * and sla.resolved_at (which also marks a cancellation, as in sla.h).
 * take_on_time and resolve_on_time are {counted, on_time, share}: among the
 * requests with that target (sla.take_due, sla.resolve_due) that met it or
 * whose deadline has passed at `now`, those that met it in time
 * (taken_at <= take_due, resolved_at <= resolve_due); share is on_time /
 * counted (0..1, three decimals) or null when none counts. For an org, the
 * requests where its part is neither declined nor cancelled.
 * Returns 0, ERR_FORBIDDEN, ERR_INVALID or a storage error (*out NULL). */
int board_stats(json_t **out, struct db *db, const struct user *actor, const struct board_filter *f, int64_t now);

/* The choices of the board's filters, as the options of selects {value,
 * label}: {"themes": [theme code, label], "orgs": [slug, name] by name,
 * "epcis": [SIREN, name] by name} (new reference;
 * read only: it is shared with the connection's cache). Kept per
 * connection (db slot DB_SLOT_BOARD): the orgs are read again when the
 * catalogue changes (catalog_version), the themes and EPCIs at most once
 * per BOARD_CHOICES_TTL_MS (a territory import is rare). Returns 0 or a
 * storage error. */
int board_choices(json_t **out, struct db *db, int64_t now);

/* How long board_choices() keeps the themes and EPCIs it read. */
#define BOARD_CHOICES_TTL_MS (60LL * 1000)

#endif
