/* rule — routing rules: parses the coordinators' rules files line by line
 * into rules holding a FEEL-lite condition (core/expr) and a list of
 * actions, checks their orgs against the catalogue, and evaluates them in
 * order into an explained result (see rule.h for the format). */
#include "rule.h"
#include "catalog.h"
#include "err.h"
#include "expr.h"
#include "text.h"
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Rule sets -------------------------------------------------------- */

struct action {
  enum rule_action kind;
  int line, column; /* of the org slug (of the action word for RULE_STOP) */
  char org[41];     /* slug, "" for RULE_STOP */
};

struct rule {
  char *name;
  int line, column; /* of the `règle` keyword */
  struct expr *cond;
  int cond_line;
  struct action *actions;
  int n_actions, cap_actions;
};

struct rule_set {
  struct rule *rules;
  int n, cap;
};

void rule_set_free(struct rule_set *rs) {
  if (!rs) return;
  for (int i = 0; i < rs->n; i++) {
    free(rs->rules[i].name);
    expr_free(rs->rules[i].cond);
    free(rs->rules[i].actions);
  }
  free(rs->rules);
  free(rs);
}

int rule_count(const struct rule_set *rs) { return rs->n; }

const char *rule_name(const struct rule_set *rs, int i) {
  assert(i >= 0 && i < rs->n);
  return rs->rules[i].name;
}

int rule_line(const struct rule_set *rs, int i) {
  assert(i >= 0 && i < rs->n);
  return rs->rules[i].line;
}

const char *rule_condition(const struct rule_set *rs, int i) {
  assert(i >= 0 && i < rs->n);
  return expr_text(rs->rules[i].cond);
}

const char *rule_outcome_label(enum rule_outcome o) {
  static const char *const labels[] = {"appliquée", "non applicable", "indéterminée", "non évaluée"};
  assert(o >= RULE_FIRED && o <= RULE_NOT_REACHED);
  return labels[o];
}

const char *rule_action_label(enum rule_action a) {
  static const char *const labels[] = {"pilote", "contributeur", "exclure", "arrêter"};
  assert(a >= RULE_LEAD && a <= RULE_STOP);
  return labels[a];
}

/* ---- Parsing ---------------------------------------------------------- */

struct parser {
  const char *line; /* the current line, without its line feed */
  size_t n;         /* its length in bytes, trailing blanks and CR removed */
  int line_no;
  struct rule_set *rs;
  struct rule *cur; /* the rule being read, NULL before the first */
  struct rule_error *err;
};

static int is_blank(char c) { return c == ' ' || c == '\t'; }

/* The 1-based character column of byte offset `off` of the current line
 * (offsets past its end count one column per byte). */
static int column_of(const struct parser *p, size_t off) {
  size_t cont = 0;
  for (size_t i = 0; i < off && i < p->n; i++)
    if (((unsigned char)p->line[i] & 0xc0) == 0x80) cont++;
  return (int)(off + 1 - cont);
}

/* Records an ERR_INVALID at `line`, `column` with a printf-style message;
 * returns ERR_INVALID. */
