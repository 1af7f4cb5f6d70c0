/* rule — routing rules that coordinators keep in a plain text file (stored
 * in the workflows repository as rules/<name>.rules): an ordered list of
 * rules, each a FEEL-lite condition (core/expr) over a request's document
 * and the actions it takes when true — propose an org as lead or as
 * contributor, exclude an org, stop evaluating later rules. Evaluation
 * explains itself: the outcome of every rule and the origin of every effect,
 * including the proposals that were ignored and why.
 *
 * File format (UTF-8, at most RULE_MAX_BYTES bytes and RULE_MAX_RULES
 * rules; blank lines and lines whose first non-blank character is # are
 * ignored; leading spaces and tabs are ignored; keywords are lower-case and
 * accept accents or not: règle/regle, arrêter/arreter):
 *
 *   # Règles d'orientation — appliquées dans l'ordre
 *   règle "Voirie des petites communes"
 *     si = list contains(demande.themes, "voirie") and demande.collectivite.population < 3500
 *     alors pilote atd31
 *     alors contributeur routes
 *   règle "Pas de CAUE pour les EPCI"
 *     si = demande.collectivite.kind = "epci"
 *     alors exclure caue31
 *     alors arrêter
 *
 * A rule is a line `règle "nom"` (1 to RULE_NAME_MAX characters between
 * straight quotes, unique in the file), then exactly one line `si <FEEL-lite
 * condition starting with "=">`, then one or more lines `alors pilote
 * <org>`, `alors contributeur <org>`, `alors exclure <org>` or `alors
 * arrêter`. Orgs are named by their slug (text_is_slug()).
 *
 * Positions in errors are 1-based lines and 1-based columns counted in
 * characters (code points) of the line, as editors show them. */
#ifndef APPUI_RULE_H
#define APPUI_RULE_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct db;
struct rule_set;

#define RULE_MAX_BYTES (256 * 1024) /* size of a rules file */
#define RULE_MAX_RULES 1000         /* rules in one file */
#define RULE_NAME_MAX 100           /* characters of a rule's name */

/* Where and why a rules file is refused. */
struct rule_error {
  int line, column;  /* 1-based; 0 and 0 when the whole text is at fault
                        (too large, out of memory) */
  char message[256]; /* French, one line, says what to write instead */
};

/* What an `alors` line does. */
enum rule_action { RULE_LEAD, RULE_CONTRIBUTOR, RULE_EXCLUDE, RULE_STOP };

/* What became of one rule during an evaluation. */
enum rule_outcome {
  RULE_FIRED,          /* condition true: its actions were applied */
  RULE_NOT_APPLICABLE, /* condition false */
  RULE_UNDECIDED,      /* condition neither true nor false (null…): skipped */
  RULE_NOT_REACHED     /* an earlier rule said `alors arrêter` */
};

/* One rule's outcome. `name` points into the rule set. */
struct rule_verdict {
  const char *name;
  int line;                 /* line of its `règle` keyword */
  enum rule_outcome outcome;
  char why[256];            /* RULE_UNDECIDED: expr_eval_condition()'s
                               explanation; RULE_NOT_REACHED: which rule
                               stopped the evaluation; else "" */
};

/* An org retained by a rule. Both strings point into the rule set. */
struct rule_effect {
  const char *org;  /* slug */
  const char *rule; /* name of the rule that proposed or excluded it */
};

/* A proposal or exclusion that was not retained, or a proposal removed by a
 * later exclusion. Strings point into the rule set, except `reason`. */
struct rule_ignored {
  const char *org;
  enum rule_action action; /* RULE_LEAD, RULE_CONTRIBUTOR or RULE_EXCLUDE */
  const char *rule;        /* the rule whose action was ignored or removed */
  char reason[640];        /* French: « écartée par la règle « … » »… */
};

/* The result of rule_eval(), owned by the caller (rule_result_free()). Its
 * strings point into the rule set evaluated: valid while it lives. */
