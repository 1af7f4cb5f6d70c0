/* template — Mustache templates rendered from a JSON view (see template.h).
 *
 * Parsing turns a template into a flat array of ops over one pool holding
 * the literal text, the names and the partials' indentation. A section op
 * knows the index of its closing op, so rendering is a walk over index
 * ranges with a context stack kept on the caller's stack: nothing in the
 * set is written after loading. */
#include "template.h"
#include "err.h"
#include <assert.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIZE_MAX_TEXT (16u << 20) /* bytes of one template */
#define NEST_MAX 64               /* sections open at once in one template */
#define STACK_MAX 256             /* contexts on the stack during a render */
#define INDENT_MAX 256            /* bytes of partial indentation kept */
#define SEG_MAX 64                /* segments of a dotted name */
#define EXT ".mustache"

enum op_kind { OP_TEXT, OP_VAR, OP_RAW, OP_SECTION, OP_INVERTED, OP_END, OP_PARTIAL };

/* One instruction. Offsets are into the template's pool. */
struct op {
  uint8_t kind;
  uint8_t bol;      /* begins a line of the template: a partial's indentation goes before it */
  uint8_t alone;    /* PARTIAL: standalone (its indentation applies to its lines) */
  uint16_t nseg;    /* VAR, RAW, SECTION, INVERTED: segments of the name, 0 for "." */
  uint32_t str;     /* TEXT: the bytes; names: "a\0b\0c\0"; PARTIAL: indentation then name\0 */
  uint32_t len;     /* TEXT: bytes; PARTIAL: bytes of indentation */
  uint32_t aux;     /* SECTION, INVERTED: index of the matching END; PARTIAL: hash of the name */
  uint32_t line, col; /* where the tag's "{{" is, for messages */
};

struct template {
  char *name;
  uint32_t hash; /* of name */
  struct op *ops;
  size_t n_ops;
  char *pool;
};

struct template_set {
  struct template *t;
  size_t n, cap;
};

/* FNV-1a of a NUL-terminated string. */
static uint32_t hash_of(const char *s) {
  uint32_t h = 2166136261u;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
  return h;
}

static void template_clear(struct template *t) {
  free(t->name);
  free(t->ops);
  free(t->pool);
  memset(t, 0, sizeof *t);
}

static const struct template *find(const struct template_set *ts, const char *name, uint32_t h) {
  for (size_t i = 0; i < ts->n; i++)
    if (ts->t[i].hash == h && strcmp(ts->t[i].name, name) == 0) return &ts->t[i];
  return NULL;
}

int template_set_new(struct template_set **out) {
  int rc = 0;
  *out = calloc(1, sizeof **out);
  if (!*out) rc = err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
  return rc;
}

void template_set_free(struct template_set *ts) {
  if (!ts) return;
  for (size_t i = 0; i < ts->n; i++) template_clear(&ts->t[i]);
  free(ts->t);
  free(ts);
}

/* ---- Parsing ---------------------------------------------------------- */

struct open_section {
  size_t op;            /* index of the SECTION or INVERTED op */
  const char *name;     /* its name in the source */
  size_t name_len;
  uint32_t line, col;
};

struct parser {
  const char *name, *src;
  size_t len;
  size_t at;            /* the position cursor: line and col of byte `at` */
  uint32_t line, col;
  struct buf pool;
  struct op *ops;
  size_t n_ops, cap_ops;
  int pending_bol;      /* a dropped comment began a line: the next op does */
  struct open_section open[NEST_MAX];
  int depth;
};

/* Moves the cursor to byte `pos` (never backwards); columns count
 * characters, not bytes. */
static void seek(struct parser *p, size_t pos) {
  assert(pos >= p->at);
  for (; p->at < pos; p->at++) {
    unsigned char c = (unsigned char)p->src[p->at];
    if (c == '\n') {
      p->line++;
      p->col = 1;
    } else if ((c & 0xc0) != 0x80) {
      p->col++;
    }
  }
}

/* Records a syntax error at line:col of the template; returns ERR_INVALID. */
__attribute__((format(printf, 4, 5))) static int syntax(const struct parser *p, uint32_t line, uint32_t col,
                                                        const char *fmt, ...) {
  char msg[384];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return err_set(ERR_INVALID, NULL, "gabarit « %s », ligne %u, colonne %u : %s", p->name, (unsigned)line,
                 (unsigned)col, msg);
}