static int fail_at(struct parser *p, int line, int column, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail_at(struct parser *p, int line, int column, const char *fmt, ...) {
  va_list ap;
  p->err->line = line;
  p->err->column = column;
  va_start(ap, fmt);
  vsnprintf(p->err->message, sizeof p->err->message, fmt, ap);
  va_end(ap);
  return ERR_INVALID;
}

#define fail(p, off, ...) fail_at((p), (p)->line_no, column_of((p), (off)), __VA_ARGS__)

/* Copies at most about 40 bytes of the `n` bytes at `s` into `out` (64
 * bytes) for a message, cut at a whole character, with "…" when cut. */
static const char *shown(char *out, const char *s, size_t n) {
  size_t k = n;
  if (k > 40) {
    k = 40;
    while (k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80) k--;
  }
  memcpy(out, s, k);
  strcpy(out + k, k < n ? "…" : "");
  return out;
}

/* Offset of the first byte of the `n` at `s` that is not valid UTF-8 or is
 * a control character (text_valid_utf8()), or -1 when there is none. */
static long utf8_bad(const char *s, size_t n) {
  long bad = -1;
  size_t i = 0;
  while (i < n) {
    unsigned c = (unsigned char)s[i];
    size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
    if (!len || i + len > n || !text_valid_utf8(s + i, len)) {
      bad = (long)i;
      break;
    }
    i += len;
  }
  return bad;
}

static int word_is(const char *w, size_t n, const char *word) {
  return strlen(word) == n && memcmp(w, word, n) == 0;
}

/* End of the blank-delimited token starting at `i`. */
static size_t token_end(const struct parser *p, size_t i) {
  while (i < p->n && !is_blank(p->line[i])) i++;
  return i;
}

static size_t skip_blanks(const struct parser *p, size_t i) {
  while (i < p->n && is_blank(p->line[i])) i++;
  return i;
}

/* Checks that the rule being read is complete (has a condition and an
 * action). Returns 0 or ERR_INVALID at its `règle` keyword. */
static int finish_rule(struct parser *p) {
  int rc = 0;
  struct rule *r = p->cur;
  char name[64];
  if (!r) goto done;
  if (!r->cond)
    rc = fail_at(p, r->line, r->column,
                 "la règle « %s » n'a pas de condition : ajoutez une ligne « si = … » après la ligne règle",
                 shown(name, r->name, strlen(r->name)));
  else if (!r->n_actions)
    rc = fail_at(p, r->line, r->column,
                 "la règle « %s » n'a pas d'action : ajoutez au moins une ligne « alors pilote <structure> », "
                 "« alors contributeur <structure> », « alors exclure <structure> » ou « alors arrêter »",
                 shown(name, r->name, strlen(r->name)));
done:
  return rc;
}

/* `règle "nom"`, the keyword at `kw`, ending at `i`. */
static int parse_rule(struct parser *p, size_t kw, size_t i) {
  int rc;
  char buf[64];
  struct rule *r;
  if ((rc = finish_rule(p))) goto done;
  if (p->rs->n >= RULE_MAX_RULES) {
    rc = fail(p, kw, "trop de règles : %d au plus par fichier ; répartissez-les dans plusieurs fichiers",
              RULE_MAX_RULES);
    goto done;
  }
  size_t q = skip_blanks(p, i);
  if (q >= p->n) {
    rc = fail(p, q, "nom de la règle manquant : écrivez règle \"nom de la règle\"");
    goto done;
  }
  if (p->line[q] != '"') {
    rc = fail(p, q, "le nom de la règle s'écrit entre guillemets droits : écrivez règle \"nom de la règle\"");
    goto done;
  }
  const char *start = p->line + q + 1;
  const char *close = memchr(start, '"', p->n - q - 1);
  if (!close) {
    rc = fail(p, q, "guillemet fermant manquant : écrivez règle \"nom de la règle\" sur une seule ligne");
    goto done;
  }
  size_t len = (size_t)(close - start), chars = 0, blank = 1;
  for (size_t k = 0; k < len; k++) {
    if (((unsigned char)start[k] & 0xc0) != 0x80) chars++;
    if (!is_blank(start[k])) blank = 0;
  }
  if (blank) {
    rc = fail(p, q + 1, "nom de la règle vide : écrivez règle \"nom de la règle\"");
    goto done;
  }
  if (chars > RULE_NAME_MAX) {
    rc = fail(p, q + 1, "nom de la règle trop long : %zu caractères, %d au plus", chars, RULE_NAME_MAX);
    goto done;
  }
  size_t after = skip_blanks(p, (size_t)(close - p->line) + 1);
  if (after < p->n) {
    rc = fail(p, after, "texte inattendu après le nom de la règle : la ligne règle ne contient que règle \"nom\"");
    goto done;
  }
  for (int k = 0; k < p->rs->n; k++) {
    const char *other = p->rs->rules[k].name;
    if (strlen(other) == len && memcmp(other, start, len) == 0) {
      rc = fail(p, q, "la règle « %s » existe déjà ligne %d : donnez un autre nom à celle-ci",
                shown(buf, start, len), p->rs->rules[k].line);
      goto done;
    }
  }
  if (p->rs->n == p->rs->cap) {
    int cap = p->rs->cap ? 2 * p->rs->cap : 16;
    struct rule *grown = realloc(p->rs->rules, (size_t)cap * sizeof *grown);
    if (!grown) {
      rc = ERR_NOMEM;
      goto done;
    }
    p->rs->rules = grown;
    p->rs->cap = cap;
  }
  r = &p->rs->rules[p->rs->n];
  memset(r, 0, sizeof *r);
  if (!(r->name = malloc(len + 1))) {
    rc = ERR_NOMEM;
    goto done;
  }
  memcpy(r->name, start, len);
  r->name[len] = 0;
  r->line = p->line_no;
  r->column = column_of(p, kw);
  p->rs->n++;
  p->cur = r;
done:
  return rc;
}

/* Copies the condition's error message `in` to `out` (256 bytes) with the
 * columns it names ("parenthèse ouverte colonne 3…"), relative to the
 * condition starting at byte `s` of the line, turned into the line's. */
static void shift_columns(const struct parser *p, size_t s, const char *in, char *out) {
  static const char word[] = "colonne ";
  size_t o = 0;
  while (*in && o + 1 < 256) {
    char *end;
    long c;
    if (strncmp(in, word, sizeof word - 1) == 0 && in[sizeof word - 1] >= '1' && in[sizeof word - 1] <= '9' &&
        (c = strtol(in + sizeof word - 1, &end, 10)) > 0 && c <= EXPR_MAX_LENGTH + 1) {
      int k = snprintf(out + o, 256 - o, "%s%d", word, column_of(p, s + (size_t)c - 1));
      o = k < 0 || (size_t)k >= 256 - o ? 255 : o + (size_t)k;
      in = end;
    } else
      out[o++] = *in++;
  }
  if (((unsigned char)*in & 0xc0) == 0x80) { /* cut inside a character: drop its first bytes */
    while (o > 0 && ((unsigned char)out[o - 1] & 0xc0) == 0x80) o--;
    if (o > 0) o--;
  }
  out[o] = 0;
}

/* `si = condition`, the keyword at `kw`, ending at `i`. */
static int parse_si(struct parser *p, size_t kw, size_t i) {
  int rc = 0;
  char name[64];
  char *copy = NULL;
  struct expr_error xe;
  if (!p->cur) {
    rc = fail(p, kw, "« si » avant toute règle : commencez par une ligne règle \"nom de la règle\"");
    goto done;
  }
  if (p->cur->cond) {
    rc = fail(p, kw,
              "deuxième condition pour la règle « %s » (la première est ligne %d) : réunissez-les sur une "
              "seule ligne « si » avec and ou or",
              shown(name, p->cur->name, strlen(p->cur->name)), p->cur->cond_line);
    goto done;
  }
  size_t s = skip_blanks(p, i);
  if (!(copy = malloc(p->n - s + 1))) {
    rc = ERR_NOMEM;
    goto done;
  }
  memcpy(copy, p->line + s, p->n - s);
  copy[p->n - s] = 0;
  rc = expr_parse(&p->cur->cond, copy, &xe);
  if (rc == ERR_INVALID) {
    char message[256];
    shift_columns(p, s, xe.message, message);
    fail(p, s + (size_t)(xe.column > 0 ? xe.column - 1 : 0), "%s", message);
  }
  if (rc) goto done;
  p->cur->cond_line = p->line_no;
done:
  free(copy);
  return rc;
}

/* `alors action [org]`, the keyword at `kw`, ending at `i`. */
static int parse_alors(struct parser *p, size_t kw, size_t i) {
  int rc = 0;
  char buf[64];
  enum rule_action kind;
  struct rule *r = p->cur;
  if (!r) {
    rc = fail(p, kw, "« alors » avant toute règle : commencez par une ligne règle \"nom de la règle\"");
    goto done;
  }
  if (!r->cond) {
    rc = fail(p, kw,
              "la règle « %s » n'a pas de condition : écrivez la ligne « si = … » avant les lignes « alors »",
              shown(buf, r->name, strlen(r->name)));
    goto done;
  }
  size_t a = skip_blanks(p, i), ae = token_end(p, a);
  const char *w = p->line + a;
  size_t wn = ae - a;
  if (a >= p->n) {
    rc = fail(p, a, "action manquante après « alors » : écrivez pilote, contributeur ou exclure suivi d'une "
                    "structure, ou arrêter");
    goto done;
  }
  if (word_is(w, wn, "pilote")) kind = RULE_LEAD;
  else if (word_is(w, wn, "contributeur")) kind = RULE_CONTRIBUTOR;
  else if (word_is(w, wn, "exclure")) kind = RULE_EXCLUDE;
  else if (word_is(w, wn, "arrêter") || word_is(w, wn, "arreter")) kind = RULE_STOP;
  else {
    rc = fail(p, a, "action inconnue « %s » : écrivez pilote, contributeur ou exclure suivi d'une structure, "
                    "ou arrêter", shown(buf, w, wn));
    goto done;
  }
  size_t s = skip_blanks(p, ae), se = token_end(p, s);
  if (kind == RULE_STOP && s < p->n) {
    rc = fail(p, s, "texte inattendu après « arrêter » : écrivez « alors arrêter » seul sur sa ligne");
    goto done;
  }
  if (kind != RULE_STOP && s >= p->n) {
    rc = fail(p, s, "structure manquante : écrivez « alors %s <identifiant de la structure> », par exemple "
                    "« alors %s atd31 »", rule_action_label(kind), rule_action_label(kind));
    goto done;
  }
  struct action act = {kind, p->line_no, column_of(p, kind == RULE_STOP ? a : s), ""};
  if (kind != RULE_STOP) {
    if (se - s < sizeof act.org) {
      memcpy(act.org, p->line + s, se - s);
      act.org[se - s] = 0;
    }
    if (!text_is_slug(act.org)) {
      rc = fail(p, s, "identifiant de structure invalide « %s » : écrivez l'identifiant du catalogue (2 à 40 "
                      "minuscules sans accent, chiffres et tirets, par exemple atd31)",
                shown(buf, p->line + s, se - s));
      goto done;
    }
    size_t more = skip_blanks(p, se);
    if (more < p->n) {
      rc = fail(p, more, "une seule structure par ligne : écrivez une ligne « alors %s » par structure",
                rule_action_label(kind));
      goto done;
    }
  }
  if (r->n_actions == r->cap_actions) {
    int cap = r->cap_actions ? 2 * r->cap_actions : 4;
    struct action *grown = realloc(r->actions, (size_t)cap * sizeof *grown);
    if (!grown) {
      rc = ERR_NOMEM;
      goto done;
    }
    r->actions = grown;
    r->cap_actions = cap;
  }
  r->actions[r->n_actions++] = act;
done:
  return rc;
}

/* One line of the file (without its line feed). */
static int parse_line(struct parser *p, const char *line, size_t n) {
  int rc = 0;
  char buf[64];
  p->line = line;
  p->n = n;
  long bad = utf8_bad(line, n);
  if (bad >= 0) {
    rc = fail(p, (size_t)bad, "texte UTF-8 invalide ou caractère de contrôle : enregistrez le fichier en UTF-8, "
                              "sans caractère spécial invisible");
    goto done;
  }
  while (p->n > 0 && (is_blank(line[p->n - 1]) || line[p->n - 1] == '\r')) p->n--;
  size_t kw = skip_blanks(p, 0);
  if (kw >= p->n || line[kw] == '#') goto done;
  size_t i = kw;
  while (i < p->n) {
    unsigned char c = (unsigned char)line[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
          c >= 0x80))
      break;
    i++;
  }
  const char *w = line + kw;
  size_t wn = i - kw;
  if (word_is(w, wn, "règle") || word_is(w, wn, "regle")) rc = parse_rule(p, kw, i);
  else if (word_is(w, wn, "si")) rc = parse_si(p, kw, i);
  else if (word_is(w, wn, "alors")) rc = parse_alors(p, kw, i);
  else
    rc = fail(p, kw, "mot-clé inconnu « %s » : une ligne commence par règle \"nom\", si = condition, alors "
                     "action, ou # pour un commentaire",
              shown(buf, w, token_end(p, kw) - kw));
done:
  return rc;
}

