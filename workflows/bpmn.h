/* bpmn — reads a BPMN 2.0 XML definition (libxml2, no entity expansion, no
 * network, no DTD), checks that it lies inside the executable subset of
 * shared/workflow-subset.md, and compiles it into a model the engine runs:
 * elements and sequence flows by index, conditions parsed (expr.h), timers
 * parsed (timer.h). Every refusal names the offending element by id and,
 * where one exists, the supported alternative. */
#ifndef APPUI_BPMN_H
#define APPUI_BPMN_H
#include "timer.h"
#include <stddef.h>

struct expr;

#define BPMN_MAX_BYTES (1024 * 1024) /* largest definition accepted */

enum bpmn_kind {
  BPMN_START,
  BPMN_END,           /* none end event */
  BPMN_TERMINATE,     /* end event with terminateEventDefinition */
  BPMN_USER_TASK,
  BPMN_SERVICE_TASK,
  BPMN_EXCLUSIVE,     /* exclusiveGateway */
  BPMN_PARALLEL,      /* parallelGateway */
  BPMN_INCLUSIVE,     /* inclusiveGateway (split only) */
  BPMN_SUBPROCESS,    /* embedded subProcess */
  BPMN_BOUNDARY_TIMER,
  BPMN_BOUNDARY_MESSAGE,
  BPMN_CATCH_TIMER,   /* intermediateCatchEvent with a timer */
  BPMN_CATCH_MESSAGE  /* intermediateCatchEvent with a message */
};

struct bpmn_pair {
  char *key, *value;
};

struct bpmn_flow {
  char *id, *name;
  int source, target;       /* element indexes */
  char *condition_text;     /* "= montant > 0", or NULL */
  struct expr *condition;   /* parsed condition, or NULL */
};

struct bpmn_element {
  char *id, *name;
  enum bpmn_kind kind;
  int scope;                /* index of the enclosing subProcess, -1 at process level */
  int *incoming, n_incoming; /* flow indexes, in XML order */
  int *outgoing, n_outgoing; /* flow indexes, in XML order */
  int default_flow;         /* gateways: flow index of `default`, or -1 */
  /* userTask */
  char *assignee, *candidate_groups, *candidate_users, *form_key;
  /* serviceTask */
  char *job_type;
  int retries;              /* zeebe:taskDefinition retries (default 3) */
  struct bpmn_pair *headers; /* zeebe:taskHeaders */
  int n_headers;
  /* userTask and serviceTask: zeebe:properties ("statut" is the public status) */
  struct bpmn_pair *properties;
  int n_properties;
  /* events */
  int attached_to;          /* boundary: element index of its activity, else -1 */
  int interrupting;         /* boundary: cancelActivity (default 1) */
  struct timer_spec timer;  /* timer events */
  char *timer_text;         /* the timer value as written */
  char *message;            /* message events: the message name */
  /* activities: their boundary events */
  int *boundaries, n_boundaries;
  /* subProcess: index of its start event */
  int start;
};

struct bpmn_model {
  char *process_id, *name;
  struct bpmn_element *elements;
  int n_elements;
  struct bpmn_flow *flows;
  int n_flows;
  int start;                /* index of the process-level start event */
  int *by_id;               /* element indexes sorted by id (bpmn_find) */
};

struct bpmn_issue {
  int error;                /* 1: refusal, 0: warning */
  char element[128];        /* id of the element concerned ("" for the document) */
  char message[400];        /* French */
};

struct bpmn_report {
  struct bpmn_issue *items;
  int n, cap;
  int errors, warnings;
};

struct bpmn_options {
  const char *process_id;   /* required id of the process, or NULL for any */
  /* Returns 1 if `type` names a built-in service action; an unknown one is
   * a warning (its jobs raise incidents). NULL: no check. */
  int (*known_action)(const char *type);
};

/* Parses, checks and compiles the `len` bytes of XML at `xml`. Every problem
 * found goes to *report (errors and warnings; release with
 * bpmn_report_free()). Returns 0 and the model in *out (free with
 * bpmn_free()) when there is no error; otherwise ERR_INVALID (or
 * ERR_TOOLARGE above BPMN_MAX_BYTES) with the first error as the thread's
 * message and *out NULL. */
int bpmn_compile(struct bpmn_model **out, struct bpmn_report *report, const char *xml, size_t len,
                 const struct bpmn_options *opt);

/* Frees a model. NULL is a no-op. */
void bpmn_free(struct bpmn_model *m);

/* Frees the items of a report and empties it. */
void bpmn_report_free(struct bpmn_report *r);

/* Index of the element with id `id`, or -1. */
int bpmn_find(const struct bpmn_model *m, const char *id);

/* Value of property `name` of element `e` (zeebe:properties), or NULL. */
const char *bpmn_property(const struct bpmn_element *e, const char *name);

/* Value of task header `key` of element `e` (zeebe:taskHeaders), or NULL. */
const char *bpmn_header(const struct bpmn_element *e, const char *key);

/* BPMN name of a kind ("userTask"…), static. */
const char *bpmn_kind_name(enum bpmn_kind k);

#endif
