/* engine — runs process instances (shared/workflow-subset.md §2, §5, §6):
 * tokens, exclusive / parallel / inclusive (split) gateways, embedded
 * subprocesses, user tasks, service tasks as persisted jobs with retries,
 * timer boundaries (interrupting or not, bounded cycles), timer and message
 * catch events, interrupting message boundaries, terminate ends, incidents
 * and a step budget against automatic loops.
 *
 * Every trigger (start, task completed, message delivered, timer fired, job
 * run, incident retried) runs the instance to its next wait states inside
 * one SQLite transaction, writing journal lines. `now` is always a
 * parameter (injectable clock). An instance stays on the version it started
 * on. One `struct engine` per thread: it caches compiled versions. */
#ifndef APPUI_ENGINE_H
#define APPUI_ENGINE_H
#include <jansson.h>
#include <stdint.h>

struct db;
struct user;
struct engine;

#define ENGINE_STEP_BUDGET 1000 /* automatic steps of one trigger before an incident */

/* A new engine over connection `db` (borrowed). Returns 0 or ERR_NOMEM. */
int engine_new(struct engine **out, struct db *db);

/* Frees the engine and its cached models. NULL is a no-op. */
void engine_free(struct engine *e);

/* The connection the engine works on. */
struct db *engine_db(struct engine *e);

/* Automatic steps (elements entered) run by this engine since its
 * creation, for benchmarks and monitoring. */
int64_t engine_steps(const struct engine *e);

struct bpmn_model;

/* The compiled model of version `version` (cached by the engine, owned by
 * it). Returns 0, ERR_NOTFOUND or ERR_INVALID. */
int engine_model(const struct bpmn_model **out, struct engine *e, int64_t version);

/* Arms boundary event `element` (index in the model of `version`) on the
 * activity token `token` of `instance`, as when the activity is entered,
 * inside the caller's write transaction (used by migration). Returns 0 or
 * an error. */
int engine_arm_tx(struct engine *e, const struct user *actor, int64_t instance, int64_t version, int64_t token,
                  int element, int64_t now);

/* Starts an instance of version `version` for request `request` (0: none)
 * with the variables `vars` (JSON object, borrowed; NULL = {}), inside the
 * caller's open write transaction, and runs it to its first wait states.
 * Returns 0 and its id, ERR_NOTFOUND (version) or an error. */
int engine_start_tx(int64_t *instance, struct engine *e, const struct user *actor, int64_t version, int64_t request,
                    json_t *vars, int64_t now);

/* Completes open user task `task` as `actor`, merging `vars` (JSON object,
 * borrowed, may be NULL) into the instance's variables, and runs on. Own
 * transaction. Returns 0, ERR_NOTFOUND, ERR_CONFLICT (task no longer open),
 * ERR_FORBIDDEN (assigned to someone else), ERR_INVALID or an error. */
int engine_complete_task(struct engine *e, const struct user *actor, int64_t task, json_t *vars, int64_t now);

/* Delivers message `name` to instance `instance`: the oldest matching
 * subscription (catch event or interrupting boundary) takes it. Own
 * transaction. Returns 0, ERR_NOTFOUND (instance) or ERR_CONFLICT (nothing
 * waits for that message now: not buffered). */
int engine_deliver(struct engine *e, const struct user *actor, int64_t instance, const char *name, json_t *vars,
                   int64_t now);

/* Same as engine_deliver() inside the caller's open write transaction (on
 * ERR_CONFLICT nothing was changed). */
int engine_deliver_tx(struct engine *e, const struct user *actor, int64_t instance, const char *name, json_t *vars,
                      int64_t now);

/* Fires the timers due at `now`, in due order, each in its own transaction
 * (re-checked first: at-least-once safe), at most `limit`. *fired counts
 * them. Returns 0 or the first error. */
int engine_fire_timers(int *fired, struct engine *e, const struct user *actor, int64_t now, int limit);

/* Runs the jobs due at `now`, each in its own transaction, at most
 * `limit`: success completes the service task; failure spends a retry (next
 * attempt 10 s × attempts later) and, when none is left, raises an
 * incident. *ran counts them. Returns 0 or the first error. */
int engine_run_jobs(int *ran, struct engine *e, const struct user *actor, int64_t now, int limit);

/* Runs due timers and jobs until none is due at `now` (bounded); counts in
 * *timers and *jobs (either may be NULL). Returns 0 or the first error. */
int engine_tick(int *timers, int *jobs, struct engine *e, const struct user *actor, int64_t now);

/* Retries incident `incident`: a job gets one more attempt now, a gateway
 * or a loop re-evaluates from the element held. Own transaction. Returns 0,
 * ERR_NOTFOUND, ERR_CONFLICT (already resolved) or an error. */
int engine_retry(struct engine *e, const struct user *actor, int64_t incident, int64_t now);

/* Instances (of process `process`, or all when NULL) as a JSON array of
 * {id, process, version, request, state, waiting:[elements], incidents}.
 * Returns 0 or a storage error. */
int engine_instances(json_t **out, struct db *db, const char *process);

/* Open tasks as a JSON array of {id, instance, request, element, name,
 * assignee, candidate_groups, statut, created_at}. Returns 0 or an error. */
int engine_tasks(json_t **out, struct db *db, int64_t instance);

/* Open incidents as a JSON array. Returns 0 or a storage error. */
int engine_incidents(json_t **out, struct db *db);

#endif