/* Appends a zeroed op; *out points to it (valid until the next add_op). */
static int add_op(struct parser *p, struct op **out) {
  int rc = 0;
  if (p->n_ops == p->cap_ops) {
    size_t cap = p->cap_ops ? p->cap_ops * 2 : 32;
    struct op *ops = realloc(p->ops, cap * sizeof *ops);
    if (!ops) {
      rc = err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
      goto done;
    }
    p->ops = ops;
    p->cap_ops = cap;
  }
  *out = &p->ops[p->n_ops++];
  memset(*out, 0, sizeof **out);
  (*out)->line = p->line;
  (*out)->col = p->col;
done:
  return rc;
}

/* Adds the literal text src[from, to), merged into the previous op when
 * that is text too. */
static int add_text(struct parser *p, size_t from, size_t to) {
  int rc = 0;
  if (to <= from) goto done;
  struct op *last = p->n_ops ? &p->ops[p->n_ops - 1] : NULL;
  if (last && last->kind == OP_TEXT) {
    assert(last->str + last->len == p->pool.len);
    last->len += (uint32_t)(to - from);
  } else {
    struct op *op;
    rc = add_op(p, &op);
    if (rc) goto done;
    op->kind = OP_TEXT;
    op->bol = (uint8_t)(from == 0 || p->src[from - 1] == '\n' || p->pending_bol);
    op->str = (uint32_t)p->pool.len;
    op->len = (uint32_t)(to - from);
  }
  p->pending_bol = 0;
  rc = buf_append(&p->pool, p->src + from, to - from);
done:
  return rc;
}

/* Checks the name s[0, n) of a tag at line:col and stores it in the pool:
 * split at dots into NUL-terminated segments when `dotted` (*nseg their
 * count, 0 for "."), else whole. *str is its offset. */
static int add_name(struct parser *p, uint32_t *str, uint16_t *nseg, const char *s, size_t n, int dotted,
                    uint32_t line, uint32_t col) {
  int rc = 0;
  *str = (uint32_t)p->pool.len;
  *nseg = 0;
  if (n == 0) {
    rc = syntax(p, line, col, "nom vide");
    goto done;
  }
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c <= ' ' || c == '{' || c == '}' || c == 0x7f) {
      rc = syntax(p, line, col, "nom invalide « %.*s »", (int)n, s);
      goto done;
    }
  }
  if (!dotted) {
    rc = buf_append(&p->pool, s, n);
    if (!rc) rc = buf_append(&p->pool, "", 1);
    goto done;
  }
  if (n == 1 && s[0] == '.') goto done;
  size_t start = 0;
  for (size_t i = 0; i <= n; i++) {
    if (i < n && s[i] != '.') continue;
    if (i == start || *nseg == SEG_MAX) {
      rc = syntax(p, line, col, "nom invalide « %.*s »", (int)n, s);
      goto done;
    }
    rc = buf_append(&p->pool, s + start, i - start);
    if (!rc) rc = buf_append(&p->pool, "", 1);
    if (rc) goto done;
    (*nseg)++;
    start = i + 1;
  }
done:
  return rc;
}

/* Position of the first `close` (2 or 3 '}') at or after `from`, stopping
 * at a line end unless `multiline`; or (size_t)-1. */
static size_t find_close(const struct parser *p, size_t from, size_t close, int multiline) {
  for (size_t i = from; i + close <= p->len; i++) {
    if (p->src[i] == '\n' && !multiline) break;
    if (p->src[i] == '}' && p->src[i + 1] == '}' && (close == 2 || p->src[i + 2] == '}')) return i;
  }
  return (size_t)-1;
}

