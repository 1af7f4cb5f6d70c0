/* expr — FEEL-lite: parses "= expr" texts into an AST and evaluates it,
 * purely and with three-valued logic, over a jansson document (see expr.h
 * and shared/workflow-subset.md §4).
 *
 * The parser is a recursive descent over an on-demand lexer. Every node,
 * name and string of an AST lives in one arena, freed at once. The text
 * length and the nesting depth are bounded, so hostile input cannot exhaust
 * the stack. Errors name the usual mistakes (missing "=", ==, &&, ||, !x,
 * ${…}, 'x') with their column and what to write instead. */
#include "expr.h"
#include "clock.h"
#include "err.h"
#include <assert.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NO_PAREN ((size_t)-1)

/* ---- Arena ------------------------------------------------------------ */

struct chunk {
  struct chunk *next;
  size_t used, size;
  max_align_t data[];
};

static void arena_free(struct chunk *c) {
  while (c) {
    struct chunk *next = c->next;
    free(c);
    c = next;
  }
}

/* ---- AST -------------------------------------------------------------- */

enum kind { K_LIT, K_PATH, K_OR, K_AND, K_NOT, K_CMP, K_IN, K_COUNT, K_CONTAINS, K_TODAY };
enum op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };
static const char *const op_text[] = {"=", "!=", "<", "<=", ">", ">="};

struct node {
  enum kind kind;
  enum op op;               /* K_CMP */
  struct node *kid;         /* first operand (K_OR, K_AND: a list through next) */
  struct node *next;        /* next operand of the parent */
  struct expr_value lit;    /* K_LIT; K_CONTAINS: the value sought */
  const char *path;         /* K_PATH: the names joined by dots */
  const char **names;       /* K_PATH */
  struct expr_value *items; /* K_IN: the literals of the list */
  size_t count;             /* K_PATH: names; K_IN: items */
};

struct expr {
  struct chunk *arena; /* holds this struct, the nodes and the text */
  const struct node *root;
  const char *text;
};

/* ---- Lexer ------------------------------------------------------------ */

enum tk { T_EOF, T_NUM, T_STR, T_NAME, T_LISTC, T_LP, T_RP, T_COMMA, T_DOT,
          T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE };

struct tok {
  enum tk kind;
  size_t pos, end; /* byte offsets in the text */
  double num;      /* T_NUM */
};

struct parser {
  const char *s;
  size_t n, pos;          /* text, its length, where the next token starts */
  struct tok tok;         /* the next token, when peeked */
  int peeked, failed, code, depth;
  int hints;              /* may try re-parses to suggest a correction */
  struct chunk *arena;
  struct expr_error *err;
};

