/* action — the registry of built-in service actions (see action.h). */
#include "action.h"
#include "bpmn.h"
#include "db.h"
#include "err.h"
#include "journal.h"
#include "request.h"
#include "text.h"
#include <stdlib.h>
#include <string.h>

/* set_status: the request's public status becomes the header "statut". */
static int set_status(struct action_ctx *c) {
  const char *statut = bpmn_header(c->element, "statut");
  if (!statut || !*statut || text_check_field(statut, "statut", "statut", 100))
    return err_set(ERR_INVALID, "statut", "action set_status : en-tête « statut » manquant ou invalide sur %s",
                   c->element->id);
  return c->request ? request_set_status_tx(c->db, c->actor, c->request, statut, c->element->id, c->now) : 0;
}

/* log: writes the header "message" to the journal. */
static int log_action(struct action_ctx *c) {
  const char *message = bpmn_header(c->element, "message");
  json_t *data = json_pack("{s:I, s:s, s:s}", "instance", (json_int_t)c->instance, "element", c->element->id,
                           "message", message ? message : "");
  int rc = journal_append_at(c->db, c->actor, c->request, "workflow.log", data, c->now);
  json_decref(data);
  return rc;
}

/* test: fails while the attempt is at most the header "fail_first" (a
 * number), or always when the header "fail" is "always"; sets variable
 * "test_runs" to the attempt that passed. For tests of retries and
 * incidents. */
static int test_action(struct action_ctx *c) {
  const char *fail = bpmn_header(c->element, "fail"), *first = bpmn_header(c->element, "fail_first");
  if ((fail && strcmp(fail, "always") == 0) || (first && c->attempt <= atoi(first)))
    return err_set(ERR_INTERNAL, NULL, "action test : échec voulu (tentative %d)", c->attempt);
  json_object_set_new(c->variables, "test_runs", json_integer(c->attempt));
  return 0;
}

static const struct action actions[] = {
    {"set_status", set_status, "Changer le statut public de la demande (en-tête statut)"},
    {"log", log_action, "Écrire une ligne au journal (en-tête message)"},
    {"test", test_action, "Action de test : échoue selon les en-têtes fail / fail_first"},
};

const struct action *action_list(size_t *n) {
  *n = sizeof actions / sizeof actions[0];
  return actions;
}

const struct action *action_find(const char *type) {
  for (size_t i = 0; type && i < sizeof actions / sizeof actions[0]; i++)
    if (strcmp(actions[i].type, type) == 0) return &actions[i];
  return NULL;
}

int action_known(const char *type) { return action_find(type) != NULL; }
