/* expr — FEEL-lite, the condition language shared by workflow gateways and
 * offer eligibility rules (grammar and semantics: shared/workflow-subset.md
 * §4). A text "= expr" is parsed once into an AST; evaluation is pure (no
 * side effect, no I/O) over a jansson document and follows FEEL's
 * three-valued logic. */
#ifndef APPUI_EXPR_H
#define APPUI_EXPR_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct expr;

/* Limits that keep hostile input from exhausting memory or the stack: the
 * length of a text in bytes, and the nesting of parentheses and not(). */
#define EXPR_MAX_LENGTH 4096
#define EXPR_MAX_DEPTH 64

/* Where and why a text does not parse. */
struct expr_error {
  int column;         /* 1-based byte column of the problem in the text */
  char message[256];  /* French, one line; names the usual mistake when it
                         is one (==, &&, ||, !x, ${…}, single quotes, missing
                         leading "=") and what to write instead */
};

/* Parses `text` (which must start with "=", after optional spaces).
 * Returns 0 and a new AST in *out (free with expr_free()), or ERR_INVALID
 * with *err filled (the thread's error message is set too, as
 * "colonne N : message"); ERR_NOMEM if memory runs out. `err` may be NULL.
 * Never allocates on failure. */
int expr_parse(struct expr **out, const char *text, struct expr_error *err);

/* Frees an AST. NULL is a no-op. */
void expr_free(struct expr *e);

/* The source text the AST was parsed from, as given (owned by the AST). */
const char *expr_text(const struct expr *e);

enum expr_type { EXPR_NULL, EXPR_BOOL, EXPR_NUMBER, EXPR_STRING, EXPR_DATE, EXPR_LIST };

/* A value during or after evaluation. Strings and lists point into the AST
 * or the variables document: valid while both live. */
struct expr_value {
  enum expr_type type;
  int boolean;          /* EXPR_BOOL */
  double number;        /* EXPR_NUMBER */
  const char *string;   /* EXPR_STRING, NUL-terminated */
  size_t length;        /* EXPR_STRING, in bytes */
  int64_t date;         /* EXPR_DATE: days since 1970-01-01 */
  const json_t *list;   /* EXPR_LIST: a JSON array */
};

/* Evaluates `e` over the JSON object `vars` (NULL means {}), with `today`
 * the Europe/Paris civil date as days since 1970-01-01 (for today()).
 * Evaluation cannot fail: type mismatches give null per the spec. JSON
 * integers and reals are numbers; a JSON object is not a FEEL-lite value:
 * it is null to every operator except = and != (where it equals only an
 * equal object, so « adresse != null » is true when adresse is an object).
 * Does not allocate. */
void expr_eval(struct expr_value *out, const struct expr *e, const json_t *vars, int64_t today);

/* Evaluates `e` as a condition. Returns 1 for true, 0 for false, or -1 when
 * the result is neither (null or another type), with `why` (French, `size`
 * bytes, cut at a whole character) naming the result and, when one is
 * involved, the path whose value made it so: "résultat null : « montant »
 * est absente (null)", "« montant » vaut null", "« pieces » n'est pas un
 * nombre (c'est une chaîne)", "« a.b.c » est absente (null) : « a.b » n'est
 * pas un objet (c'est un nombre)"; without a path, the operator that could
 * not apply ("comparaison « > » impossible entre un booléen et un
 * booléen"). `why` is set to "" on 1 or 0; it may be NULL (size 0). Does not
 * allocate. */
int expr_eval_condition(const struct expr *e, const json_t *vars, int64_t today, char *why, size_t size);

#endif