static void *fail(struct parser *p, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Cuts `s`, filled by snprintf() into `size` bytes and truncated when
 * `written` >= size, back to a whole UTF-8 character. */
static void utf8_fix(char *s, size_t size, int written) {
  if (written < 0 || (size_t)written < size) return;
  size_t len = strlen(s), i = len;
  while (i > 0 && ((unsigned char)s[i - 1] & 0xc0) == 0x80) i--;
  if (i == 0) return;
  unsigned char c = (unsigned char)s[i - 1];
  size_t need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
  if (len - (i - 1) < need) s[i - 1] = 0;
}

/* Records the first error of the parse (at byte `pos`); returns NULL. */
static void *fail(struct parser *p, size_t pos, const char *fmt, ...) {
  if (p->failed) return NULL;
  va_list ap;
  p->failed = 1;
  p->code = ERR_INVALID;
  p->err->column = (int)pos + 1;
  va_start(ap, fmt);
  int w = vsnprintf(p->err->message, sizeof p->err->message, fmt, ap);
  va_end(ap);
  utf8_fix(p->err->message, sizeof p->err->message, w);
  return NULL;
}

/* Zeroed arena memory, or NULL (error recorded). */
static void *alloc(struct parser *p, size_t size) {
  size_t unit = sizeof(max_align_t);
  size = (size + unit - 1) / unit * unit;
  struct chunk *c = p->arena;
  if (!c || c->size - c->used < size) {
    size_t cap = size > 4096 ? size : 4096;
    c = malloc(sizeof *c + cap);
    if (!c) {
      if (!p->failed) {
        fail(p, p->pos, "mémoire insuffisante");
        p->code = ERR_NOMEM;
      }
      return NULL;
    }
    c->next = p->arena;
    c->used = 0;
    c->size = cap;
    p->arena = c;
  }
  void *r = (unsigned char *)c->data + c->used;
  c->used += size;
  memset(r, 0, size);
  return r;
}

static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_letter(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int is_namec(int c) { return is_letter(c) || is_digit(c) || c == '_'; }
static int is_space(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
static int at(const struct parser *p, size_t i) { return i < p->n ? (unsigned char)p->s[i] : 0; }

/* Copies s[0..len) into `out` (`size` >= 8) for a one-line message: control
 * characters become spaces; a long text is cut at a character with "…". */
static void snip(char *out, size_t size, const char *s, size_t len) {
  size_t k = len;
  if (len > size - 1) {
    k = size - 4;
    while (k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80) k--;
  }
  for (size_t i = 0; i < k; i++) out[i] = (unsigned char)s[i] < 0x20 ? ' ' : s[i];
  if (k < len) memcpy(out + k, "…", sizeof "…");
  else out[k] = 0;
}

static const char *tok_snip(const struct parser *p, const struct tok *t, char *out, size_t size) {
  if (t->kind == T_EOF) return "fin du texte";
  snip(out, size, p->s + t->pos, t->end - t->pos);
  return out;
}

static int word_is(const char *w, size_t len, const char *word) {
  return strlen(word) == len && memcmp(w, word, len) == 0;
}

static const char *const reserved[] = {"and", "or", "not", "in", "true", "false", "null"};

static int is_reserved(const char *w, size_t len) {
  for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
    if (word_is(w, len, reserved[i])) return 1;
  return 0;
}

static int tok_is(const struct parser *p, const struct tok *t, const char *word) {
  return t->kind == T_NAME && word_is(p->s + t->pos, t->end - t->pos, word);
}

static int trial(const char *text, size_t start);

/* "${…}" or "#{…}" (Camunda 7, JUEL) at `i`: suggests the FEEL form. */
static void *juel(struct parser *p, size_t i) {
  const char *form = p->s[i] == '$' ? "${…}" : "#{…}";
  size_t a = i + 2, b = a;
  while (b < p->n && p->s[b] != '}') b++;
  if (p->hints && b < p->n) {
    while (a < b && is_space(p->s[a])) a++;
    while (b > a && is_space(p->s[b - 1])) b--;
    int neg = a < b && p->s[a] == '!' && at(p, a + 1) != '=';
    if (neg) a++;
    char cand[96];
    if (b > a && b - a <= 60) {
      snprintf(cand, sizeof cand, "%s%.*s%s", neg ? "not(" : "", (int)(b - a), p->s + a, neg ? ")" : "");
      if (trial(cand, 0))
        return fail(p, i, "syntaxe %s de Camunda 7 (JUEL) non prise en charge : écrivez « = %s »", form, cand);
    }
  }
  return fail(p, i, "syntaxe %s de Camunda 7 (JUEL) non prise en charge : écrivez une condition FEEL, "
              "par exemple « = montant > 0 »", form);
}

static void lex_name(struct parser *p, struct tok *t) {
  size_t j = t->pos;
  while (is_namec(at(p, j))) j++;
  t->kind = T_NAME;
  t->end = j;
  if (word_is(p->s + t->pos, j - t->pos, "list")) { /* the function "list contains" */
    size_t k = j;
    while (is_space(at(p, k))) k++;
    if (k + 8 <= p->n && memcmp(p->s + k, "contains", 8) == 0 && !is_namec(at(p, k + 8))) {
      t->kind = T_LISTC;
      t->end = k + 8;
    }
  }
}

static void lex_number(struct parser *p, struct tok *t) {
  size_t j = t->pos;
  if (at(p, j) == '-') j++;
  while (is_digit(at(p, j))) j++;
  if (at(p, j) == '.') {
    if (!is_digit(at(p, j + 1))) {
      fail(p, j, "nombre incomplet : un chiffre est attendu après le point (écrivez 1.5, pas 1.)");
      return;
    }
    j++;
    while (is_digit(at(p, j))) j++;
  }
  if (is_namec(at(p, j)) || at(p, j) == '.') {
    size_t k = j;
    char txt[48];
    while (is_namec(at(p, k)) || at(p, k) == '.') k++;
    snip(txt, sizeof txt, p->s + t->pos, k - t->pos);
    fail(p, t->pos, "nombre mal formé « %s » : un nombre s'écrit -12 ou 3.5", txt);
    return;
  }
  t->kind = T_NUM;
  t->end = j;
  char *buf = alloc(p, j - t->pos + 1);
  if (!buf) return;
  memcpy(buf, p->s + t->pos, j - t->pos);
  char *dot = strchr(buf, '.'); /* strtod() reads the locale's decimal point */
  const struct lconv *lc = localeconv();
  if (dot && lc && lc->decimal_point && lc->decimal_point[0] && lc->decimal_point[1] == 0)
    *dot = lc->decimal_point[0];
  t->num = strtod(buf, NULL);
  if (!isfinite(t->num)) fail(p, t->pos, "nombre trop grand");
}

static void lex_string(struct parser *p, struct tok *t) {
  size_t j = t->pos + 1;
  while (j < p->n && p->s[j] != '"') {
    if (p->s[j] == '\\' && j + 1 < p->n) {
      int c = at(p, j + 1);
      if (c != '"' && c != '\\') {
        char txt[8];
        size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
        snip(txt, sizeof txt, p->s + j + 1, len < p->n - j - 1 ? len : p->n - j - 1);
        fail(p, j, "séquence d'échappement « \\%s » inconnue : seules \\\" et \\\\ sont permises dans une chaîne", txt);
        return;
      }
      j++;
    }
    j++;
  }
  if (j >= p->n) {
    fail(p, t->pos, "chaîne non terminée : il manque le guillemet fermant « \" »");
    return;
  }
  t->kind = T_STR;
  t->end = j + 1;
}

/* A character that cannot start a token, at `i`. */
static void lex_bad(struct parser *p, size_t i) {
  const char *s = p->s + i;
  int c = (unsigned char)*s, d = at(p, i + 1);
  char txt[8];
  size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
  snip(txt, sizeof txt, s, len < p->n - i ? len : p->n - i);
  if (c == '&')
    fail(p, i, "« %s » n'existe pas en FEEL : écrivez « and »", d == '&' ? "&&" : "&");
  else if (c == '|')
    fail(p, i, "« %s » n'existe pas en FEEL : écrivez « or »", d == '|' ? "||" : "|");
  else if ((c == '$' || c == '#') && d == '{')
    juel(p, i);
  else if (c == '\'' || !strcmp(txt, "‘") || !strcmp(txt, "’")) {
    size_t j = i + len;
    while (j < p->n && p->s[j] != '\'' && p->s[j] != '"') j++;
    if (c == '\'' && j < p->n && p->s[j] == '\'' && j - i - 1 <= 40)
      fail(p, i, "les chaînes s'écrivent entre guillemets doubles, pas entre apostrophes : écrivez « \"%.*s\" »",
           (int)(j - i - 1), s + 1);
    else
      fail(p, i, "les chaînes s'écrivent entre guillemets doubles \"…\", pas entre apostrophes");
  } else if (!strcmp(txt, "«") || !strcmp(txt, "»") || !strcmp(txt, "“") || !strcmp(txt, "”"))
    fail(p, i, "guillemets typographiques « %s » : les chaînes s'écrivent entre guillemets droits \"…\"", txt);
  else if (c == '+' || c == '-' || c == '*' || c == '/' || c == '%')
    fail(p, i, "« %s » : pas d'arithmétique dans une condition (seul un nombre peut être négatif : -5)", txt);
  else if (c == '[' || c == ']')
    fail(p, i, "« %s » : pas de liste littérale ; écrivez « x in (1, 2) » ou « list contains(x, 1) »", txt);
  else if (c >= 0x80)
    fail(p, i, "caractère « %s » interdit hors d'une chaîne : les noms s'écrivent en lettres ASCII sans accent, "
         "chiffres et _", txt);
  else
    fail(p, i, "caractère inattendu « %s »", txt);
}

/* The next token (lexed once), or NULL when the text is wrong there. */
static const struct tok *peek(struct parser *p) {
  if (p->failed) return NULL;
  if (p->peeked) return &p->tok;
  size_t i = p->pos;
  while (i < p->n && is_space(p->s[i])) i++;
  struct tok *t = &p->tok;
  int c = at(p, i), d = at(p, i + 1);
  t->pos = i;
  t->end = i + 1;
  if (i >= p->n) {
    t->kind = T_EOF;
    t->end = i;
  } else if (is_letter(c)) {
    lex_name(p, t);
  } else if (is_digit(c) || (c == '-' && is_digit(d))) {
    lex_number(p, t);
  } else if (c == '"') {
    lex_string(p, t);
  } else if (c == '(') t->kind = T_LP;
  else if (c == ')') t->kind = T_RP;
  else if (c == ',') t->kind = T_COMMA;
  else if (c == '.') t->kind = T_DOT;
  else if (c == '=') {
    if (d == '=') fail(p, i, "« == » n'existe pas en FEEL : l'égalité s'écrit « = »");
    else if (d == '<' || d == '>') fail(p, i, "« =%c » n'existe pas : écrivez « %c= »", d, d);
    t->kind = T_EQ;
  } else if (c == '!') {
    if (d == '=') {
      t->kind = T_NE;
      t->end = i + 2;
    } else {
      size_t a = i + 1, b;
      while (is_space(at(p, a))) a++;
      for (b = a; is_namec(at(p, b)) || at(p, b) == '.'; b++) {}
      if (b > a && is_letter(at(p, a)) && b - a <= 60)
        fail(p, i, "« ! » n'existe pas en FEEL : écrivez « not(%.*s) »", (int)(b - a), p->s + a);
      else
        fail(p, i, "« ! » n'existe pas en FEEL : écrivez « not(…) »");
    }
  } else if (c == '<') {
    if (d == '>') fail(p, i, "« <> » n'existe pas en FEEL : écrivez « != »");
    t->kind = d == '=' ? T_LE : T_LT;
    t->end = i + (d == '=' ? 2 : 1);
  } else if (c == '>') {
    t->kind = d == '=' ? T_GE : T_GT;
    t->end = i + (d == '=' ? 2 : 1);
  } else {
    lex_bad(p, i);
  }
  if (p->failed) return NULL;
  p->peeked = 1;
  return t;
}

static void take(struct parser *p) {
  p->pos = p->tok.end;
  p->peeked = 0;
}

/* ---- Parser ----------------------------------------------------------- */

static struct node *parse_or(struct parser *p);

static struct node *new_node(struct parser *p, enum kind kind) {
  struct node *n = alloc(p, sizeof *n);
  if (n) n->kind = kind;
  return n;
}

/* What follows a complete expression (or the operand of a call) and should
 * not: `open` is the offset of the parenthesis to close, or NO_PAREN. */
static void *unexpected(struct parser *p, const struct tok *t, size_t open) {
  char txt[48];
  tok_snip(p, t, txt, sizeof txt);
  if (t->kind == T_EOF)
    return fail(p, open, "parenthèse ouverte colonne %d jamais refermée : il manque « ) »", (int)open + 1);
  if (t->kind == T_RP && open == NO_PAREN)
    return fail(p, t->pos, "parenthèse « ) » fermée sans avoir été ouverte");
  if (t->kind == T_NAME)
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
      if (strlen(reserved[i]) == t->end - t->pos && !strncasecmp(p->s + t->pos, reserved[i], t->end - t->pos))
        return fail(p, t->pos, "« %s » : les mots réservés s'écrivent en minuscules (%s)", txt, reserved[i]);
  if (open != NO_PAREN)
    return fail(p, t->pos, "« ) » attendue pour fermer la parenthèse de la colonne %d, « %s » trouvé",
                (int)open + 1, txt);
  return fail(p, t->pos, "texte inattendu « %s » après une expression complète (and ou or oublié ?)", txt);
}

/* Takes the ")" closing the parenthesis at `open`. */
static int expect_close(struct parser *p, size_t open) {
  const struct tok *t = peek(p);
  if (!t) return -1;
  if (t->kind != T_RP) {
    unexpected(p, t, open);
    return -1;
  }
  take(p);
  return 0;
}

/* Takes a literal if the next token is one: returns 1 (stored in *v), 0 if
 * it is not a literal, -1 on error. */
static int parse_literal(struct parser *p, struct expr_value *v) {
  const struct tok *t = peek(p);
  if (!t) return -1;
  memset(v, 0, sizeof *v);
  if (t->kind == T_NUM) {
    v->type = EXPR_NUMBER;
    v->number = t->num;
  } else if (t->kind == T_STR) {
    char *d = alloc(p, t->end - t->pos);
    if (!d) return -1;
    size_t len = 0;
    for (size_t i = t->pos + 1; i < t->end - 1; i++) {
      if (p->s[i] == '\\') i++;
      d[len++] = p->s[i];
    }
    v->type = EXPR_STRING;
    v->string = d;
    v->length = len;
  } else if (tok_is(p, t, "true") || tok_is(p, t, "false")) {
    v->type = EXPR_BOOL;
    v->boolean = tok_is(p, t, "true");
  } else if (tok_is(p, t, "null")) {
    v->type = EXPR_NULL;
  } else {
    return 0;
  }
  take(p);
  return 1;
}

/* path = name { "." name }, the next token being a name. */
static struct node *parse_path(struct parser *p) {
  const struct tok *t = peek(p);
  size_t start = t->pos, cap = 4, total = 0;
  struct node *n = new_node(p, K_PATH);
  const char **names = alloc(p, cap * sizeof *names);
  if (!n || !names) return NULL;
  for (;;) {
    size_t len = t->end - t->pos;
    if (is_reserved(p->s + t->pos, len))
      return fail(p, t->pos, "« %.*s » est un mot réservé et ne peut pas servir de nom de variable", (int)len,
                  p->s + t->pos);
    if (n->count == cap) {
      const char **grown = alloc(p, 2 * cap * sizeof *grown);
      if (!grown) return NULL;
      memcpy(grown, names, cap * sizeof *names);
      names = grown;
      cap *= 2;
    }
    char *name = alloc(p, len + 1);
    if (!name) return NULL;
    memcpy(name, p->s + t->pos, len);
    names[n->count++] = name;
    total += len + 1;
    take(p);
    if (!(t = peek(p))) return NULL;
    if (t->kind != T_DOT) break;
    take(p);
    if (!(t = peek(p))) return NULL;
    if (t->kind != T_NAME) return fail(p, t->pos, "nom de variable attendu après « . »");
  }
  char *path = alloc(p, total);
  if (!path) return NULL;
  for (size_t i = 0, o = 0; i < n->count; i++) {
    size_t len = strlen(names[i]);
    memcpy(path + o, names[i], len);
    o += len;
    path[o++] = i + 1 < n->count ? '.' : 0;
  }
  n->names = names;
  n->path = path;
  if (t->kind == T_LP)
    return fail(p, start, "fonction inconnue « %s » : les fonctions sont not(), count(), list contains(), "
                "date() et today()", path);
  return n;
}

/* The argument of count() or list contains(): a path. */
static struct node *parse_path_arg(struct parser *p, const char *fn) {
  const struct tok *t = peek(p);
  if (!t) return NULL;
  if (t->kind != T_NAME)
    return fail(p, t->pos, "%s attend un nom de variable, par exemple %s", fn,
                !strcmp(fn, "count()") ? "count(pieces)" : "list contains(pieces, \"devis\")");
  return parse_path(p);
}

/* A call of `fn` (len bytes at t->pos), the token after it being "(". */
static struct node *parse_call(struct parser *p, const struct tok *t) {
  const char *fn = p->s + t->pos;
  size_t len = t->end - t->pos, start = t->pos, open;
  struct node *n = NULL;
  struct expr_value v;
  int is_count = word_is(fn, len, "count"), is_date = word_is(fn, len, "date"), is_contains = t->kind == T_LISTC;
  if (!is_count && !is_date && !is_contains && !word_is(fn, len, "today"))
    return fail(p, start, "fonction inconnue « %.*s » : les fonctions sont not(), count(), list contains(), "
                "date() et today()", (int)len, fn);
  take(p);
  if (!(t = peek(p))) return NULL;
  if (t->kind != T_LP)
    return fail(p, t->pos, "« list contains » s'écrit comme une fonction : list contains(pieces, \"devis\")");
  open = t->pos;
  take(p);
  if (is_count) {
    if (!(n = new_node(p, K_COUNT)) || !(n->kid = parse_path_arg(p, "count()"))) return NULL;
  } else if (is_date) {
    if (!(t = peek(p))) return NULL;
    size_t at0 = t->pos;
    if (t->kind != T_STR)
      return fail(p, at0, "date() attend une date entre guillemets, par exemple date(\"2026-01-31\")");
    int y, m, d;
    char txt[48];
    if (parse_literal(p, &v) < 0) return NULL;
    if (strlen(v.string) != v.length || !clock_parse_date(v.string, &y, &m, &d)) {
      snip(txt, sizeof txt, v.string, v.length);
      return fail(p, at0, "date invalide « %s » : écrivez une date du calendrier AAAA-MM-JJ "
                  "(années 1900 à 2999), par exemple date(\"2026-01-31\")", txt);
    }
    if (!(n = new_node(p, K_LIT))) return NULL;
    n->lit.type = EXPR_DATE;
    n->lit.date = clock_days_from_civil(y, m, d);
  } else if (is_contains) {
    if (!(n = new_node(p, K_CONTAINS)) || !(n->kid = parse_path_arg(p, "list contains()"))) return NULL;
    if (!(t = peek(p))) return NULL;
    if (t->kind != T_COMMA) {
      if (t->kind == T_EOF || t->kind == T_RP)
        return fail(p, t->pos, "list contains() attend deux arguments : list contains(pieces, \"devis\")");
      return unexpected(p, t, open);
    }
    take(p);
    int r = parse_literal(p, &n->lit);
    if (r < 0) return NULL;
    if (r == 0)
      return fail(p, p->tok.pos, "list contains() attend en second une valeur littérale (nombre, chaîne, "
                  "true, false, null)");
  } else { /* today */
    if (!(n = new_node(p, K_TODAY)) || !(t = peek(p))) return NULL;
    if (t->kind != T_RP && t->kind != T_EOF)
      return fail(p, t->pos, "today() ne prend pas d'argument : écrivez today()");
  }
  return expect_close(p, open) < 0 ? NULL : n;
}

/* value = literal | path | call | "(" expr ")" */
static struct node *parse_value(struct parser *p) {
  const struct tok *t = peek(p);
  struct node *n;
  char txt[48];
  if (!t) return NULL;
  size_t start = t->pos, len = t->end - t->pos;
  const char *w = p->s + start;
  switch (t->kind) {
  case T_NUM:
  case T_STR:
    if (!(n = new_node(p, K_LIT)) || parse_literal(p, &n->lit) < 0) return NULL;
    return n;
  case T_LISTC:
    return parse_call(p, t);
  case T_LP:
  case T_NAME:
    if (t->kind == T_LP || word_is(w, len, "not")) {
      int is_not = t->kind == T_NAME;
      take(p);
      if (!(t = peek(p))) return NULL;
      if (is_not && t->kind != T_LP) {
        if (t->kind == T_DOT)
          return fail(p, start, "« not » est un mot réservé et ne peut pas servir de nom de variable");
        return fail(p, start, "« not » s'écrit comme une fonction : not(condition)");
      }
      size_t open = is_not ? t->pos : start;
      if (is_not) take(p);
      if (++p->depth > EXPR_MAX_DEPTH)
        return fail(p, open, "expression trop imbriquée : %d niveaux de parenthèses au plus", EXPR_MAX_DEPTH);
      if (!(t = peek(p))) return NULL;
      if (t->kind == T_RP) return fail(p, t->pos, "expression attendue entre les parenthèses");
      struct node *e = parse_or(p);
      if (!e || expect_close(p, open) < 0) return NULL;
      p->depth--;
      if (!is_not) return e;
      if (!(n = new_node(p, K_NOT))) return NULL;
      n->kid = e;
      return n;
    }
    if (word_is(w, len, "true") || word_is(w, len, "false") || word_is(w, len, "null")) {
      if (!(n = new_node(p, K_LIT)) || parse_literal(p, &n->lit) < 0 || !(t = peek(p))) return NULL;
      if (t->kind == T_DOT || t->kind == T_LP)
        return fail(p, start, "« %.*s » est un mot réservé et ne peut pas servir de nom de variable", (int)len, w);
      return n;
    }
    if (is_reserved(w, len))
      return fail(p, start, "« %.*s » est un mot réservé : une valeur (nom de variable, nombre, chaîne…) est "
                  "attendue à sa place", (int)len, w);
    {
      size_t i = t->end;
      while (is_space(at(p, i))) i++;
      if (at(p, i) == '(') return parse_call(p, t);
    }
    return parse_path(p);
  case T_EOF:
    return fail(p, start, "expression incomplète : une valeur est attendue à la fin");
  case T_RP:
    return fail(p, start, "valeur attendue avant « ) »");
  default:
    return fail(p, start, "valeur attendue (nom de variable, nombre, chaîne…), « %s » trouvé",
                tok_snip(p, t, txt, sizeof txt));
  }
}

/* test = value [ cmpop value ] | value "in" "(" literal { "," literal } ")" */
static struct node *parse_test(struct parser *p) {
  struct node *v = parse_value(p), *n;
  const struct tok *t;
  if (!v || !(t = peek(p))) return NULL;
  if (t->kind >= T_EQ) {
    if (!(n = new_node(p, K_CMP))) return NULL;
    n->op = (enum op)(t->kind - T_EQ);
    take(p);
    n->kid = v;
    if (!(v->next = parse_value(p)) || !(t = peek(p))) return NULL;
    if (t->kind >= T_EQ)
      return fail(p, t->pos, "comparaisons enchaînées impossibles : reliez-les par and, "
                  "par exemple « a < b and b < c »");
    return n;
  }
  if (!tok_is(p, t, "in")) return v;
  take(p);
  if (!(t = peek(p))) return NULL;
  if (t->kind != T_LP)
    return fail(p, t->pos, "« in » s'écrit avec une liste entre parenthèses : statut in (\"ouvert\", \"en cours\")");
  size_t open = t->pos, cap = 4;
  take(p);
  if (!(n = new_node(p, K_IN)) || !(n->items = alloc(p, cap * sizeof *n->items)) || !(t = peek(p))) return NULL;
  n->kid = v;
  if (t->kind == T_RP) return fail(p, t->pos, "liste vide après « in » : au moins une valeur est attendue");
  for (;;) {
    if (n->count == cap) {
      struct expr_value *grown = alloc(p, 2 * cap * sizeof *grown);
      if (!grown) return NULL;
      memcpy(grown, n->items, cap * sizeof *grown);
      n->items = grown;
      cap *= 2;
    }
    int r = parse_literal(p, &n->items[n->count]);
    if (r < 0) return NULL;
    if (r == 0) {
      if (p->tok.kind == T_EOF) return unexpected(p, &p->tok, open);
      return fail(p, p->tok.pos, "la liste de « in » ne contient que des valeurs littérales (nombres, chaînes, "
                  "true, false, null)");
    }
    n->count++;
    if (!(t = peek(p))) return NULL;
    if (t->kind != T_COMMA) break;
    take(p);
  }
  return expect_close(p, open) < 0 ? NULL : n;
}

/* conj = test { "and" test } and expr = conj { "or" conj }: one n-ary node
 * (no deep left spine for long chains). */
static struct node *parse_chain(struct parser *p, enum kind kind) {
  const char *word = kind == K_OR ? "or" : "and";
  struct node *first = kind == K_OR ? parse_chain(p, K_AND) : parse_test(p), *n, *last;
  const struct tok *t;
  if (!first || !(t = peek(p))) return NULL;
  if (!tok_is(p, t, word)) return first;
  if (!(n = new_node(p, kind))) return NULL;
  n->kid = last = first;
  while ((t = peek(p)) && tok_is(p, t, word)) {
    take(p);
    if (!(last->next = kind == K_OR ? parse_chain(p, K_AND) : parse_test(p))) return NULL;
    last = last->next;
  }
  return p->failed ? NULL : n;
}

static struct node *parse_or(struct parser *p) { return parse_chain(p, K_OR); }

/* An expression followed by the end of the text. */
static struct node *parse_top(struct parser *p) {
  struct node *e = parse_or(p);
  const struct tok *t;
  if (!e || !(t = peek(p))) return NULL;
  if (t->kind != T_EOF) return unexpected(p, t, NO_PAREN);
  return e;
}

/* 1 if text[start..] parses as an expression (no "=", no hints). */
static int trial(const char *text, size_t start) {
  struct expr_error err;
  struct parser q;
  memset(&q, 0, sizeof q);
  q.s = text;
  q.n = strlen(text);
  q.pos = start;
  q.err = &err;
  int ok = parse_top(&q) != NULL;
  arena_free(q.arena);
  return ok;
}

/* condition = "=" expr */
static struct node *parse_condition(struct parser *p) {
  size_t i = 0, end = p->n;
  while (i < p->n && is_space(p->s[i])) i++;
  if (i >= p->n)
    return fail(p, 0, "condition vide : écrivez une expression précédée de « = », par exemple « = montant > 0 »");
  if (p->s[i] == '=') {
    size_t j = i + 1;
    while (j < p->n && is_space(p->s[j])) j++;
    if (j >= p->n) return fail(p, i + 1, "expression vide après « = » : écrivez par exemple « = montant > 0 »");
    p->pos = i + 1;
    return parse_top(p);
  }
  if ((p->s[i] == '$' || p->s[i] == '#') && at(p, i + 1) == '{') return juel(p, i);
  while (end > i && is_space(p->s[end - 1])) end--;
  int simple = end - i <= 60;
  for (size_t k = i; k < end && simple; k++) simple = (unsigned char)p->s[k] >= 0x20;
  if (simple && trial(p->s, i))
    return fail(p, i, "une condition FEEL commence par « = » : écrivez « = %.*s »", (int)(end - i), p->s + i);
  return fail(p, i, "une condition FEEL commence par « = », par exemple « = montant > 0 »");
}

int expr_parse(struct expr **out, const char *text, struct expr_error *err) {
  struct expr_error local;
  struct parser p;
  struct expr *e;
  char *copy;
  int rc = 0;
  assert(out && text);
  *out = NULL;
  if (!err) err = &local;
  memset(err, 0, sizeof *err);
  memset(&p, 0, sizeof p);
  p.s = text;
  p.n = strlen(text);
  p.err = err;
  p.hints = 1;
  if (p.n > EXPR_MAX_LENGTH) {
    fail(&p, EXPR_MAX_LENGTH, "condition trop longue : %zu octets, %d au plus", p.n, EXPR_MAX_LENGTH);
    goto done;
  }
  const struct node *root = parse_condition(&p);
  if (!root || !(e = alloc(&p, sizeof *e)) || !(copy = alloc(&p, p.n + 1))) goto done;
  memcpy(copy, text, p.n);
  e->root = root;
  e->text = copy;
  e->arena = p.arena;
  p.arena = NULL;
  *out = e;
done:
  if (p.failed) {
    rc = p.code;
    err_set(rc, NULL, "colonne %d : %s", err->column, err->message);
  }
  arena_free(p.arena);
  return rc;
}

void expr_free(struct expr *e) {
  if (e) arena_free(e->arena);
}

const char *expr_text(const struct expr *e) { return e->text; }

/* ---- Evaluation ------------------------------------------------------- */

/* What a path should have held. */
enum want { W_ANY, W_BOOL, W_NUMBER, W_STRING, W_DATE, W_ORDERED, W_LIST };

/* Why a result is null (or not a boolean): the path to name, or failing
 * that the operator that could not apply and its operand types. */
struct blame {
  const struct node *path;
  enum want want;
  const char *op;
  int nops;
  enum expr_type lt, rt;
};

struct ctx {
  const json_t *vars;
  int64_t today;
};

/* A JSON value as an expr value. An object is null to every operator but
 * = and != (its `list` keeps it, so that « adresse != null » holds). */
static void from_json(struct expr_value *v, const json_t *j) {
  memset(v, 0, sizeof *v);
  if (!j) return;
  switch (json_typeof(j)) {
  case JSON_TRUE:
  case JSON_FALSE:
    v->type = EXPR_BOOL;
    v->boolean = json_is_true(j);
    break;
  case JSON_INTEGER:
  case JSON_REAL:
    v->type = EXPR_NUMBER;
    v->number = json_number_value(j);
    break;
  case JSON_STRING:
    v->type = EXPR_STRING;
    v->string = json_string_value(j);
    v->length = json_string_length(j);
    break;
  case JSON_ARRAY:
    v->type = EXPR_LIST;
    v->list = j;
    break;
  case JSON_OBJECT:
    v->list = j;
    break;
  case JSON_NULL:
    break;
  }
}

static const json_t *lookup(const struct node *n, const json_t *vars) {
  const json_t *cur = vars;
  for (size_t i = 0; i < n->count && cur; i++) cur = json_object_get(cur, n->names[i]);
  return cur;
}

static int values_equal(const struct expr_value *a, const struct expr_value *b);

/* Arrays equal element by element; nested arrays and objects by json_equal(). */
static int list_equal(const json_t *a, const json_t *b) {
  if (json_array_size(a) != json_array_size(b)) return 0;
  for (size_t i = 0; i < json_array_size(a); i++) {
    const json_t *x = json_array_get(a, i), *y = json_array_get(b, i);
    struct expr_value u, v;
    if (json_is_array(x) || json_is_object(x) || json_is_array(y) || json_is_object(y)) {
      if (!json_equal(x, y)) return 0;
      continue;
    }
    from_json(&u, x);
    from_json(&v, y);
    if (!values_equal(&u, &v)) return 0;
  }
  return 1;
}

/* FEEL "=": values of different types are not equal; null = null. */
static int values_equal(const struct expr_value *a, const struct expr_value *b) {
  if (a->type != b->type) return 0;
  switch (a->type) {
  case EXPR_NULL: return a->list && b->list ? json_equal(a->list, b->list) : a->list == b->list;
  case EXPR_BOOL: return !a->boolean == !b->boolean;
  case EXPR_NUMBER: return a->number == b->number;
  case EXPR_STRING: return a->length == b->length && memcmp(a->string, b->string, a->length) == 0;
  case EXPR_DATE: return a->date == b->date;
  case EXPR_LIST: return list_equal(a->list, b->list);
  }
  return 0;
}

static int orderable(enum expr_type t) { return t == EXPR_NUMBER || t == EXPR_STRING || t == EXPR_DATE; }

static enum want want_of(enum expr_type t) {
  return t == EXPR_NUMBER ? W_NUMBER : t == EXPR_STRING ? W_STRING : t == EXPR_DATE ? W_DATE : W_ORDERED;
}

/* -1, 0 or 1 for two values of the same orderable type. */
static int order(const struct expr_value *a, const struct expr_value *b) {
  if (a->type == EXPR_STRING) {
    size_t m = a->length < b->length ? a->length : b->length;
    int r = memcmp(a->string, b->string, m);
    if (r) return r < 0 ? -1 : 1;
    return (a->length > b->length) - (a->length < b->length);
  }
  if (a->type == EXPR_DATE) return (a->date > b->date) - (a->date < b->date);
  return (a->number > b->number) - (a->number < b->number);
}

static void blame_path(struct blame *b, const struct node *path, enum want want) {
  memset(b, 0, sizeof *b);
  b->path = path;
  b->want = want;
}

/* Blame for an operand of and/or/not that is not a boolean. */
static void blame_operand(struct blame *b, const struct blame *kb, const struct node *k,
                          const struct expr_value *v, const char *op) {
  if (k->kind == K_PATH) {
    blame_path(b, k, W_BOOL);
  } else if (v->type == EXPR_NULL) {
    if (kb->path || kb->op) *b = *kb;
  } else {
    memset(b, 0, sizeof *b);
    b->op = op;
    b->nops = 1;
    b->lt = v->type;
  }
}

/* Blame for an ordering comparison that gave null. */
static void blame_order(struct blame *b, const struct node *n, const struct expr_value *l, const struct blame *lb,
                        const struct expr_value *r, const struct blame *rb) {
  const struct node *a = n->kid, *c = a->next;
  int pa = a->kind == K_PATH, pc = c->kind == K_PATH;
  if (l->type == EXPR_NULL && (pa || lb->path || lb->op)) {
    if (pa) blame_path(b, a, orderable(r->type) ? want_of(r->type) : W_ORDERED);
    else *b = *lb;
  } else if (r->type == EXPR_NULL && (pc || rb->path || rb->op)) {
    if (pc) blame_path(b, c, orderable(l->type) ? want_of(l->type) : W_ORDERED);
    else *b = *rb;
  } else if (pa && orderable(r->type)) {
    blame_path(b, a, want_of(r->type));
  } else if (pc && orderable(l->type)) {
    blame_path(b, c, want_of(l->type));
  } else if (pa && !orderable(l->type)) {
    blame_path(b, a, W_ORDERED);
  } else if (pc && !orderable(r->type)) {
    blame_path(b, c, W_ORDERED);
  } else {
    memset(b, 0, sizeof *b);
    b->op = op_text[n->op];
    b->nops = 2;
    b->lt = l->type;
    b->rt = r->type;
  }
}

/* Evaluates `n` into *out; when the result is null, *b (zeroed by the
 * caller) may say why. */
static void eval(struct expr_value *out, const struct node *n, const struct ctx *c, struct blame *b) {
  struct expr_value l, r;
  struct blame lb, rb;
  const json_t *j;
  memset(out, 0, sizeof *out);
  memset(&lb, 0, sizeof lb);
  memset(&rb, 0, sizeof rb);
  switch (n->kind) {
  case K_LIT:
    *out = n->lit;
    break;
  case K_TODAY:
    out->type = EXPR_DATE;
    out->date = c->today;
    break;
  case K_PATH:
    from_json(out, lookup(n, c->vars));
    if (out->type == EXPR_NULL) blame_path(b, n, W_ANY);
    break;
  case K_COUNT:
    j = lookup(n->kid, c->vars);
    if (json_is_array(j)) {
      out->type = EXPR_NUMBER;
      out->number = (double)json_array_size(j);
    } else {
      blame_path(b, n->kid, W_LIST);
    }
    break;
  case K_CONTAINS:
    j = lookup(n->kid, c->vars);
    if (!json_is_array(j)) {
      blame_path(b, n->kid, W_LIST);
      break;
    }
    out->type = EXPR_BOOL;
    for (size_t i = 0; i < json_array_size(j) && !out->boolean; i++) {
      const json_t *x = json_array_get(j, i);
      if (json_is_array(x) || json_is_object(x)) continue;
      from_json(&l, x);
      out->boolean = values_equal(&l, &n->lit);
    }
    break;
  case K_IN:
    eval(&l, n->kid, c, &lb);
    out->type = EXPR_BOOL;
    for (size_t i = 0; i < n->count && !out->boolean; i++) out->boolean = values_equal(&l, &n->items[i]);
    break;
  case K_NOT:
    eval(&l, n->kid, c, &lb);
    if (l.type == EXPR_BOOL) {
      out->type = EXPR_BOOL;
      out->boolean = !l.boolean;
    } else {
      blame_operand(b, &lb, n->kid, &l, "not");
    }
    break;
  case K_AND:
  case K_OR: {
    int decisive = n->kind == K_OR, unknown = 0; /* or: one true decides; and: one false */
    for (const struct node *k = n->kid; k; k = k->next) {
      memset(&lb, 0, sizeof lb);
      eval(&l, k, c, &lb);
      if (l.type == EXPR_BOOL && !l.boolean == !decisive) {
        out->type = EXPR_BOOL;
        out->boolean = decisive;
        return;
      }
      if (l.type != EXPR_BOOL) {
        unknown = 1;
        if (!b->path && !b->op) blame_operand(b, &lb, k, &l, decisive ? "or" : "and");
      }
    }
    if (!unknown) {
      out->type = EXPR_BOOL;
      out->boolean = !decisive;
    }
    break;
  }
  case K_CMP:
    eval(&l, n->kid, c, &lb);
    eval(&r, n->kid->next, c, &rb);
    if (n->op == OP_EQ || n->op == OP_NE) {
      out->type = EXPR_BOOL;
      out->boolean = values_equal(&l, &r) == (n->op == OP_EQ);
    } else if (l.type == r.type && orderable(l.type)) {
      int o = order(&l, &r);
      out->type = EXPR_BOOL;
      out->boolean = n->op == OP_LT ? o < 0 : n->op == OP_LE ? o <= 0 : n->op == OP_GT ? o > 0 : o >= 0;
    } else {
      blame_order(b, n, &l, &lb, &r, &rb);
    }
    break;
  }
}

void expr_eval(struct expr_value *out, const struct expr *e, const json_t *vars, int64_t today) {
  struct ctx c = {vars, today};
  struct blame b;
  memset(&b, 0, sizeof b);
  eval(out, e->root, &c, &b);
  if (out->type == EXPR_NULL) out->list = NULL;
}

static const char *type_name(enum expr_type t) {
  static const char *const names[] = {"null", "un booléen", "un nombre", "une chaîne", "une date", "une liste"};
  return names[t];
}

static const char *json_kind(const json_t *j) {
  switch (json_typeof(j)) {
  case JSON_OBJECT: return "un objet";
  case JSON_ARRAY: return "une liste";
  case JSON_STRING: return "une chaîne";
  case JSON_INTEGER:
  case JSON_REAL: return "un nombre";
  case JSON_TRUE:
  case JSON_FALSE: return "un booléen";
  case JSON_NULL: break;
  }
  return "null";
}

/* "« a.b » est absente (null)", "« n » n'est pas un nombre (c'est une chaîne)"… */
static int describe_path(char *out, size_t size, const struct node *n, const json_t *vars, enum want want) {
  static const char *const wanted[] = {"", "un booléen", "un nombre", "une chaîne", "une date", "", "une liste"};
  const json_t *cur = vars;
  size_t prefix = 0;
  for (size_t i = 0; i < n->count; i++) {
    if (i > 0 && !json_is_object(cur))
      return snprintf(out, size, "« %s » est absente (null) : « %.*s » n'est pas un objet (c'est %s)", n->path,
                      (int)prefix, n->path, json_kind(cur));
    if (!(cur = json_object_get(cur, n->names[i]))) return snprintf(out, size, "« %s » est absente (null)", n->path);
    prefix += strlen(n->names[i]) + (i > 0);
  }
  const char *kind = json_kind(cur);
  if (json_is_null(cur)) return snprintf(out, size, "« %s » vaut null", n->path);
  if (want == W_ANY) return snprintf(out, size, "« %s » est %s, pas une valeur simple", n->path, kind);
  if (want == W_ORDERED)
    return snprintf(out, size, "« %s » n'est ni un nombre, ni une chaîne, ni une date (c'est %s)", n->path, kind);
  if (want == W_DATE && json_is_string(cur))
    return snprintf(out, size, "« %s » n'est pas une date (c'est une chaîne ; une date s'écrit date(\"AAAA-MM-JJ\"))",
                    n->path);
  return snprintf(out, size, "« %s » n'est pas %s (c'est %s)", n->path, wanted[want], kind);
}

static int describe(char *out, size_t size, const struct blame *b, const json_t *vars) {
  out[0] = 0;
  if (b->path) return describe_path(out, size, b->path, vars, b->want);
  if (b->op && b->nops == 2)
    return snprintf(out, size, "comparaison « %s » impossible entre %s et %s", b->op, type_name(b->lt),
                    type_name(b->rt));
  if (b->op) return snprintf(out, size, "opérande de « %s » non booléen (%s)", b->op, type_name(b->lt));
  return 0;
}

int expr_eval_condition(const struct expr *e, const json_t *vars, int64_t today, char *why, size_t size) {
  struct ctx c = {vars, today};
  struct expr_value v;
  struct blame b;
  char head[64], detail[320];
  memset(&b, 0, sizeof b);
  eval(&v, e->root, &c, &b);
  if (v.type == EXPR_BOOL) {
    if (why && size) why[0] = 0;
    return v.boolean ? 1 : 0;
  }
  if (!why || !size) return -1;
  if (e->root->kind == K_PATH) blame_path(&b, e->root, W_BOOL);
  utf8_fix(detail, sizeof detail, describe(detail, sizeof detail, &b, vars));
  if (v.type == EXPR_NULL && !v.list) snprintf(head, sizeof head, "résultat null");
  else if (e->root->kind == K_PATH) snprintf(head, sizeof head, "résultat non booléen");
  else snprintf(head, sizeof head, "résultat non booléen (%s)", type_name(v.type));
  int w = snprintf(why, size, "%s%s%s", head, detail[0] ? " : " : "", detail);
  utf8_fix(why, size, w);
  return -1;
}
