/* match — gates, scores and explanations of offers for a request (see
 * match.h). */
#include "match.h"
#include "clock.h"
#include "db.h"
#include "err.h"
#include "expr.h"
#include "request.h"
#include "rule.h"
#include "user.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_THEMES 32
#define MAX_LIMIT 200
#define LISTED_EXCLUSIONS 50
#define FTS_TERMS 8   /* words searched per index */
#define FTS_WORDS 48  /* words read from a request */

enum { P_EVERYWHERE, P_COMMUNE, P_EPCI, P_DEPARTEMENT, P_ADHOC };
enum { A_COMMUNE = 1, A_EPCI = 2, A_SYNDICAT = 4, A_SERVICE = 8 };
/* Why an offer is left out: the five gates, then "unrelated" for an
 * eligible offer that shares no theme and no word with the request. */
enum gate { G_OK, G_PERIMETER, G_AUDIENCE, G_MEMBERSHIP, G_ELIGIBILITY, G_RULE, G_UNRELATED, G_COUNT };
static const char *const gate_names[] = {"", "perimeter", "audience", "membership", "eligibility", "rule", "unrelated"};

/* One active offer as matching needs it. */
struct moffer {
  int64_t id, org, perimeter;
  char *slug, *title, *kind, *org_slug, *org_name, *pref, *pname, *pepci, *elig_text;
  int capacity, pkind, requires_membership;
  unsigned themes, audience;
  struct expr *elig; /* NULL when none or unparsable (elig_text set) */
};

/* The document frequency of every word of a text index, sorted by word. */
struct vocab {
  int n;
  char **terms;
  int64_t *df;
  int64_t total;     /* documents of the index */
  int64_t version;   /* profile_version when loaded (profiles only) */
};

/* The per-connection copy of the catalogue (db slot DB_SLOT_MATCH). */
struct mcache {
  int64_t version;
  int n;
  struct moffer *o;
  int n_themes;
  char codes[MAX_THEMES][40], labels[MAX_THEMES][64];
  int64_t rules_id;
  struct rule_set *rules;
  struct vocab offers, profiles; /* reloaded with the catalogue; profiles when profile_version moves */
};

static void vocab_free(struct vocab *v) {
  for (int i = 0; i < v->n; i++) free(v->terms[i]);
  free(v->terms);
  free(v->df);
  memset(v, 0, sizeof *v);
}

/* Loads the vocabulary read by `sql` (term, doc ordered by term) and the
 * document count read by `count_sql`. */
static int vocab_load(struct vocab *v, struct db *db, const char *sql, const char *count_sql, int64_t version) {
  vocab_free(v);
  sqlite3_stmt *st;
  int rc = db_prepare(&st, db, count_sql), s, cap = 0;
  if (rc) return rc;
  if (sqlite3_step(st) == SQLITE_ROW) v->total = sqlite3_column_int64(st, 0);
  db_done(st);
  if ((rc = db_prepare(&st, db, sql))) return rc;
  while ((s = sqlite3_step(st)) == SQLITE_ROW) {
    if (v->n == cap) {
      cap = cap ? cap * 2 : 1024;
      char **t = realloc(v->terms, (size_t)cap * sizeof *t);
      if (t) v->terms = t;
      int64_t *d = t ? realloc(v->df, (size_t)cap * sizeof *d) : NULL;
      if (d) v->df = d;
      if (!t || !d) {
        s = SQLITE_NOMEM;
        break;
      }
    }
    if (!(v->terms[v->n] = db_col_strdup(st, 0))) {
      s = SQLITE_NOMEM;
      break;
    }
    v->df[v->n++] = sqlite3_column_int64(st, 1);
  }
  db_done(st);
  if (s != SQLITE_DONE) {
    vocab_free(v);
    return s == SQLITE_NOMEM ? err_set(ERR_NOMEM, NULL, "mémoire insuffisante") : db_fail(db, s, "vocabulaire");
  }
  v->version = version;
  return 0;
}

static int by_term(const void *key, const void *elem) { return strcmp(key, *(char *const *)elem); }

/* Documents of `v` holding `term` (0 when none). */
static int64_t vocab_df(const struct vocab *v, const char *term) {
  char *const *hit = v->n ? bsearch(term, v->terms, (size_t)v->n, sizeof *v->terms, by_term) : NULL;
  return hit ? v->df[hit - v->terms] : 0;
}

static void cache_clear(struct mcache *c) {
  for (int i = 0; i < c->n; i++) {
    struct moffer *o = &c->o[i];
    free(o->slug), free(o->title), free(o->kind), free(o->org_slug), free(o->org_name);
    free(o->pref), free(o->pname), free(o->pepci), free(o->elig_text);
    expr_free(o->elig);
  }
  free(c->o);
  c->o = NULL;
  c->n = 0;
}

static void cache_free(void *p) {
  struct mcache *c = p;
  if (!c) return;
  cache_clear(c);
  vocab_free(&c->offers);
  vocab_free(&c->profiles);
  rule_set_free(c->rules);
  free(c);
}

static int theme_bit(const struct mcache *c, const char *code) {
  for (int i = 0; i < c->n_themes; i++)
    if (!strcmp(c->codes[i], code)) return i;
  return -1;
}

static unsigned audience_bit(const char *kind) {
  if (!strcmp(kind, "commune")) return A_COMMUNE;
  if (!strcmp(kind, "epci")) return A_EPCI;
  if (!strcmp(kind, "syndicat")) return A_SYNDICAT;
  if (!strcmp(kind, "service")) return A_SERVICE;
  return 0;
}

/* Bits of the comma-separated list `s` (themes or audience kinds). */
static unsigned list_bits(const struct mcache *c, const char *s, int themes) {
  unsigned bits = 0;
  char word[64];
  while (s && *s) {
    size_t n = strcspn(s, ",");
    snprintf(word, sizeof word, "%.*s", (int)(n < sizeof word ? n : sizeof word - 1), s);
    if (themes) {
      int b = theme_bit(c, word);
      if (b >= 0) bits |= 1u << b;
    } else {
      bits |= audience_bit(word);
    }
    s += n + (s[n] == ',');
  }
  return bits;
}