/* Parses the whole source into p->ops and p->pool. */
static int parse(struct parser *p) {
  int rc = 0;
  const char *src = p->src;
  size_t len = p->len, pos = 0, text = 0; /* text: start of the literal text not yet added */
  for (;;) {
    size_t ts = pos; /* the tag's "{{" */
    while (ts + 1 < len && !(src[ts] == '{' && src[ts + 1] == '{')) ts++;
    if (ts + 1 >= len) break;
    seek(p, ts);
    uint32_t line = p->line, col = p->col;
    size_t c = ts + 2, close_len = 2;
    int kind = OP_VAR, comment = 0;
    char sigil = c < len ? src[c] : 0;
    switch (sigil) {
    case '{': kind = OP_RAW; close_len = 3; c++; break;
    case '&': kind = OP_RAW; c++; break;
    case '#': kind = OP_SECTION; c++; break;
    case '^': kind = OP_INVERTED; c++; break;
    case '/': kind = OP_END; c++; break;
    case '>': kind = OP_PARTIAL; c++; break;
    case '!': comment = 1; c++; break;
    case '=':
      rc = syntax(p, line, col, "le changement de délimiteurs « {{= » n'est pas pris en charge");
      goto done;
    case '<':
    case '$':
      rc = syntax(p, line, col, "l'héritage de gabarits « {{%c » n'est pas pris en charge", sigil);
      goto done;
    default: break;
    }
    size_t ce = find_close(p, c, close_len, comment);
    if (ce == (size_t)-1) {
      if (comment)
        rc = syntax(p, line, col, "commentaire non terminé : « }} » attendu");
      else
        rc = syntax(p, line, col, "balise non terminée : « %s » attendu sur la même ligne",
                    close_len == 3 ? "}}}" : "}}");
      goto done;
    }
    size_t te = ce + close_len; /* just after the tag */
    const char *name = src + c;
    size_t name_len = ce - c;
    while (name_len && (*name == ' ' || *name == '\t')) name++, name_len--;
    while (name_len && (name[name_len - 1] == ' ' || name[name_len - 1] == '\t')) name_len--;

    /* Standalone: alone on its line but for spaces and tabs. */
    int alone = 0;
    size_t ls = ts, le = te;
    if (comment || (kind != OP_VAR && kind != OP_RAW)) {
      while (ls > text && (src[ls - 1] == ' ' || src[ls - 1] == '\t')) ls--;
      while (le < len && (src[le] == ' ' || src[le] == '\t')) le++;
      int line_start = ls == 0 || src[ls - 1] == '\n';
      if (line_start && le == len) {
        alone = 1;
      } else if (line_start && src[le] == '\n') {
        alone = 1;
        le++;
      } else if (line_start && src[le] == '\r' && le + 1 < len && src[le + 1] == '\n') {
        alone = 1;
        le += 2;
      }
    }
    rc = add_text(p, text, alone ? ls : ts);
    if (rc) goto done;
    uint8_t bol = (uint8_t)(!alone && (ts == 0 || src[ts - 1] == '\n' || p->pending_bol));
    struct op *op = NULL;
    if (comment) {
      if (bol) p->pending_bol = 1;
    } else if (kind == OP_VAR || kind == OP_RAW || kind == OP_SECTION || kind == OP_INVERTED) {
      uint32_t str;
      uint16_t nseg;
      rc = add_name(p, &str, &nseg, name, name_len, 1, line, col);
      if (rc) goto done;
      if ((kind == OP_SECTION || kind == OP_INVERTED) && p->depth == NEST_MAX) {
        rc = syntax(p, line, col, "plus de %d sections imbriquées", NEST_MAX);
        goto done;
      }
      rc = add_op(p, &op);
      if (rc) goto done;
      op->kind = (uint8_t)kind;
      op->str = str;
      op->nseg = nseg;
      if (kind == OP_SECTION || kind == OP_INVERTED)
        p->open[p->depth++] = (struct open_section){p->n_ops - 1, name, name_len, line, col};
    } else if (kind == OP_END) {
      if (name_len == 0) {
        rc = syntax(p, line, col, "nom vide");
        goto done;
      }
      if (p->depth == 0) {
        rc = syntax(p, line, col, "« {{/%.*s}} » ferme une section qui n'est pas ouverte", (int)name_len, name);
        goto done;
      }
      const struct open_section *o = &p->open[p->depth - 1];
      if (o->name_len != name_len || memcmp(o->name, name, name_len) != 0) {
        rc = syntax(p, line, col, "« {{/%.*s}} » ne ferme pas la section « %.*s » ouverte ligne %u, colonne %u",
                    (int)name_len, name, (int)o->name_len, o->name, (unsigned)o->line, (unsigned)o->col);
        goto done;
      }
      p->depth--;
      rc = add_op(p, &op);
      if (rc) goto done;
      op->kind = OP_END;
      p->ops[o->op].aux = (uint32_t)(p->n_ops - 1);
    } else { /* OP_PARTIAL */
      uint32_t ind = (uint32_t)p->pool.len, str;
      uint16_t nseg;
      if (alone) rc = buf_append(&p->pool, src + ls, ts - ls);
      if (!rc) rc = add_name(p, &str, &nseg, name, name_len, 0, line, col);
      if (rc) goto done;
      rc = add_op(p, &op);
      if (rc) goto done;
      op->kind = OP_PARTIAL;
      op->alone = (uint8_t)alone;
      op->str = ind;
      op->len = str - ind;
      op->aux = hash_of(p->pool.data + str);
    }
    if (op) {
      op->bol = bol;
      op->line = line;
      op->col = col;
      p->pending_bol = 0;
    }
    text = alone ? le : te;
    pos = text;
  }
  rc = add_text(p, text, len);
  if (rc) goto done;
  if (p->depth) {
    const struct open_section *o = &p->open[p->depth - 1];
    rc = syntax(p, o->line, o->col, "section « %.*s » non fermée", (int)o->name_len, o->name);
    goto done;
  }
done:
  return rc;
}