int rule_parse(struct rule_set **out, const char *text, size_t len, struct rule_error *err) {
  struct rule_error local;
  struct parser p;
  int rc = 0;
  size_t pos = 0;
  assert(out && (text || !len));
  *out = NULL;
  if (!err) err = &local;
  memset(err, 0, sizeof *err);
  memset(&p, 0, sizeof p);
  p.err = err;
  if (len > RULE_MAX_BYTES) {
    snprintf(err->message, sizeof err->message,
             "fichier de règles trop volumineux : %zu octets, %d au plus ; répartissez les règles dans "
             "plusieurs fichiers", len, RULE_MAX_BYTES);
    rc = ERR_TOOLARGE;
    goto done;
  }
  if (!(p.rs = calloc(1, sizeof *p.rs))) {
    rc = ERR_NOMEM;
    goto done;
  }
  if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) pos = 3; /* byte order mark */
  while (pos < len) {
    const char *line = text + pos;
    const char *lf = memchr(line, '\n', len - pos);
    size_t n = lf ? (size_t)(lf - line) : len - pos;
    pos += n + (lf != NULL);
    p.line_no++;
    if ((rc = parse_line(&p, line, n))) goto done;
  }
  if ((rc = finish_rule(&p))) goto done;
  *out = p.rs;
  p.rs = NULL;
