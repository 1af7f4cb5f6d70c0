/* action — the fixed registry of built-in actions that service tasks call
 * (zeebe:taskDefinition type="…"). An action runs inside the transaction of
 * its job; it may read and change the instance's variables and write to the
 * store (with journal lines). A failure is retried by the engine until the
 * job's retries are spent, then becomes an incident. Later issues add
 * match, dispatch, notify, sync. */
#ifndef APPUI_ACTION_H
#define APPUI_ACTION_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct db;
struct user;
struct bpmn_element;

struct action_ctx {
  struct db *db;                       /* inside the job's transaction */
  const struct user *actor;            /* the platform */
  int64_t instance;                    /* the instance */
  int64_t request;                     /* its request, or 0 */
  const struct bpmn_element *element;  /* the serviceTask (headers, properties) */
  json_t *variables;                   /* the instance's variables, may be changed */
  int64_t now;                         /* UTC ms */
  int attempt;                         /* 1 for the first run of this job, 2 for the first retry… */
};

/* Returns 0, or an error code with the thread's message saying why. */
typedef int (*action_fn)(struct action_ctx *c);

struct action {
  const char *type;     /* name used in the diagram */
  action_fn run;
  const char *summary;  /* French, for element templates and help */
};

/* The action named `type`, or NULL. */
const struct action *action_find(const char *type);

/* 1 if `type` names an action (bpmn_options.known_action). */
int action_known(const char *type);

/* The registry and its length (static). */
const struct action *action_list(size_t *n);

#endif