int template_add(struct template_set *ts, const char *name, const char *text, size_t len) {
  int rc = 0;
  struct parser p = {.name = name, .src = text, .len = len, .line = 1, .col = 1, .pool = BUF_INIT};
  struct template t = {0};
  assert(ts && name && (text || len == 0));
  if (!name[0]) {
    rc = err_set(ERR_INVALID, NULL, "nom de gabarit vide");
    goto done;
  }
  if (len > SIZE_MAX_TEXT) {
    rc = err_set(ERR_TOOLARGE, NULL, "gabarit « %s » trop grand (%zu octets, %u au plus)", name, len,
                 SIZE_MAX_TEXT);
    goto done;
  }
  t.hash = hash_of(name);
  if (find(ts, name, t.hash)) {
    rc = err_set(ERR_CONFLICT, NULL, "gabarit « %s » déjà défini", name);
    goto done;
  }
  if (len) {
    rc = parse(&p);
    if (rc) goto done;
  }
  if (ts->n == ts->cap) {
    size_t cap = ts->cap ? ts->cap * 2 : 16;
    struct template *a = realloc(ts->t, cap * sizeof *a);
    if (!a) {
      rc = err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
      goto done;
    }
    ts->t = a;
    ts->cap = cap;
  }
  t.name = strdup(name);
  if (!t.name) {
    rc = err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
    goto done;
  }
  if (p.n_ops && p.n_ops < p.cap_ops) { /* compact: keep only what is used */
    struct op *ops = realloc(p.ops, p.n_ops * sizeof *ops);
    if (ops) p.ops = ops;
  }
  t.ops = p.ops;
  t.n_ops = p.n_ops;
  t.pool = p.pool.data;
  p.ops = NULL;
  p.pool.data = NULL;
  ts->t[ts->n++] = t;
  memset(&t, 0, sizeof t);
done:
  free(p.ops);
  buf_free(&p.pool);
  template_clear(&t);
  return rc;
}

int template_add_files(struct template_set *ts, const struct embed_file *files, size_t n) {
  int rc = 0;
  char *base = NULL;
  const size_t ext = strlen(EXT);
  for (size_t i = 0; i < n && rc == 0; i++) {
    size_t len = strlen(files[i].name);
    if (len <= ext || strcmp(files[i].name + len - ext, EXT) != 0) continue;
    base = strndup(files[i].name, len - ext);
    if (!base) {
      rc = err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
      goto done;
    }
    rc = template_add(ts, base, files[i].data, files[i].size);
    free(base);
    base = NULL;
  }
done:
  free(base);
  return rc;
}

/* ---- Rendering -------------------------------------------------------- */

struct render {
  struct buf *out;
  const struct template_set *ts;
  int depth;    /* contexts on the stack */
  int partials; /* partials being rendered */
  const json_t *stack[STACK_MAX];
};

/* Replacement of each byte that HTML escaping changes: index into
 * `entities`, 0 for bytes kept as they are. */
static const uint8_t escaped[256] = {['&'] = 1, ['<'] = 2, ['>'] = 3, ['"'] = 4, ['\''] = 5, ['`'] = 6, ['='] = 7};
static const struct {
  const char *text;
  size_t len;
} entities[] = {{"", 0},     {"&amp;", 5}, {"&lt;", 4},  {"&gt;", 4},
                {"&quot;", 6}, {"&#39;", 5}, {"&#96;", 5}, {"&#61;", 5}};