/* (Re)loads the catalogue when its version moved. */
static int cache_get(struct mcache **out, struct db *db) {
  struct mcache *c = db_slot(db, DB_SLOT_MATCH);
  int64_t version = 0;
  sqlite3_stmt *st;
  int rc = db_prepare(&st, db, "SELECT version FROM catalog_version WHERE id = 1");
  if (rc) return rc;
  if (sqlite3_step(st) == SQLITE_ROW) version = sqlite3_column_int64(st, 0);
  db_done(st);
  if (c && c->version == version) {
    *out = c;
    return 0;
  }
  if (!c) {
    if (!(c = calloc(1, sizeof *c))) return err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
    db_slot_set(db, DB_SLOT_MATCH, c, cache_free);
  }
  cache_clear(c);
  c->version = -1;
  c->n_themes = 0;
  if ((rc = db_prepare(&st, db, "SELECT code, label FROM theme ORDER BY position, code"))) return rc;
  while (sqlite3_step(st) == SQLITE_ROW && c->n_themes < MAX_THEMES) {
    snprintf(c->codes[c->n_themes], sizeof c->codes[0], "%s", db_col_text(st, 0));
    snprintf(c->labels[c->n_themes], sizeof c->labels[0], "%s", db_col_text(st, 1));
    c->n_themes++;
  }
  db_done(st);
  int64_t count = 0;
  if ((rc = db_prepare(&st, db, "SELECT count(*) FROM offer WHERE active = 1"))) return rc;
  if (sqlite3_step(st) == SQLITE_ROW) count = sqlite3_column_int64(st, 0);
  db_done(st);
  if (count && !(c->o = calloc((size_t)count, sizeof *c->o))) return err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
  if ((rc = db_prepare(&st, db,
                       "SELECT f.id, f.slug, f.title, f.kind, f.org, g.slug, g.name, g.capacity, p.kind, p.ref, p.name, "
                       "p.id, (SELECT x.epci FROM collectivity x WHERE p.kind = 'commune' AND x.code = p.ref), "
                       "f.eligibility, f.requires_membership, "
                       "(SELECT group_concat(theme) FROM offer_theme WHERE offer = f.id), "
                       "(SELECT group_concat(kind) FROM offer_audience WHERE offer = f.id) "
                       "FROM offer f JOIN org g ON g.id = f.org LEFT JOIN perimeter p ON p.id = f.perimeter "
                       "WHERE f.active = 1 ORDER BY f.id")))
    return rc;
  int s;
  while ((s = sqlite3_step(st)) == SQLITE_ROW && c->n < count) {
    struct moffer *o = &c->o[c->n++];
    o->id = sqlite3_column_int64(st, 0);
    o->slug = db_col_strdup(st, 1);
    o->title = db_col_strdup(st, 2);
    o->kind = db_col_strdup(st, 3);
    o->org = sqlite3_column_int64(st, 4);
    o->org_slug = db_col_strdup(st, 5);
    o->org_name = db_col_strdup(st, 6);
    o->capacity = sqlite3_column_int(st, 7);
    const char *pk = db_col_text(st, 8);
    o->pkind = !pk ? P_EVERYWHERE
               : !strcmp(pk, "commune") ? P_COMMUNE
               : !strcmp(pk, "epci") ? P_EPCI
               : !strcmp(pk, "departement") ? P_DEPARTEMENT
                                             : P_ADHOC;
    o->pref = db_col_strdup(st, 9);
    o->pname = db_col_strdup(st, 10);
    o->perimeter = sqlite3_column_int64(st, 11);
    o->pepci = db_col_strdup(st, 12);
    o->elig_text = db_col_strdup(st, 13);
    o->requires_membership = sqlite3_column_int(st, 14);
    o->themes = list_bits(c, db_col_text(st, 15), 1);
    o->audience = db_col_text(st, 16) ? list_bits(c, db_col_text(st, 16), 0) : (A_COMMUNE | A_EPCI);
    if (o->elig_text && *o->elig_text && expr_parse(&o->elig, o->elig_text, NULL)) o->elig = NULL;
    if (!o->slug || !o->title || !o->kind || !o->org_slug || !o->org_name) {
      s = SQLITE_NOMEM;
      break;
    }
  }
  db_done(st);
  err_clear();
  if (s != SQLITE_DONE && s != SQLITE_ROW) return db_fail(db, s, "lecture du catalogue");
  /* The words of the offers (the vocabulary is sorted by term as strcmp does:
   * SQLite's BINARY collation over UTF-8 bytes). */
  if ((rc = vocab_load(&c->offers, db, "SELECT term, doc FROM offer_vocab ORDER BY term COLLATE BINARY",
                       "SELECT count(*) FROM offer", 0)))
    return rc;
  c->version = version;
  *out = c;
  return 0;
}

/* The collectivity asking, and what the gates need to know about it. */
struct who {
  char code[16], kind[16], name[256], departement[8], epci[16];
  int64_t population; /* < 0 when unknown */
  int n_adhoc;
  int64_t adhoc[256];     /* ad-hoc perimeters containing it (or one of its communes) */
  int n_deps;
  char deps[16][8];       /* départements of an EPCI's communes */
  int n_member;
  int64_t member[64];     /* orgs it adheres to (itself or through its EPCI) */
  char member_via[64][8]; /* "" or "epci" */
  json_t *member_of;      /* slugs, for expressions */
  json_t *vars;           /* variables of eligibility expressions */
};