done:
  if (rc == ERR_NOMEM) {
    memset(err, 0, sizeof *err);
    snprintf(err->message, sizeof err->message, "mémoire insuffisante pour lire les règles");
  }
  if (rc && err->line)
    err_set(rc, NULL, "ligne %d, colonne %d : %s", err->line, err->column, err->message);
  else if (rc)
    err_set(rc, NULL, "%s", err->message);
  rule_set_free(p.rs);
  return rc;
}

/* ---- Checking --------------------------------------------------------- */

int rule_check_orgs(struct db *db, const struct rule_set *rs, struct rule_error *err) {
  int rc = 0;
  struct rule_error local;
  assert(db && rs);
  if (!err) err = &local;
  memset(err, 0, sizeof *err);
  for (int i = 0; i < rs->n; i++) {
    const struct rule *r = &rs->rules[i];
    for (int k = 0; k < r->n_actions; k++) {
      const struct action *a = &r->actions[k];
      int64_t id;
      if (a->kind == RULE_STOP) continue;
      rc = catalog_org_id(&id, db, a->org, NULL);
      if (rc == ERR_NOTFOUND) {
        err->line = a->line;
        err->column = a->column;
        snprintf(err->message, sizeof err->message,
                 "structure inconnue « %s » : créez-la dans le catalogue ou corrigez son identifiant", a->org);
        err_set(rc, NULL, "ligne %d, colonne %d : %s", err->line, err->column, err->message);
      }
      if (rc) goto done;
    }
  }
done:
  return rc;
}