static int put_escaped(struct buf *out, const char *s, size_t n) {
  int rc = 0;
  size_t run = 0; /* start of the bytes not yet appended */
  for (size_t i = 0; i < n && rc == 0; i++) {
    uint8_t e = escaped[(unsigned char)s[i]];
    if (!e) continue;
    rc = buf_append(out, s + run, i - run);
    if (!rc) rc = buf_append(out, entities[e].text, entities[e].len);
    run = i + 1;
  }
  if (!rc) rc = buf_append(out, s + run, n - run);
  return rc;
}

/* Writes the shortest %g form of `d` that reads back as `d`, with a dot
 * whatever the locale. */
static void format_real(char *s, size_t size, double d) {
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(s, size, "%.*g", prec, d);
    if (strtod(s, NULL) == d) break;
  }
  for (char *c = s; *c; c++)
    if (*c == ',') *c = '.';
}

/* Appends value `v` (NULL: missing), escaped for HTML when `escape`. */
static int put_value(struct buf *out, const json_t *v, int escape) {
  int rc = 0;
  char num[40];
  if (!v) goto done;
  switch (json_typeof(v)) {
  case JSON_STRING:
    if (escape)
      rc = put_escaped(out, json_string_value(v), json_string_length(v));
    else
      rc = buf_append(out, json_string_value(v), json_string_length(v));
    break;
  case JSON_INTEGER:
    snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    rc = buf_puts(out, num);
    break;
  case JSON_REAL:
    format_real(num, sizeof num, json_real_value(v));
    rc = buf_puts(out, num);
    break;
  case JSON_TRUE: rc = buf_puts(out, "true"); break;
  case JSON_FALSE: rc = buf_puts(out, "false"); break;
  default: break; /* null, arrays and objects render as nothing */
  }
done:
  return rc;
}

/* Appends TEXT op bytes with `ind` after every line end followed by more
 * bytes of the op. */
static int put_indented(struct buf *out, const char *s, size_t n, const char *ind, size_t ind_len) {
  int rc = 0;
  const char *end = s + n, *nl;
  while (rc == 0 && (nl = memchr(s, '\n', (size_t)(end - s))) && nl + 1 < end) {
    rc = buf_append(out, s, (size_t)(nl + 1 - s));
    if (!rc) rc = buf_append(out, ind, ind_len);
    s = nl + 1;
  }
  if (!rc) rc = buf_append(out, s, (size_t)(end - s));
  return rc;
}

/* The value named by op in the current contexts, or NULL. */
static const json_t *lookup(const struct render *r, const struct template *t, const struct op *op) {
  if (op->nseg == 0) return r->depth ? r->stack[r->depth - 1] : NULL;
  const char *seg = t->pool + op->str;
  const json_t *v = NULL;
  for (int d = r->depth - 1; d >= 0 && !v; d--)
    if (json_is_object(r->stack[d])) v = json_object_get(r->stack[d], seg);
  for (unsigned k = 1; k < op->nseg && v; k++) {
    seg += strlen(seg) + 1;
    v = json_is_object(v) ? json_object_get(v, seg) : NULL;
  }
  return v;
}

static int truthy(const json_t *v) {
  if (!v || json_is_false(v) || json_is_null(v)) return 0;
  if (json_is_array(v)) return json_array_size(v) > 0;
  if (json_is_string(v)) return json_string_length(v) > 0;
  return 1;
}

static int run(struct render *r, const struct template *t, size_t from, size_t to, const char *ind,
               size_t ind_len);

/* Renders the body of section op `i` with `v` pushed on the stack. */
static int run_with(struct render *r, const struct template *t, size_t i, const json_t *v, const char *ind,
                    size_t ind_len) {
  int rc = 0;
  const struct op *op = &t->ops[i];
  if (r->depth == STACK_MAX) {
    rc = err_set(ERR_INVALID, NULL, "gabarit « %s », ligne %u, colonne %u : plus de %d contextes imbriqués",
                 t->name, (unsigned)op->line, (unsigned)op->col, STACK_MAX);
    goto done;
  }
  r->stack[r->depth++] = v;
  rc = run(r, t, i + 1, (size_t)op->aux + 1, ind, ind_len);
  r->depth--;
done:
  return rc;
}