static int who_load(struct who *w, struct db *db, const char *code, int64_t now) {
  memset(w, 0, sizeof *w);
  sqlite3_stmt *st;
  int rc = db_prepare(&st, db, "SELECT code, kind, name, coalesce(population, -1), coalesce(departement, ''), "
                               "coalesce(epci, '') FROM collectivity WHERE code = ?");
  if (rc) return rc;
  db_bind_text(st, 1, code);
  int s = sqlite3_step(st);
  if (s == SQLITE_ROW) {
    snprintf(w->code, sizeof w->code, "%s", db_col_text(st, 0));
    snprintf(w->kind, sizeof w->kind, "%s", db_col_text(st, 1));
    snprintf(w->name, sizeof w->name, "%s", db_col_text(st, 2));
    w->population = sqlite3_column_int64(st, 3);
    snprintf(w->departement, sizeof w->departement, "%s", db_col_text(st, 4));
    snprintf(w->epci, sizeof w->epci, "%s", db_col_text(st, 5));
  }
  db_done(st);
  if (s != SQLITE_ROW)
    return s == SQLITE_DONE ? err_set(ERR_NOTFOUND, "collectivity", "collectivité inconnue : « %s »", code ? code : "")
                            : db_fail(db, s, "lecture de la collectivité");
  /* An EPCI lies in every département one of its communes is in. */
  if ((rc = db_prepare(&st, db, "SELECT DISTINCT departement FROM collectivity WHERE epci = ? AND departement IS NOT NULL")))
    return rc;
  db_bind_text(st, 1, w->code);
  while (sqlite3_step(st) == SQLITE_ROW && w->n_deps < 16)
    snprintf(w->deps[w->n_deps++], sizeof w->deps[0], "%s", db_col_text(st, 0));
  db_done(st);
  /* Ad-hoc perimeters: the commune's, or those of an EPCI's communes. */
  if ((rc = db_prepare(&st, db, "SELECT DISTINCT m.perimeter FROM perimeter_member m WHERE m.commune = ?1 "
                                "UNION SELECT DISTINCT m.perimeter FROM collectivity x JOIN perimeter_member m "
                                "ON m.commune = x.code WHERE x.epci = ?1")))
    return rc;
  db_bind_text(st, 1, w->code);
  while (sqlite3_step(st) == SQLITE_ROW && w->n_adhoc < 256) w->adhoc[w->n_adhoc++] = sqlite3_column_int64(st, 0);
  db_done(st);
  /* Memberships in force today, its own then its EPCI's. */
  struct civil cv;
  clock_paris(now, &cv);
  char today[16];
  snprintf(today, sizeof today, "%04d-%02d-%02d", cv.year, cv.month, cv.day);
  if ((rc = db_prepare(&st, db, "SELECT g.id, g.slug, m.collectivity <> ?1 FROM membership m JOIN org g ON g.id = m.org "
                                "WHERE m.collectivity IN (?1, ?2) AND m.start_date <= ?3 "
                                "AND (m.end_date IS NULL OR m.end_date >= ?3) ORDER BY m.collectivity <> ?1, g.id")))
    return rc;
  db_bind_text(st, 1, w->code);
  db_bind_text(st, 2, w->epci);
  db_bind_text(st, 3, today);
  w->member_of = json_array();
  while (sqlite3_step(st) == SQLITE_ROW && w->n_member < 64) {
    int64_t org = sqlite3_column_int64(st, 0);
    int dup = 0;
    for (int i = 0; i < w->n_member; i++) dup |= w->member[i] == org;
    if (dup) continue;
    snprintf(w->member_via[w->n_member], sizeof w->member_via[0], "%s", sqlite3_column_int(st, 2) ? "epci" : "");
    w->member[w->n_member++] = org;
    json_array_append_new(w->member_of, json_string(db_col_text(st, 1)));
  }
  db_done(st);
  w->vars = json_pack("{s:s, s:s, s:s, s:O}", "code", w->code, "kind", w->kind, "name", w->name, "member_of",
                      w->member_of);
  json_object_set_new(w->vars, "population", w->population >= 0 ? json_integer(w->population) : json_null());
  json_object_set_new(w->vars, "departement", *w->departement ? json_string(w->departement) : json_null());
  json_object_set_new(w->vars, "epci", *w->epci ? json_string(w->epci) : json_null());
  return 0;
}

static void who_free(struct who *w) {
  json_decref(w->member_of);
  json_decref(w->vars);
}

int match_check_eligibility(const char *text) {
  struct expr *e = NULL;
  struct expr_error xe;
  if (expr_parse(&e, text, &xe))
    return err_set(ERR_INVALID, "eligibility", "règle d'éligibilité, colonne %d : %s", xe.column, xe.message);
  /* Over a collectivity whose every variable is set, a variable that is
   * still absent is one the gates do not provide: a typo. */
  json_t *vars = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:[s]}", "code", "31001", "kind", "commune", "name",
                           "Exemple", "population", 1000, "departement", "31", "epci", "243100000", "member_of",
                           "exemple");
  char why[256];
  int rc = 0;
  if (expr_eval_condition(e, vars, 20000, why, sizeof why) < 0 && strstr(why, "est absente"))
    rc = err_set(ERR_INVALID, "eligibility",
                 "règle d'éligibilité : %s ; les variables sont population, kind, code, name, epci, departement et "
                 "member_of (liste : list contains(member_of, \"atd31\"))",
                 why);
  /* member_of is a list: compared with = it is never equal to a slug. */
  for (const char *p = strstr(text, "member_of"); !rc && p; p = strstr(p + 9, "member_of")) {
    const char *q = p;
    while (q > text && q[-1] == ' ') q--;
    int in_list = (q - text >= 14 && !strncmp(q - 14, "list contains(", 14)) || (q - text >= 6 && !strncmp(q - 6, "count(", 6));
    if (!in_list)
      rc = err_set(ERR_INVALID, "eligibility", "règle d'éligibilité, colonne %d : member_of est une liste, écrivez "
                                               "list contains(member_of, \"atd31\")",
                   (int)(p - text) + 1);
  }
  json_decref(vars);
  expr_free(e);
  return rc;
}

/* Index of org `org` among the memberships, or -1. */
static int member_index(const struct who *w, int64_t org) {
  for (int i = 0; i < w->n_member; i++)
    if (w->member[i] == org) return i;
  return -1;
}