/* ---- Evaluation ------------------------------------------------------- */

static int find(const struct rule_effect *list, int n, const char *org) {
  int at = -1;
  for (int i = 0; i < n && at < 0; i++)
    if (strcmp(list[i].org, org) == 0) at = i;
  return at;
}

static void drop(struct rule_effect *list, int *n, int i) {
  memmove(list + i, list + i + 1, (size_t)(*n - i - 1) * sizeof *list);
  (*n)--;
}

static void ignore(struct rule_result *r, const char *org, enum rule_action action, const char *rule,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void ignore(struct rule_result *r, const char *org, enum rule_action action, const char *rule,
                   const char *fmt, ...) {
  struct rule_ignored *g = &r->ignored[r->n_ignored++];
  va_list ap;
  g->org = org;
  g->action = action;
  g->rule = rule;
  va_start(ap, fmt);
  vsnprintf(g->reason, sizeof g->reason, fmt, ap);
  va_end(ap);
}

/* Applies one action of the fired rule `rule`. Each action adds at most
 * one entry to each list, so lists sized by the number of actions hold. */
static void apply(struct rule_result *r, const struct action *a, const char *rule) {
  const char *org = a->org;
  int ex = a->kind == RULE_STOP ? -1 : find(r->excluded, r->n_excluded, org);
  int co = a->kind == RULE_STOP ? -1 : find(r->contributors, r->n_contributors, org);
  int is_lead = r->lead.org && a->kind != RULE_STOP && strcmp(r->lead.org, org) == 0;
  switch (a->kind) {
  case RULE_LEAD:
    if (ex >= 0) ignore(r, org, a->kind, rule, "écartée par la règle « %s »", r->excluded[ex].rule);
    else if (is_lead) ignore(r, org, a->kind, rule, "déjà pilote par la règle « %s »", r->lead.rule);
    else if (r->lead.org)
      ignore(r, org, a->kind, rule, "pilote déjà choisi : %s par la règle « %s »", r->lead.org, r->lead.rule);
    else {
      if (co >= 0) {
        ignore(r, org, RULE_CONTRIBUTOR, r->contributors[co].rule, "choisie comme pilote par la règle « %s »", rule);
        drop(r->contributors, &r->n_contributors, co);
      }
      r->lead.org = org;
      r->lead.rule = rule;
    }
    break;
  case RULE_CONTRIBUTOR:
    if (ex >= 0) ignore(r, org, a->kind, rule, "écartée par la règle « %s »", r->excluded[ex].rule);
    else if (is_lead) ignore(r, org, a->kind, rule, "déjà pilote par la règle « %s »", r->lead.rule);
    else if (co >= 0)
      ignore(r, org, a->kind, rule, "déjà contributrice par la règle « %s »", r->contributors[co].rule);
    else r->contributors[r->n_contributors++] = (struct rule_effect){org, rule};
    break;
  case RULE_EXCLUDE:
    if (ex >= 0) {
      ignore(r, org, a->kind, rule, "déjà écartée par la règle « %s »", r->excluded[ex].rule);
      break;
    }
    if (is_lead) {
      ignore(r, org, RULE_LEAD, r->lead.rule, "écartée par la règle « %s »", rule);
      r->lead.org = r->lead.rule = NULL;
    } else if (co >= 0) {
      ignore(r, org, RULE_CONTRIBUTOR, r->contributors[co].rule, "écartée par la règle « %s »", rule);
      drop(r->contributors, &r->n_contributors, co);
    }
    r->excluded[r->n_excluded++] = (struct rule_effect){org, rule};
    break;
  case RULE_STOP:
    break;
  }
}

int rule_eval(struct rule_result *out, const struct rule_set *rs, const json_t *vars, int64_t today) {
  int rc = 0, stop_line = 0;
  size_t actions = 1;
  struct rule_result r;
  assert(out && rs);
  memset(out, 0, sizeof *out);
  memset(&r, 0, sizeof r);
  for (int i = 0; i < rs->n; i++) actions += (size_t)rs->rules[i].n_actions;
  r.rules = calloc((size_t)rs->n + 1, sizeof *r.rules);
  r.contributors = calloc(actions, sizeof *r.contributors);
  r.excluded = calloc(actions, sizeof *r.excluded);
  r.ignored = calloc(actions, sizeof *r.ignored);
  if (!r.rules || !r.contributors || !r.excluded || !r.ignored) {
    rc = err_set(ERR_NOMEM, NULL, "mémoire insuffisante pour évaluer les règles");
    goto done;
  }
  r.n_rules = rs->n;
  for (int i = 0; i < rs->n; i++) {
    const struct rule *rule = &rs->rules[i];
    struct rule_verdict *v = &r.rules[i];
    v->name = rule->name;
    v->line = rule->line;
    if (stop_line) {
      v->outcome = RULE_NOT_REACHED;
      snprintf(v->why, sizeof v->why, "évaluation arrêtée par la règle de la ligne %d (« alors arrêter »)",
               stop_line);
      continue;
    }
    int c = expr_eval_condition(rule->cond, vars, today, v->why, sizeof v->why);
    v->outcome = c > 0 ? RULE_FIRED : c == 0 ? RULE_NOT_APPLICABLE : RULE_UNDECIDED;
    if (c <= 0) continue;
    for (int k = 0; k < rule->n_actions; k++) {
      apply(&r, &rule->actions[k], rule->name);
      if (rule->actions[k].kind == RULE_STOP) stop_line = rule->line;
    }
  }
  *out = r;
  memset(&r, 0, sizeof r);
done:
  rule_result_free(&r);
  return rc;
}

void rule_result_free(struct rule_result *r) {
  if (!r) return;
  free(r->rules);
  free(r->contributors);
  free(r->excluded);
  free(r->ignored);
  memset(r, 0, sizeof *r);
}

static json_t *effects_json(const struct rule_effect *list, int n) {
  json_t *a = json_array();
  for (int i = 0; a && i < n; i++)
    if (json_array_append_new(a, json_pack("{s:s, s:s}", "org", list[i].org, "rule", list[i].rule))) {
      json_decref(a);
      a = NULL;
    }
  return a;
}

json_t *rule_result_json(const struct rule_result *r) {
  json_t *out = NULL, *rules = json_array(), *ignored = json_array();
  json_t *lead = r->lead.org ? json_pack("{s:s, s:s}", "org", r->lead.org, "rule", r->lead.rule) : json_null();
  json_t *contributors = effects_json(r->contributors, r->n_contributors);
  json_t *excluded = effects_json(r->excluded, r->n_excluded);
  if (!rules || !ignored || !lead || !contributors || !excluded) goto done;
  for (int i = 0; i < r->n_rules; i++) {
    const struct rule_verdict *v = &r->rules[i];
    json_t *o = json_pack("{s:s, s:i, s:s}", "name", v->name, "line", v->line, "outcome",
                          rule_outcome_label(v->outcome));
    if (o && (v->outcome == RULE_UNDECIDED || v->outcome == RULE_NOT_REACHED) &&
        json_object_set_new(o, "why", json_string(v->why))) {
      json_decref(o);
      o = NULL;
    }
    if (json_array_append_new(rules, o)) goto done;
  }
  for (int i = 0; i < r->n_ignored; i++) {
    const struct rule_ignored *g = &r->ignored[i];
    if (json_array_append_new(ignored, json_pack("{s:s, s:s, s:s, s:s}", "org", g->org, "action",
                                                 rule_action_label(g->action), "rule", g->rule, "reason",
                                                 g->reason)))
      goto done;
  }
  out = json_pack("{s:O, s:O, s:O, s:O, s:O}", "rules", rules, "lead", lead, "contributors", contributors,
                  "excluded", excluded, "ignored", ignored);
done:
  json_decref(rules);
  json_decref(ignored);
  json_decref(lead);
  json_decref(contributors);
  json_decref(excluded);
  return out;
}
