/* dispatch — the moves of parts (core/part.h) as commands, the API and the
 * pages make them: each in its own transaction, the request found by its
 * reference with the permission check, and the request's process told
 * when the last open part closes (message DISPATCH_SETTLED, variables
 * {mises_en_relation: {terminees, declinees, annulees}}). Also the
 * automatic dispatch behind the workflow actions `match` and `dispatch`. */
#ifndef APPUI_DISPATCH_H
#define APPUI_DISPATCH_H
#include "part.h"
#include <jansson.h>
#include <stdint.h>

struct db;
struct engine;
struct user;

/* Name of the message a request's instance receives when its parts are
 * all closed. */
#define DISPATCH_SETTLED "mises_en_relation_terminees"

/* Default score (out of 100) above which `dispatch` proposes the best offer
 * without a coordinator; a task header "seuil" overrides it. */
#define DISPATCH_THRESHOLD 60

/* part_propose_tx() on request `ref`, own transaction. */
int dispatch_propose(struct engine *e, const struct user *actor, const char *ref, const char *org, const char *offer,
                     const char *role);

/* part_move_tx() on request `ref`, own transaction; when it closes the last
 * open part, the request's instance gets DISPATCH_SETTLED in the same
 * transaction (if it waits for it). *tally may be NULL. */
int dispatch_move(struct part_tally *tally, struct engine *e, const struct user *actor, const char *ref,
                  const char *org, enum part_op op, const char *reason);

/* part_assign_tx() and part_handover_tx() on request `ref`, own
 * transaction. */
int dispatch_assign(struct engine *e, const struct user *actor, const char *ref, const char *org, const char *agent);
int dispatch_handover(struct engine *e, const struct user *actor, const char *ref, const char *org, const char *to,
                      const char *offer);

/* Tells every instance that waits for DISPATCH_SETTLED while its
 * request's parts are already all closed (they closed before the process
 * reached the point where it waits), at most `limit` (≤ 256), each in its
 * own transaction. *told counts them. Run by serve's scheduler and after a
 * task is completed from the command line. Returns 0 or an error. */
int dispatch_sweep(int *told, struct engine *e, int limit);

/* Inside the caller's transaction: matches request `request` and, when the
 * routing rules name a lead or the best offer scores at least `threshold`,
 * proposes it (and the contributors the rules name) as `actor`. *decision
 * (new reference) is {automatique, structure, offre, score, seuil, motif}.
 * Returns 0 or an error. */
int dispatch_auto_tx(json_t **decision, struct db *db, const struct user *actor, int64_t request, double threshold,
                     int64_t now);

/* The open task by which the coordination orients request `request` (id):
 * qualification ("qualifier") or orientation after an automatic dispatch
 * that did not decide ("orienter"). Returns 0 with its id in *task (0 when
 * the request waits for no orientation) and its element id in `element`
 * (static, NULL when none), or a storage error. */
int dispatch_coordination_task(int64_t *task, const char **element, struct db *db, int64_t request);

/* Orients request `ref` in one step, as the coordination: proposes `org`
 * (with `offer`, may be NULL) as lead, then completes the coordination's
 * open task (at qualification, with recevable and complet true), all or
 * nothing. The jobs this makes due (matching, dispatch) are left to run.
 * Returns 0, ERR_CONFLICT when the request waits for no orientation,
 * ERR_INVALID (no org), or the errors of dispatch_propose() and
 * engine_complete_task(). */
int dispatch_orient(struct engine *e, const struct user *actor, const char *ref, const char *org, const char *offer);

#endif