static int in_perimeter(const struct moffer *o, const struct who *w) {
  int epci = !strcmp(w->kind, "epci");
  switch (o->pkind) {
  case P_EVERYWHERE: return 1;
  case P_COMMUNE: return epci ? o->pepci && !strcmp(o->pepci, w->code) : !strcmp(o->pref, w->code);
  case P_EPCI: return epci ? !strcmp(o->pref, w->code) : !strcmp(o->pref, w->epci);
  case P_DEPARTEMENT:
    for (int i = 0; i < w->n_deps; i++)
      if (!strcmp(o->pref, w->deps[i])) return 1;
    return !strcmp(o->pref, w->departement);
  default:
    for (int i = 0; i < w->n_adhoc; i++)
      if (w->adhoc[i] == o->perimeter) return 1;
    return 0;
  }
}

static const char *kind_label(const char *kind) {
  if (!strcmp(kind, "commune")) return "Commune";
  if (!strcmp(kind, "epci")) return "EPCI";
  if (!strcmp(kind, "syndicat")) return "Syndicat";
  return "Service";
}

static void audience_text(char *out, size_t size, unsigned bits) {
  static const char *const names[] = {"communes", "EPCI", "syndicats", "services"};
  out[0] = 0;
  for (int i = 0; i < 4; i++)
    if (bits & (1u << i)) snprintf(out + strlen(out), size - strlen(out), "%s%s", *out ? ", " : "", names[i]);
}