struct rule_result {
  int n_rules;
  struct rule_verdict *rules;       /* one per rule, in file order */
  struct rule_effect lead;          /* lead.org is NULL when none */
  int n_contributors;
  struct rule_effect *contributors; /* in the order they were proposed */
  int n_excluded;
  struct rule_effect *excluded;     /* in the order they were excluded */
  int n_ignored;
  struct rule_ignored *ignored;     /* in the order they happened */
};

/* Parses the `len` bytes at `text` (need not be NUL-terminated) as a rules
 * file. Returns 0 and a new rule set in *out (free with rule_set_free()), or:
 * ERR_TOOLARGE when longer than RULE_MAX_BYTES; ERR_INVALID at the first
 * problem (unknown keyword, `si`/`alors` before any `règle`, a rule without
 * `si` or without `alors`, two `si`, `alors` before `si`, missing or
 * unterminated quotes, empty, too long or duplicate name, bad org slug,
 * unknown action, malformed condition — at the condition's own error column
 * shifted to the file's —, invalid UTF-8 or control character, more than
 * RULE_MAX_RULES rules); ERR_NOMEM. On failure *err (may be NULL) holds the
 * position and the message, the thread's error message is
 * "ligne L, colonne C : message" (just the message when there is no
 * position), and nothing stays allocated. */
int rule_parse(struct rule_set **out, const char *text, size_t len, struct rule_error *err);

/* Frees a rule set. NULL is a no-op. */
void rule_set_free(struct rule_set *rs);

/* Number of rules in the set (0 for an empty file). */
int rule_count(const struct rule_set *rs);

/* Name of rule `i` (0-based, < rule_count()), owned by the set. */
const char *rule_name(const struct rule_set *rs, int i);

/* Line of rule `i`'s `règle` keyword in the file. */
int rule_line(const struct rule_set *rs, int i);

/* Text of rule `i`'s condition as given to expr_parse() ("= …"), owned by
 * the set. */
const char *rule_condition(const struct rule_set *rs, int i);

/* Checks that every org named in the set exists in the catalogue
 * (catalog_org_id()). Returns 0; ERR_NOTFOUND for the first unknown org in
 * file order, with *err (may be NULL) holding the line and column of its
 * slug and the thread's message "ligne L, colonne C : structure inconnue …";
 * or a storage error passed up unchanged. Does not allocate. */
int rule_check_orgs(struct db *db, const struct rule_set *rs, struct rule_error *err);

/* Evaluates the rules in order over the JSON object `vars` (the request's
 * document, NULL for {}) with `today` the Europe/Paris civil date as days
 * since 1970-01-01, and fills the caller-owned *out (its previous content is
 * overwritten, not freed): the outcome of each rule, the lead (the first
 * `pilote` of a fired rule wins; later ones are ignored with a reason), the
 * contributors (duplicates and the lead itself ignored), the exclusions. A
 * proposal for an org excluded by an earlier action is ignored ("écartée par
 * la règle « … »"); an exclusion removes an earlier proposal of that org
 * (recorded in `ignored`); an org proposed as contributor then as lead
 * becomes lead only. An undecided condition applies nothing. The actions of
 * a rule with `alors arrêter` all apply; the later rules are not reached.
 * Returns 0 (free *out with rule_result_free()) or ERR_NOMEM (*out empty,
 * nothing allocated). */
int rule_eval(struct rule_result *out, const struct rule_set *rs, const json_t *vars, int64_t today);

/* Frees what rule_eval() allocated in *r and empties it. NULL is a no-op. */
void rule_result_free(struct rule_result *r);

/* The result as JSON, a new reference (NULL when memory runs out):
 * {rules: [{name, line, outcome: "appliquée"|"non applicable"|"indéterminée"
 * |"non évaluée", why?}], lead: {org, rule}|null, contributors: [{org, rule}],
 * excluded: [{org, rule}], ignored: [{org, action: "pilote"|"contributeur"|
 * "exclure", rule, reason}]}. `why` is present for "indéterminée" and
 * "non évaluée" only. */
json_t *rule_result_json(const struct rule_result *r);

/* French labels, static: "appliquée"…, and "pilote", "contributeur",
 * "exclure", "arrêter". */
const char *rule_outcome_label(enum rule_outcome o);
const char *rule_action_label(enum rule_action a);

#endif
