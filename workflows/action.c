/* action — the registry of built-in service actions (see action.h). */
#include "action.h"
#include "bpmn.h"
#include "db.h"
#include "dispatch.h"
#include "err.h"
#include "journal.h"
#include "match.h"
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

/* match: stores the three best offers for the request in variable
 * "orientation_proposee" ([{structure, offre, score}]) and the summary when
 * nothing suits in "orientation_motif". */
static int match_action(struct action_ctx *c) {
  if (!c->request) return 0;
  json_t *m = NULL;
  int rc = match_request_id(&m, c->db, c->request, 0, 3, c->now);
  if (rc) return rc;
  json_t *top = json_array();
  size_t i;
  json_t *o;
  json_array_foreach(json_object_get(m, "offers"), i, o) {
    json_array_append_new(top, json_pack("{s:O, s:O, s:O}", "structure", json_object_get(json_object_get(o, "org"), "slug"),
                                         "offre", json_object_get(json_object_get(o, "offer"), "slug"), "score",
                                         json_object_get(o, "score")));
  }
  json_object_set_new(c->variables, "orientation_proposee", top);
  json_object_set(c->variables, "orientation_motif", json_object_get(m, "summary"));
  json_decref(m);
  return 0;
}

/* dispatch: proposes the best offer's org as lead when its score reaches
 * the header "seuil" (0 to 100, DISPATCH_THRESHOLD by default) or a routing
 * rule names the lead; variable "orientation" tells what was decided
 * ({automatique, structure, offre, score, seuil, motif}) for the gateway
 * that follows. */
static int dispatch_action(struct action_ctx *c) {
  const char *seuil = bpmn_header(c->element, "seuil");
  double threshold = DISPATCH_THRESHOLD;
  if (seuil) {
    char *end;
    threshold = strtod(seuil, &end);
    if (!*seuil || *end || !(threshold >= 0 && threshold <= 100))
      return err_set(ERR_INVALID, "seuil", "action dispatch : l'en-tête « seuil » de %s doit être un nombre de 0 à 100, "
                                           "reçu « %s »",
                     c->element->id, seuil);
  }
  if (!c->request) return 0;
  json_t *decision = NULL;
  int rc = dispatch_auto_tx(&decision, c->db, c->actor, c->request, threshold, c->now);
  if (!rc) json_object_set_new(c->variables, "orientation", decision);
  return rc;
}

static const struct action actions[] = {
    {"match", match_action, "Calculer l'orientation proposée (variables orientation_proposee, orientation_motif)"},
    {"dispatch", dispatch_action,
     "Orienter automatiquement vers la meilleure offre au-dessus du seuil (en-tête seuil ; variable orientation)"},
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