static int isalnum_ascii(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The words of a text as the indexes hold them. */
struct words {
  int n;
  char w[FTS_WORDS][48];
};

/* Appends the byte `c` of a word lower-cased, or the base letter of a
 * Latin-1 accented letter (C3 xx in UTF-8), as the tokenizer of the indexes
 * (unicode61, remove_diacritics 2) does; other bytes are kept. */
static size_t fold(char *out, size_t n, const unsigned char *p, size_t *used) {
  static const char latin1[] = "aaaaaaaceeeeiiiidnooooo*ouuuuyts" /* C3 80..9F (upper) */
                               "aaaaaaaceeeeiiiidnooooo/ouuuuyty"; /* C3 A0..BF (lower) */
  if (p[0] == 0xC3 && p[1] >= 0x80 && p[1] <= 0xBF) {
    out[n] = latin1[p[1] - 0x80];
    *used = 2;
    return n + 1;
  }
  out[n] = (char)(p[0] >= 'A' && p[0] <= 'Z' ? p[0] + 32 : p[0]);
  *used = 1;
  return n + 1;
}

static int in_word(const unsigned char *p) {
  return isalnum_ascii(*p) ||
         (*p >= 0x80 && !(p[0] == 0xE2 && p[1] == 0x80) && !(p[0] == 0xC2 && p[1] == 0xA0)); /* ’ « » and nbsp split */
}

/* The distinct words of `text` of 4 letters or more that are not common
 * French words, folded as the indexes hold them, at most FTS_WORDS. */
static void words_of(struct words *out, const char *text) {
  static const char *const stop[] = {
      "avec", "dans", "pour", "nous", "vous", "sont", "leur", "leurs", "cette", "votre", "notre", "plus", "mais",
      "donc", "comme", "entre", "sans", "sous", "apres", "avant", "depuis", "aussi", "tous", "toutes", "tout", "fait",
      "faire", "souhaitons", "souhaite", "demande", "demandons", "mairie", "etre", "avoir", "elle", "elles", "sommes",
      "avons", "quel", "quelle", "quelles", "quels", "dont", "ainsi", "chez", "vers", "lors", "afin", "deux", "trois",
      "cela", "ceci", "celle", "celui", "ceux", "peut", "pouvons", "devons", "besoin", "sera"};
  const unsigned char *p = (const unsigned char *)(text ? text : "");
  out->n = 0;
  while (*p && out->n < FTS_WORDS) {
    while (*p && !in_word(p)) p++;
    char w[48];
    size_t n = 0, used, letters = 0;
    while (*p && in_word(p)) {
      if (n < sizeof w - 1) n = fold(w, n, p, &used), letters++;
      else used = 1;
      p += used;
      while (*p >= 0x80 && *p < 0xC0) p++; /* a continuation byte left by a cut */
    }
    w[n] = 0;
    if (letters < 4 || n >= sizeof w - 1) continue;
    int skip = 0;
    for (size_t i = 0; i < sizeof stop / sizeof stop[0] && !skip; i++) skip = !strcmp(stop[i], w);
    for (int i = 0; i < out->n && !skip; i++) skip = !strcmp(out->w[i], w);
    if (!skip) memcpy(out->w[out->n++], w, n + 1);
  }
}

/* An FTS5 query ("w1" OR "w2"…) over the words of `ws` that tell something
 * in the index whose vocabulary is `v`: present in at most a
 * fifth of its `total` documents, or in 3 at most (a word found almost
 * everywhere ranks nothing and costs the most), the rarest first, at most
 * FTS_TERMS. Empty when none. */
static void selective_query(char *out, size_t size, const struct vocab *v, const struct words *ws) {
  struct {
    int i;
    int64_t df;
  } keep[FTS_WORDS];
  int n = 0;
  out[0] = 0;
  for (int i = 0; i < ws->n; i++) {
    int64_t df = vocab_df(v, ws->w[i]);
    if (df > 0 && (df * 5 <= v->total || df <= 3)) {
      int k = n++;
      while (k > 0 && keep[k - 1].df > df) keep[k] = keep[k - 1], k--;
      keep[k].i = i, keep[k].df = df;
    }
  }
  for (int k = 0; k < n && k < FTS_TERMS; k++)
    snprintf(out + strlen(out), size - strlen(out), "%s\"%.47s\"", k ? " OR " : "", ws->w[keep[k].i]);
}

/* A value per org, found by binary search. */
struct orgval {
  int64_t org;
  double v;
  int a, b;
};

static int by_org(const void *x, const void *y) {
  int64_t a = ((const struct orgval *)x)->org, b = ((const struct orgval *)y)->org;
  return (a > b) - (a < b);
}

static const struct orgval *orgval_find(const struct orgval *v, int n, int64_t org) {
  struct orgval key = {org, 0, 0, 0};
  return v ? bsearch(&key, v, (size_t)n, sizeof *v, by_org) : NULL;
}

/* Runs `st` (columns: org, then a real or two integers) into a sorted
 * array. */
static int orgvals(struct orgval **out, int *n, struct db *db, sqlite3_stmt *st, int ints) {
  int cap = 0, s;
  *out = NULL;
  *n = 0;
  while ((s = sqlite3_step(st)) == SQLITE_ROW) {
    if (*n == cap) {
      cap = cap ? cap * 2 : 64;
      struct orgval *g = realloc(*out, (size_t)cap * sizeof **out);
      if (!g) {
        db_done(st);
        return err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
      }
      *out = g;
    }
    struct orgval *v = &(*out)[(*n)++];
    v->org = sqlite3_column_int64(st, 0);
    v->v = ints ? 0 : sqlite3_column_double(st, 1);
    v->a = ints ? sqlite3_column_int(st, 1) : 0;
    v->b = ints ? sqlite3_column_int(st, 2) : 0;
  }
  db_done(st);
  if (s != SQLITE_DONE) return db_fail(db, s, "lecture pour l'orientation");
  if (*out) qsort(*out, (size_t)*n, sizeof **out, by_org);
  return 0;
}

/* bm25 of the text query against offers (by offer id) or org profiles. */
static int relevance(struct orgval **out, int *n, struct db *db, const char *sql, const char *query) {
  *out = NULL;
  *n = 0;
  if (!*query) return 0;
  sqlite3_stmt *st;
  int rc = db_prepare(&st, db, sql);
  if (rc) return rc;
  db_bind_text(st, 1, query);
  return orgvals(out, n, db, st, 0);
}

/* bm25 (negative, lower is better) to [0, 1). */
static double saturate(double bm25) {
  double x = -bm25;
  return x > 0 ? x / (x + 2.0) : 0;
}

/* Work area of one run. */
struct scored {
  int offer;          /* index in the cache */
  enum gate gate;
  double comp[5], score;
  int member;         /* index in who.member, or -1 */
  int load_open, continuity_open, continuity_total;
  int rule_excluded;  /* index of the exclusion in the rule result, or -1 */
};

static int by_score(const void *x, const void *y) {
  const struct scored *a = x, *b = y;
  if (a->gate != b->gate) return (a->gate > b->gate) - (a->gate < b->gate);
  if (a->score != b->score) return a->score > b->score ? -1 : 1;
  return a->offer - b->offer;
}

/* The reason an offer was excluded, in French. */
static void gate_reason(char *out, size_t size, const struct scored *s, const struct moffer *o, const struct who *w,
                        const struct rule_result *rr, const char *why) {
  char aud[128];
  switch (s->gate) {
  case G_PERIMETER:
    snprintf(out, size, "Hors périmètre : l'offre est donnée sur « %s », pas sur %s", o->pname ? o->pname : "?", w->name);
    break;
  case G_AUDIENCE:
    audience_text(aud, sizeof aud, o->audience);
    snprintf(out, size, "Offre réservée aux %s : %s n'est pas de ce type (%s)", aud, w->name, kind_label(w->kind));
    break;
  case G_MEMBERSHIP:
    snprintf(out, size, "Réservée aux adhérents de « %s » : %s n'y adhère pas", o->org_name, w->name);
    break;
  case G_ELIGIBILITY:
    if (!o->elig) snprintf(out, size, "Critère d'éligibilité illisible : « %s » (à corriger dans le catalogue)", o->elig_text);
    else if (why && *why) snprintf(out, size, "Critère d'éligibilité indéterminé « %s » : %s", o->elig_text, why);
    else snprintf(out, size, "Critère d'éligibilité non rempli : « %s »", o->elig_text);
    break;
  case G_RULE:
    snprintf(out, size, "Écartée par la règle « %s »",
             rr && s->rule_excluded >= 0 ? rr->excluded[s->rule_excluded].rule : "?");
    break;
  case G_UNRELATED: snprintf(out, size, "Sans rapport avec la demande : aucune thématique commune, aucun mot proche"); break;
  default: out[0] = 0;
  }
}

static json_t *offer_json(const struct moffer *o) {
  return json_pack("{s:s, s:s, s:s}", "slug", o->slug, "title", o->title, "kind", o->kind);
}

static json_t *org_json(const struct moffer *o) {
  return json_pack("{s:s, s:s}", "slug", o->org_slug, "name", o->org_name);
}

static double round2(double x) { return floor(x * 100 + 0.5) / 100; }

/* The reasons of an eligible offer, in French. */
static json_t *reasons_of(const struct scored *s, const struct moffer *o, const struct who *w, const struct mcache *c,
                          unsigned themes, const char *chosen) {
  json_t *r = json_array();
  char t[512];
  if (chosen && !strcmp(chosen, o->slug)) json_array_append_new(r, json_string("Offre choisie par la collectivité"));
  if (o->pkind != P_EVERYWHERE) {
    snprintf(t, sizeof t, "Dans le périmètre : %s", o->pname);
    json_array_append_new(r, json_string(t));
  }
  if (s->member >= 0) {
    snprintf(t, sizeof t, "%s adhérente à « %s »%s", kind_label(w->kind), o->org_name,
             *w->member_via[s->member] ? " (par son EPCI)" : "");
    json_array_append_new(r, json_string(t));
  }
  if (o->elig) {
    snprintf(t, sizeof t, "Éligible : %s", o->elig_text);
    json_array_append_new(r, json_string(t));
  }
  unsigned common = themes & o->themes;
  if (common) {
    snprintf(t, sizeof t, "Thématique%s commune%s : ", __builtin_popcount(common) > 1 ? "s" : "",
             __builtin_popcount(common) > 1 ? "s" : "");
    for (int i = 0, k = 0; i < c->n_themes; i++)
      if (common & (1u << i)) snprintf(t + strlen(t), sizeof t - strlen(t), "%s%s", k++ ? ", " : "", c->labels[i]);
  } else {
    snprintf(t, sizeof t, "Aucune thématique commune");
  }
  json_array_append_new(r, json_string(t));
  if (s->comp[1] >= 0.005) {
    snprintf(t, sizeof t, "Texte proche de l'offre (%d %%)", (int)(s->comp[1] * 100 + 0.5));
    json_array_append_new(r, json_string(t));
  }
  if (s->comp[2] >= 0.005) {
    snprintf(t, sizeof t, "Demandes semblables déjà acceptées par la structure (%d %%)", (int)(s->comp[2] * 100 + 0.5));
    json_array_append_new(r, json_string(t));
  }
  snprintf(t, sizeof t, "Charge actuelle %d/%d", s->load_open, o->capacity);
  json_array_append_new(r, json_string(t));
  if (s->continuity_open)
    snprintf(t, sizeof t, "Travaille déjà avec cette collectivité (%d demande%s en cours)", s->continuity_open,
             s->continuity_open > 1 ? "s" : "");
  else if (s->continuity_total)
    snprintf(t, sizeof t, "A déjà travaillé avec cette collectivité (%d demande%s)", s->continuity_total,
             s->continuity_total > 1 ? "s" : "");
  else t[0] = 0;
  if (*t) json_array_append_new(r, json_string(t));
  return r;
}

/* Variables of the routing rules: {demande: {ref, themes, budget, offre,
 * collectivite: {code, kind, name, population, departement, epci,
 * member_of}}}. */
static json_t *rule_vars(const struct match_query *q, const struct who *w) {
  json_t *themes = json_array();
  for (int i = 0; i < q->n_themes; i++) json_array_append_new(themes, json_string(q->themes[i]));
  json_t *d = json_pack("{s:o, s:O}", "themes", themes, "collectivite", w->vars);
  json_object_set_new(d, "ref", q->ref ? json_string(q->ref) : json_null());
  json_object_set_new(d, "budget", q->budget >= 0 ? json_real(q->budget) : json_null());
  json_object_set_new(d, "offre", q->offer ? json_string(q->offer) : json_null());
  return json_pack("{s:o}", "demande", d);
}

/* Loads the latest published ruleset into the cache; c->rules stays NULL
 * when none is published. */
static int rules_get(struct mcache *c, struct db *db) {
  sqlite3_stmt *st;
  int rc = db_prepare(&st, db, "SELECT id, text FROM ruleset_version WHERE name = ? ORDER BY version DESC LIMIT 1");
  if (rc) return rc;
  db_bind_text(st, 1, MATCH_RULESET);
  if (sqlite3_step(st) == SQLITE_ROW) {
    int64_t id = sqlite3_column_int64(st, 0);
    if (id != c->rules_id) {
      rule_set_free(c->rules);
      c->rules = NULL;
      c->rules_id = id;
      const char *text = db_col_text(st, 1);
      struct rule_error e;
      /* Published rules were checked; an unreadable copy counts as none. */
      if (rule_parse(&c->rules, text, strlen(text), &e)) c->rules = NULL;
    }
  } else {
    rule_set_free(c->rules);
    c->rules = NULL;
    c->rules_id = 0;
  }
  db_done(st);
  err_clear();
  return 0;
}

/* The proposal: the lead and contributors the rules name (with the best
 * eligible offer of each org), else the best offer. */
static json_t *proposal_of(const struct scored *v, int n_ok, const struct mcache *c, const struct rule_result *rr) {
  json_t *lead = json_null(), *contributors = json_array();
  const char *source = "score";
  if (rr && rr->lead.org) {
    const struct scored *best = NULL;
    for (int i = 0; i < n_ok && !best; i++)
      if (!strcmp(c->o[v[i].offer].org_slug, rr->lead.org)) best = &v[i];
    lead = json_pack("{s:s, s:o, s:f, s:s}", "org", rr->lead.org, "offer",
                     best ? offer_json(&c->o[best->offer]) : json_null(), "score", best ? best->score : 0.0, "rule",
                     rr->lead.rule);
    source = "rule";
  } else if (n_ok) {
    lead = json_pack("{s:s, s:o, s:f}", "org", c->o[v[0].offer].org_slug, "offer", offer_json(&c->o[v[0].offer]),
                     "score", v[0].score);
  }
  for (int k = 0; rr && k < rr->n_contributors; k++) {
    const struct scored *best = NULL;
    for (int i = 0; i < n_ok && !best; i++)
      if (!strcmp(c->o[v[i].offer].org_slug, rr->contributors[k].org)) best = &v[i];
    json_array_append_new(contributors,
                          json_pack("{s:s, s:o, s:s}", "org", rr->contributors[k].org, "offer",
                                    best ? offer_json(&c->o[best->offer]) : json_null(), "rule", rr->contributors[k].rule));
  }
  return json_pack("{s:o, s:o, s:s}", "lead", lead, "contributors", contributors, "source", source);
}

int match_run(json_t **out, struct db *db, const struct match_query *q, int flags, int limit, int64_t now) {
  struct mcache *c = NULL;
  struct who w;
  struct scored *v = NULL;
  struct orgval *text = NULL, *hist = NULL, *load = NULL, *cont = NULL;
  int n_text = 0, n_hist = 0, n_load = 0, n_cont = 0, rc, have_who = 0, have_rules = 0;
  struct rule_result rr;
  json_t *result = NULL;
  char query[FTS_TERMS * 52 + 8], hquery[FTS_TERMS * 52 + 8];
  struct words ws;
  if (limit <= 0) limit = 10;
  if (limit > MAX_LIMIT) return err_set(ERR_INVALID, "limit", "%d offres au plus", MAX_LIMIT);
  if (q->n_themes < 1) return err_set(ERR_INVALID, "themes", "indiquez au moins une thématique");
  if ((rc = cache_get(&c, db))) goto done;
  unsigned themes = 0;
  for (int i = 0; i < q->n_themes; i++) {
    int b = theme_bit(c, q->themes[i]);
    if (b < 0) {
      rc = err_set(ERR_INVALID, "themes", "thématique inconnue : « %s »", q->themes[i]);
      goto done;
    }
    themes |= 1u << b;
  }
  if ((rc = who_load(&w, db, q->collectivity, now))) goto done;
  have_who = 1;
  if ((rc = rules_get(c, db))) goto done;
  struct civil cv;
  clock_paris(now, &cv);
  int64_t today = clock_days_from_civil(cv.year, cv.month, cv.day);
  if (c->rules) {
    json_t *vars = rule_vars(q, &w);
    rc = rule_eval(&rr, c->rules, vars, today);
    json_decref(vars);
    if (rc) goto done;
    have_rules = 1;
  }
  /* Per-org and per-offer figures, each one indexed read. */
  sqlite3_stmt *st;
  words_of(&ws, q->text);
  int64_t pv = 0;
  if (ws.n && (rc = db_int_for(&pv, db, "SELECT version FROM profile_version WHERE id = ?", "1"))) goto done;
  if (ws.n && pv != c->profiles.version &&
      (rc = vocab_load(&c->profiles, db, "SELECT term, doc FROM org_profile_vocab ORDER BY term COLLATE BINARY",
                       "SELECT count(*) FROM org_profile", pv)))
    goto done;
  selective_query(query, sizeof query, &c->offers, &ws);
  selective_query(hquery, sizeof hquery, &c->profiles, &ws);
  if ((rc = relevance(&text, &n_text, db, "SELECT rowid, bm25(offer_fts, 2.0, 1.0) FROM offer_fts WHERE offer_fts MATCH ?",
                      query)) ||
      (rc = relevance(&hist, &n_hist, db, "SELECT rowid, bm25(org_profile) FROM org_profile WHERE org_profile MATCH ?",
                      hquery)))
    goto done;
  if ((rc = db_prepare(&st, db, "SELECT org, open, 0 FROM org_load")) || (rc = orgvals(&load, &n_load, db, st, 1)))
    goto done;
  if ((rc = db_prepare(&st, db, "SELECT org, open, total FROM org_collectivity WHERE collectivity = ?"))) goto done;
  db_bind_text(st, 1, w.code);
  if ((rc = orgvals(&cont, &n_cont, db, st, 1))) goto done;
  if (c->n && !(v = calloc((size_t)c->n, sizeof *v))) {
    rc = err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
    goto done;
  }
  int counts[G_COUNT] = {0};
  unsigned kind = audience_bit(w.kind);
  for (int i = 0; i < c->n; i++) {
    const struct moffer *o = &c->o[i];
    struct scored *s = &v[i];
    s->offer = i;
    s->rule_excluded = -1;
    s->member = member_index(&w, o->org);
    if (!in_perimeter(o, &w)) s->gate = G_PERIMETER;
    else if (!(o->audience & kind)) s->gate = G_AUDIENCE;
    else if (o->requires_membership && s->member < 0) s->gate = G_MEMBERSHIP;
    else if (o->elig_text && *o->elig_text && (!o->elig || expr_eval_condition(o->elig, w.vars, today, NULL, 0) != 1))
      s->gate = G_ELIGIBILITY;
    for (int k = 0; have_rules && !s->gate && k < rr.n_excluded; k++)
      if (!strcmp(rr.excluded[k].org, o->org_slug)) s->gate = G_RULE, s->rule_excluded = k;
    counts[s->gate]++;
    if (s->gate) continue;
    int common = __builtin_popcount(themes & o->themes);
    s->comp[0] = (double)common / q->n_themes;
    struct orgval key = {o->id, 0, 0, 0}, *t = text ? bsearch(&key, text, (size_t)n_text, sizeof key, by_org) : NULL;
    s->comp[1] = t ? saturate(t->v) : 0;
    const struct orgval *h = orgval_find(hist, n_hist, o->org), *l = orgval_find(load, n_load, o->org),
                        *k = orgval_find(cont, n_cont, o->org);
    s->comp[2] = h ? saturate(h->v) : 0;
    s->load_open = l ? l->a : 0;
    s->comp[3] = o->capacity > 0 ? 1.0 - (s->load_open >= o->capacity ? 1.0 : (double)s->load_open / o->capacity) : 0;
    s->continuity_open = k ? k->a : 0;
    s->continuity_total = k ? k->b : 0;
    s->comp[4] = s->continuity_open ? 1.0 : s->member >= 0 ? 0.8 : s->continuity_total ? 0.5 : 0;
    s->score = round2(MATCH_W_THEME * s->comp[0] + MATCH_W_TEXT * s->comp[1] + MATCH_W_HISTORY * s->comp[2] +
                      MATCH_W_LOAD * s->comp[3] + MATCH_W_CONTINUITY * s->comp[4]);
    if (!common && s->comp[1] == 0) {
      counts[G_OK]--;
      counts[s->gate = G_UNRELATED]++;
    }
  }
  /* Exclusion reasons need the scan order; sorting comes after. */
  json_t *excluded = json_array();
  char reason[768];
  for (int i = 0; (flags & MATCH_EXPLAIN) && i < c->n && json_array_size(excluded) < LISTED_EXCLUSIONS; i++) {
    const struct moffer *o = &c->o[i];
    if (!v[i].gate || !(o->themes & themes)) continue;
    char why[256] = "";
    if (v[i].gate == G_ELIGIBILITY && o->elig) expr_eval_condition(o->elig, w.vars, today, why, sizeof why);
    gate_reason(reason, sizeof reason, &v[i], o, &w, have_rules ? &rr : NULL, why);
    json_array_append_new(excluded, json_pack("{s:o, s:o, s:s, s:s}", "offer", offer_json(o), "org", org_json(o),
                                              "gate", gate_names[v[i].gate], "reason", reason));
  }
  if (c->n) qsort(v, (size_t)c->n, sizeof *v, by_score);
  int n_ok = counts[G_OK];
  json_t *offers = json_array();
  for (int i = 0; i < n_ok && i < limit; i++) {
    const struct moffer *o = &c->o[v[i].offer];
    json_t *comp = json_pack("{s:f, s:f, s:f, s:f, s:f}", "theme", round2(v[i].comp[0]), "text", round2(v[i].comp[1]),
                             "history", round2(v[i].comp[2]), "load", round2(v[i].comp[3]), "continuity",
                             round2(v[i].comp[4]));
    json_array_append_new(offers, json_pack("{s:i, s:o, s:o, s:f, s:o, s:o}", "rank", i + 1, "offer", offer_json(o), "org",
                                            org_json(o), "score", v[i].score, "components", comp, "reasons",
                                            reasons_of(&v[i], o, &w, c, themes, q->offer)));
  }
  json_t *jthemes = json_array();
  for (int i = 0; i < q->n_themes; i++) json_array_append_new(jthemes, json_string(q->themes[i]));
  result = json_pack("{s:{s:s, s:s, s:s}, s:o, s:o, s:i, s:{s:i, s:i, s:i, s:i, s:i, s:i}, s:o}", "collectivity",
                     "code", w.code, "name", w.name, "kind", w.kind, "themes", jthemes, "offers", offers, "eligible", n_ok,
                     "excluded_counts", "perimeter", counts[G_PERIMETER], "audience", counts[G_AUDIENCE], "membership",
                     counts[G_MEMBERSHIP], "eligibility", counts[G_ELIGIBILITY], "rule", counts[G_RULE], "unrelated",
                     counts[G_UNRELATED], "proposal",
                     proposal_of(v, n_ok, c, have_rules ? &rr : NULL));
  if (q->ref) json_object_set_new(result, "ref", json_string(q->ref));
  if (!n_ok) {
    char sum[1024];
    snprintf(sum, sizeof sum, "Aucune offre ne convient à %s :", w.name);
    static const char *const what[][2] = {{"", ""},
                                          {"hors périmètre", "hors périmètre"},
                                          {"réservée à d'autres publics", "réservées à d'autres publics"},
                                          {"réservée aux adhérents", "réservées aux adhérents"},
                                          {"au critère d'éligibilité non rempli", "au critère d'éligibilité non rempli"},
                                          {"écartée par une règle", "écartées par une règle"},
                                          {"sans rapport avec la demande", "sans rapport avec la demande"}};
    int k = 0;
    for (int g = 1; g < G_COUNT; g++)
      if (counts[g])
        snprintf(sum + strlen(sum), sizeof sum - strlen(sum), "%s %d offre%s %s", k++ ? ";" : "", counts[g],
                 counts[g] > 1 ? "s" : "", what[g][counts[g] > 1]);
    if (!k) snprintf(sum + strlen(sum), sizeof sum - strlen(sum), " le catalogue n'a aucune offre active");
    /* The first reason of an offer on the request's themes, as an example. */
    for (int i = 0; i < c->n; i++) {
      const struct moffer *o = &c->o[v[i].offer];
      if (!(o->themes & themes)) continue;
      char why[256] = "";
      if (v[i].gate == G_ELIGIBILITY && o->elig) expr_eval_condition(o->elig, w.vars, today, why, sizeof why);
      gate_reason(reason, sizeof reason, &v[i], o, &w, have_rules ? &rr : NULL, why);
      snprintf(sum + strlen(sum), sizeof sum - strlen(sum), ". Par exemple « %s » : %s", o->title, reason);
      break;
    }
    json_object_set_new(result, "summary", json_string(sum));
  } else {
    json_object_set_new(result, "summary", json_null());
  }
  if (flags & MATCH_EXPLAIN) {
    json_object_set_new(result, "excluded", excluded);
    json_object_set_new(result, "rules", have_rules ? rule_result_json(&rr) : json_null());
  } else {
    json_decref(excluded);
  }
  *out = result;
done:
  if (have_rules) rule_result_free(&rr);
  if (have_who) who_free(&w);
  free(v), free(text), free(hist), free(load), free(cont);
  return rc;
}

/* The query of request `id` into `q`, with storage in `buf` (themes) and
 * the JSON document `*doc` that owns the strings (decref after use). */
static int query_of(struct match_query *q, const char **themes, json_t **doc, struct db *db, int64_t id) {
  sqlite3_stmt *st;
  int rc = db_prepare(&st, db, "SELECT json_object('ref', r.ref, 'collectivity', r.collectivity, 'themes', json(r.themes), "
                               "'text', r.title || ' ' || r.description, 'budget', r.budget_cents / 100.0, "
                               "'offer', f.slug) FROM request r LEFT JOIN offer f ON f.id = r.offer WHERE r.id = ?");
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, id);
  *doc = NULL;
  if (sqlite3_step(st) == SQLITE_ROW) *doc = json_loads(db_col_text(st, 0), 0, NULL);
  db_done(st);
  if (!*doc) return err_set(ERR_NOTFOUND, "ref", "demande inconnue");
  memset(q, 0, sizeof *q);
  json_t *t = json_object_get(*doc, "themes");
  for (size_t i = 0; i < json_array_size(t) && i < 16; i++) themes[q->n_themes++] = json_string_value(json_array_get(t, i));
  q->themes = themes;
  q->collectivity = json_string_value(json_object_get(*doc, "collectivity"));
  q->text = json_string_value(json_object_get(*doc, "text"));
  q->ref = json_string_value(json_object_get(*doc, "ref"));
  q->offer = json_string_value(json_object_get(*doc, "offer"));
  json_t *b = json_object_get(*doc, "budget");
  q->budget = json_is_number(b) ? json_number_value(b) : -1;
  q->request = id;
  return 0;
}

int match_request_id(json_t **out, struct db *db, int64_t request, int flags, int limit, int64_t now) {
  struct match_query q = {0};
  const char *themes[16];
  json_t *doc;
  int rc = query_of(&q, themes, &doc, db, request);
  if (rc) return rc;
  rc = match_run(out, db, &q, flags, limit, now);
  json_decref(doc);
  return rc;
}

int match_request(json_t **out, struct db *db, const struct user *actor, const char *ref, int flags, int limit,
                  int64_t now) {
  int64_t id;
  int rc = request_access(&id, db, actor, ref, PERM_READ);
  if (rc) return rc;
  if (actor->role == ROLE_REQUESTER)
    return err_set(ERR_FORBIDDEN, "ref", "l'orientation d'une demande est réservée aux services");
  return match_request_id(out, db, id, flags, limit, now);
}
