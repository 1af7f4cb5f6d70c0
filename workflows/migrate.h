/* migrate — moves running instances to another version of their process
 * (shared/workflow-subset.md §7.4): an explicit, validated, all-or-nothing
 * operation per instance.
 *
 * The plan is the target version and a mapping "source id → target id"
 * (elements, and sequence flows for tokens waiting at a join); elements
 * with the same id and type are mapped automatically, explicit entries
 * override. The migration is refused unless: the instance is active and at
 * rest (no job due now); every active element (user and service tasks,
 * catch events, subprocess scopes, gateways holding tokens) is mapped; the
 * types are equal; the parent scope is unchanged; no two boundary or catch
 * events are mapped onto the same target; a mapped join's target has at
 * least the incoming flows that already hold tokens, mapped flow to flow.
 * Effects: element ids and the version pointer are rewritten; variables,
 * assignments and job parameters are kept; mapped timers keep their due
 * time, unmapped ones and unmapped subscriptions are deleted, boundary
 * events of the target without a source are armed as if just entered; one
 * journal line `workflow.migrated`. */
#ifndef APPUI_MIGRATE_H
#define APPUI_MIGRATE_H
#include <jansson.h>
#include <stdint.h>

struct engine;
struct user;

/* Migrates instance `instance` to version `target` with the explicit
 * mapping `mapping` (JSON object of id strings, borrowed; NULL for none).
 * With `dry_run`, checks only. *report (new reference, may be NULL on
 * early failure) is {instance, from, to, mapping, problems:[…], applied}.
 * Returns 0 when accepted (and applied unless dry run), ERR_INVALID when
 * refused (problems listed in the report, nothing changed), ERR_NOTFOUND,
 * ERR_CONFLICT (not active) or an error. Own transaction. */
int migrate_instance(json_t **report, struct engine *e, const struct user *actor, int64_t instance, int64_t target,
                     const json_t *mapping, int dry_run, int64_t now);

#endif
