/* sla — the deadlines of a request: three targets taken from its offer
 * (acknowledge, take charge, resolve) counted in French business days from
 * the filing time (calendar.h); the clock stops while the request waits for
 * the requester and the pause is added to the deadlines when it resumes;
 * late and nearly-late flags; an `sla.overdue` journal line when a target
 * passes unmet. Every change happens inside the caller's write transaction
 * except sla_sweep(). */
#ifndef APPUI_SLA_H
#define APPUI_SLA_H
#include <jansson.h>
#include <stdint.h>

struct db;
struct user;

enum sla_target { SLA_ACK = 0, SLA_TAKE = 1, SLA_RESOLVE = 2 };

/* Creates the deadlines of request `request` filed at `filed_at`, with the
 * targets of offer `offer` (0: none yet). Returns 0 or a storage error. */
int sla_start_tx(struct db *db, int64_t request, int64_t offer, int64_t filed_at);

/* Gives request `request` the targets of offer `offer` when it has none yet
 * (a request filed without an offer, once a lead is proposed); deadlines
 * count from the filing time. Returns 0 or a storage error. */
int sla_adopt_tx(struct db *db, int64_t request, int64_t offer);

/* Records that target `t` of request `request` was met at `now` (the first
 * time only). Returns 0 or a storage error. */
int sla_met_tx(struct db *db, int64_t request, enum sla_target t, int64_t now);

/* Follows a change of the request's public status to `status` (a code or a
 * label of table status, or a process's own label) at `now`: any status
 * but the first acknowledges; waiting for the requester stops the clock,
 * leaving it restarts it; closed or cancelled resolves. Returns 0 or a
 * storage error. */
int sla_status_tx(struct db *db, int64_t request, const char *status, int64_t now);

/* Journals `sla.overdue` for every target that passed unmet before `now`
 * (strictly: at the deadline itself a target is still on time) and
 * was not yet journaled, at most `limit` requests, in one transaction.
 * *escalated counts the lines written. Returns 0 or an error. */
int sla_sweep(int *escalated, struct db *db, const struct user *actor, int64_t now, int limit);

/* The deadlines of request `request` at `now` as JSON (new reference):
 * {paused, late, soon, targets:[{target, label, days, due_at, met_at,
 * state, state_label}]} with state one of met, met_late, late, soon,
 * running, paused, none. Returns 0, ERR_NOTFOUND or a storage error. */
int sla_show(json_t **out, struct db *db, int64_t request, int64_t now);

/* The instant until which a deadline counts as "soon" at `now`: one
 * business day later. */
int64_t sla_soon_limit(int64_t now);

/* French label of a target ("Accusé de réception", "Prise en charge",
 * "Résolution"), static. */
const char *sla_target_label(enum sla_target t);

#endif