static int section(struct render *r, const struct template *t, size_t i, const char *ind, size_t ind_len) {
  int rc = 0;
  const json_t *v = lookup(r, t, &t->ops[i]);
  if (json_is_array(v)) {
    for (size_t k = 0; k < json_array_size(v) && rc == 0; k++)
      rc = run_with(r, t, i, json_array_get(v, k), ind, ind_len);
  } else if (truthy(v)) {
    rc = run_with(r, t, i, v, ind, ind_len);
  }
  return rc;
}

/* Renders partial op `op` of `t`; kept out of run() so that its
 * indentation buffer is on the stack only for partials. */
__attribute__((noinline)) static int partial(struct render *r, const struct template *t, const struct op *op,
                                             const char *ind, size_t ind_len) {
  int rc = 0;
  char own[INDENT_MAX];
  size_t own_len = 0;
  const char *name = t->pool + op->str + op->len;
  const struct template *p = find(r->ts, name, op->aux);
  if (!p) {
    rc = err_set(ERR_INVALID, NULL, "gabarit « %s », ligne %u, colonne %u : partiel « %s » inconnu", t->name,
                 (unsigned)op->line, (unsigned)op->col, name);
    goto done;
  }
  if (r->partials == TEMPLATE_PARTIAL_DEPTH) {
    rc = err_set(ERR_INVALID, NULL,
                 "gabarit « %s », ligne %u, colonne %u : partiel « %s » imbriqué à plus de %d niveaux", t->name,
                 (unsigned)op->line, (unsigned)op->col, name, TEMPLATE_PARTIAL_DEPTH);
    goto done;
  }
  if (op->alone) { /* the outer indentation, then this tag's, truncated */
    own_len = ind_len < INDENT_MAX ? ind_len : INDENT_MAX;
    if (own_len) memcpy(own, ind, own_len);
    size_t more = op->len < INDENT_MAX - own_len ? op->len : INDENT_MAX - own_len;
    if (more) memcpy(own + own_len, t->pool + op->str, more);
    own_len += more;
  }
  r->partials++;
  rc = run(r, p, 0, p->n_ops, own, own_len);
  r->partials--;
done:
  return rc;
}

/* Renders ops [from, to) of `t`, `ind` (ind_len bytes) before each line. */
static int run(struct render *r, const struct template *t, size_t from, size_t to, const char *ind,
               size_t ind_len) {
  int rc = 0;
  for (size_t i = from; i < to && rc == 0; i++) {
    const struct op *op = &t->ops[i];
    if (ind_len && op->bol) {
      rc = buf_append(r->out, ind, ind_len);
      if (rc) break;
    }
    switch (op->kind) {
    case OP_TEXT:
      if (ind_len)
        rc = put_indented(r->out, t->pool + op->str, op->len, ind, ind_len);
      else
        rc = buf_append(r->out, t->pool + op->str, op->len);
      break;
    case OP_VAR: rc = put_value(r->out, lookup(r, t, op), 1); break;
    case OP_RAW: rc = put_value(r->out, lookup(r, t, op), 0); break;
    case OP_SECTION:
      rc = section(r, t, i, ind, ind_len);
      i = op->aux;
      break;
    case OP_INVERTED:
      if (!truthy(lookup(r, t, op))) rc = run(r, t, i + 1, (size_t)op->aux + 1, ind, ind_len);
      i = op->aux;
      break;
    case OP_PARTIAL: rc = partial(r, t, op, ind, ind_len); break;
    default: break; /* OP_END: only its indentation */
    }
  }
  return rc;
}

int template_render(struct buf *out, const struct template_set *ts, const char *name, const json_t *view) {
  int rc = 0;
  size_t saved = out->len;
  struct render r = {.out = out, .ts = ts};
  const struct template *t = find(ts, name, hash_of(name));
  if (!t) {
    rc = err_set(ERR_NOTFOUND, NULL, "gabarit « %s » inconnu", name);
    goto done;
  }
  if (view) r.stack[r.depth++] = view;
  rc = run(&r, t, 0, t->n_ops, "", 0);
done:
  if (rc) {
    out->len = saved;
    if (out->data) out->data[saved] = 0;
  }
  return rc;
}
