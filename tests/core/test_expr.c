/* Tests of core/expr.c, FEEL-lite (shared/workflow-subset.md §4): every
 * grammar rule, the three-valued truth tables of and/or/not, equality across
 * types, ordering of mismatched types, dates and today() with an injected
 * day, count and list contains, the French explanation of a condition that
 * is neither true nor false, every targeted parse error (column and
 * message), the length and depth limits, random input, and the conditions of
 * the BPMN files in shared/testdata/bpmn. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "clock.h"
#include "err.h"
#include "expr.h"
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The injected Europe/Paris civil date for today(): 2026-03-15. */
#define TODAY clock_days_from_civil(2026, 3, 15)

static struct expr *parse_ok(const char *text) {
  struct expr *e = NULL;
  struct expr_error err;
  int rc = expr_parse(&e, text, &err);
  if (rc != 0 || !e) fail_msg("« %s » refusée (%d) : colonne %d : %s", text, rc, err.column, err.message);
  return e;
}

/* Asserts that `text` is refused at `column` with a message containing
 * `needle`, in *err and in the thread's error record, without AST. */
static void refused(const char *text, int column, const char *needle) {
  struct expr *e = (struct expr *)&e; /* anything but NULL */
  struct expr_error err;
  char prefix[32];
  err_clear();
  int rc = expr_parse(&e, text, &err);
  if (rc != ERR_INVALID) fail_msg("« %s » : code %d au lieu de ERR_INVALID", text, rc);
  if (e) fail_msg("« %s » : AST rendu malgré le refus", text);
  if (err.column != column)
    fail_msg("« %s » : colonne %d au lieu de %d (%s)", text, err.column, column, err.message);
  if (!strstr(err.message, needle)) fail_msg("« %s » : message sans « %s » : %s", text, needle, err.message);
  snprintf(prefix, sizeof prefix, "colonne %d : ", column);
  if (strncmp(err_msg(), prefix, strlen(prefix)) != 0 || !strstr(err_msg(), needle))
    fail_msg("« %s » : err_msg() = %s", text, err_msg());
  if (err_code() != ERR_INVALID) fail_msg("« %s » : err_code() = %d", text, err_code());
}

/* Parses `text`, evaluates it as a condition over the JSON `vars` (NULL for
 * none) with TODAY; the explanation goes to `why` (may be NULL). */
static int cond_why(const char *text, const char *vars, char *why, size_t size) {
  json_error_t jerr;
  json_t *doc = vars ? json_loads(vars, 0, &jerr) : NULL;
  if (vars && !doc) fail_msg("JSON de test invalide : %s", jerr.text);
  struct expr *e = parse_ok(text);
  int r = expr_eval_condition(e, doc, TODAY, why, size);
  expr_free(e);
  json_decref(doc);
  return r;
}

static int cond(const char *text, const char *vars) {
  char why[256];
  return cond_why(text, vars, why, sizeof why);
}

/* Asserts that `text` over `vars` gives `want` (1, 0 or -1). */
static void expect(const char *text, const char *vars, int want) {
  int got = cond(text, vars);
  if (got != want) fail_msg("« %s » sur %s : %d au lieu de %d", text, vars ? vars : "{}", got, want);
}

/* Asserts that `text` over `vars` is neither true nor false and that the
 * explanation contains `needle`. */
static void expect_why(const char *text, const char *vars, const char *needle) {
  char why[256];
  memset(why, 'x', sizeof why);
  int r = cond_why(text, vars, why, sizeof why);
  if (r != -1) fail_msg("« %s » sur %s : %d au lieu de -1", text, vars ? vars : "{}", r);
  if (!strstr(why, needle)) fail_msg("« %s » sur %s : explication sans « %s » : %s", text, vars ? vars : "{}", needle, why);
}

/* The value of `text` over `vars`, for scalar results (strings are copied
 * into `buf`, 64 bytes). */
static struct expr_value value(const char *text, const char *vars, char *buf) {
  json_t *doc = vars ? json_loads(vars, 0, NULL) : NULL;
  struct expr *e = parse_ok(text);
  struct expr_value v;
  memset(&v, 0x5a, sizeof v);
  expr_eval(&v, e, doc, TODAY);
  if (v.type == EXPR_STRING) {
    assert_true(v.length < 64);
    memcpy(buf, v.string, v.length + 1);
    v.string = buf;
  }
  if (v.type == EXPR_LIST) v.list = NULL;
  expr_free(e);
  json_decref(doc);
  return v;
}

/* ---- Grammar ---------------------------------------------------------- */

static void literals(void **state) {
  (void)state;
  char buf[64];
  struct expr_value v = value("= 42", NULL, buf);
  assert_int_equal(v.type, EXPR_NUMBER);
  assert_true(v.number == 42.0);
  v = value("= -12.5", NULL, buf);
  assert_int_equal(v.type, EXPR_NUMBER);
  assert_true(v.number == -12.5);
  v = value("=0.25", NULL, buf);
  assert_true(v.type == EXPR_NUMBER && v.number == 0.25);
  v = value("= 007", NULL, buf);
  assert_true(v.type == EXPR_NUMBER && v.number == 7.0);
  v = value("= -0", NULL, buf);
  assert_true(v.type == EXPR_NUMBER && v.number == 0.0);
  v = value("= \"commune\"", NULL, buf);
  assert_int_equal(v.type, EXPR_STRING);
  assert_string_equal(v.string, "commune");
  assert_int_equal(v.length, 7);
  /* Escapes: \" and \\ only. */
  v = value("= \"a\\\"b\\\\c\"", NULL, buf);
  assert_int_equal(v.type, EXPR_STRING);
  assert_string_equal(v.string, "a\"b\\c");
  assert_int_equal(v.length, 5);
  v = value("= \"\"", NULL, buf);
  assert_true(v.type == EXPR_STRING && v.length == 0);
  v = value("= \"Réfection — « voirie »\"", NULL, buf);
  assert_string_equal(v.string, "Réfection — « voirie »");
  v = value("= true", NULL, buf);
  assert_true(v.type == EXPR_BOOL && v.boolean == 1);
  v = value("= false", NULL, buf);
  assert_true(v.type == EXPR_BOOL && v.boolean == 0);
  v = value("= null", NULL, buf);
  assert_int_equal(v.type, EXPR_NULL);
  /* Leading spaces before "=", spaces (tabs, new lines) between tokens. */
  expect("   =\tmontant\n>=\r\n100  ", "{\"montant\": 100}", 1);
  expect("=montant>=100", "{\"montant\": 99.5}", 0);
  expect("= \"a\\\"b\" = s", "{\"s\": \"a\\\"b\"}", 1);
  expect("= \"a\\\\\" = s", "{\"s\": \"a\\\\\"}", 1);
  expect("= -3 < -2.75", NULL, 1);
  expect("= 0.5 = 0.50", NULL, 1);
  expect("= 1 = 1.0", NULL, 1);
}

static void comparison_operators(void **state) {
  (void)state;
  const char *vars = "{\"n\": 10, \"s\": \"mairie\", \"r\": 2.5}";
  expect("= n = 10", vars, 1);
  expect("= n = 11", vars, 0);
  expect("= n != 11", vars, 1);
  expect("= n != 10", vars, 0);
  expect("= n < 11", vars, 1);
  expect("= n < 10", vars, 0);
  expect("= n <= 10", vars, 1);
  expect("= n <= 9", vars, 0);
  expect("= n > 9", vars, 1);
  expect("= n > 10", vars, 0);
  expect("= n >= 10", vars, 1);
  expect("= n >= 10.5", vars, 0);
  expect("= r > 2", vars, 1);
  expect("= r = 2.5", vars, 1);
  expect("= 10 = n", vars, 1);
  /* Strings: byte order, a prefix first. */
  expect("= s = \"mairie\"", vars, 1);
  expect("= s = \"mairi\"", vars, 0);
  expect("= \"mairies\" = s", vars, 0);
  expect("= \"ab\" != \"abc\"", NULL, 1);
  expect("= s != \"Mairie\"", vars, 1);
  expect("= s < \"mairies\"", vars, 1);
  expect("= s > \"mair\"", vars, 1);
  expect("= s > \"Mairie\"", vars, 1);
  expect("= \"a\" < \"b\"", NULL, 1);
  expect("= \"b\" <= \"a\"", NULL, 0);
  expect("= \"é\" > \"z\"", NULL, 1);
  expect("= \"\" < \"a\"", NULL, 1);
  expect("= \"abc\" >= \"abc\"", NULL, 1);
  /* Numbers compare exactly. */
  expect("= x = 0.3", "{\"x\": 0.3}", 1);
  expect("= x = 0.30000000000000004", "{\"x\": 0.3}", 0);
  expect("= i = 3", "{\"i\": 3}", 1);
  expect("= i = f", "{\"i\": 3, \"f\": 3.0}", 1);
}

static void paths(void **state) {
  (void)state;
  const char *vars = "{\"collectivite\": {\"kind\": \"commune\", \"epci\": {\"siren\": \"243100518\","
                     " \"population\": {\"total\": 800000}}}, \"a_b2\": true, \"n\": 1}";
  expect("= collectivite.kind = \"commune\"", vars, 1);
  expect("= collectivite.epci.siren = \"243100518\"", vars, 1);
  expect("= collectivite.epci.population.total > 500000", vars, 1);
  expect("= collectivite . epci . population . total = 800000", vars, 1);
  expect("= a_b2", vars, 1);
  /* Missing key, walk through a non-object or from no document: null. */
  expect("= collectivite.nom = null", vars, 1);
  expect("= collectivite.kind.x = null", vars, 1);
  expect("= n.x.y = null", vars, 1);
  expect("= absent.x = null", vars, 1);
  expect("= montant = null", NULL, 1);
  expect("= n.x > 0", vars, -1);
  /* Names are case-sensitive; count/date/today may be variable names. */
  expect("= N = null", vars, 1);
  expect("= count = 3 and date = \"lundi\" and today", "{\"count\": 3, \"date\": \"lundi\", \"today\": true}", 1);
  expect("= list = 1", "{\"list\": 1}", 1);
  expect("= list.contains = 2", "{\"list\": {\"contains\": 2}}", 1);
}

static void and_or_not_and_parentheses(void **state) {
  (void)state;
  /* and binds tighter than or. */
  expect("= true or true and false", NULL, 1);
  expect("= (true or true) and false", NULL, 0);
  expect("= false and true or true", NULL, 1);
  expect("= false and (true or true)", NULL, 0);
  /* Chains of several operands. */
  expect("= true and true and true and true", NULL, 1);
  expect("= true and true and false and true", NULL, 0);
  expect("= false or false or false or true", NULL, 1);
  expect("= false or false or false", NULL, 0);
  /* Nested parentheses and not(). */
  expect("= ((((a))))", "{\"a\": true}", 1);
  expect("= not(a)", "{\"a\": true}", 0);
  expect("= not (a)", "{\"a\": false}", 1);
  expect("= not(not(a))", "{\"a\": true}", 1);
  expect("= not(a > 1 and (b = \"x\" or c))", "{\"a\": 2, \"b\": \"y\", \"c\": false}", 1);
  expect("= (a > 1) = true", "{\"a\": 2}", 1);
  expect("= not(a) = (b < 0)", "{\"a\": true, \"b\": 1}", 1);
  expect("= (montant >= 1000 and montant < 5000) or urgent", "{\"montant\": 1200, \"urgent\": false}", 1);
  expect("= (montant >= 1000 and montant < 5000) or urgent", "{\"montant\": 12000, \"urgent\": false}", 0);
  expect("= (montant >= 1000 and montant < 5000) or urgent", "{\"montant\": 12000, \"urgent\": true}", 1);
}

static void in_lists(void **state) {
  (void)state;
  const char *vars = "{\"kind\": \"epci\", \"n\": 3, \"b\": false, \"z\": null}";
  expect("= kind in (\"commune\", \"epci\")", vars, 1);
  expect("= kind in (\"commune\",\"syndicat\")", vars, 0);
  expect("= kind in (\"epci\")", vars, 1);
  expect("= n in (1, 2, 3.0)", vars, 1);
  expect("= n in (-3, \"3\")", vars, 0);
  expect("= b in (true, false)", vars, 1);
  expect("= z in (null)", vars, 1);
  expect("= absent in (null, 1)", vars, 1);
  expect("= absent in (0, false, \"\")", vars, 0);
  expect("= (n > 2) in (true)", vars, 1);
  expect("= not(kind in (\"commune\")) and n in (3)", vars, 1);
  /* A long list. */
  expect("= n in (0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 3)", vars, 1);
}

static void functions(void **state) {
  (void)state;
  char buf[64];
  const char *vars = "{\"pieces\": [\"devis\", \"plan\", 3, true, null, [1], {\"a\": 1}], \"vide\": [],"
                     " \"d\": {\"liste\": [1.5, 2]}}";
  struct expr_value v = value("= count(pieces)", vars, buf);
  assert_true(v.type == EXPR_NUMBER && v.number == 7.0);
  expect("= count(vide) = 0", vars, 1);
  expect("= count(d.liste) = 2", vars, 1);
  expect("= count ( pieces ) > 6", vars, 1);
  expect("= list contains(pieces, \"devis\")", vars, 1);
  expect("= list contains(pieces, \"Devis\")", vars, 0);
  expect("= list contains(pieces, 3)", vars, 1);
  expect("= list contains(pieces, 3.0)", vars, 1);
  expect("= list contains(pieces, \"3\")", vars, 0);
  expect("= list contains(pieces, true)", vars, 1);
  expect("= list contains(pieces, false)", vars, 0);
  expect("= list contains(pieces, null)", vars, 1);
  expect("= list contains(vide, null)", vars, 0);
  expect("= list contains(x, null)", "{\"x\": [{}, [], [null]]}", 0);
  expect("= list  contains (d.liste, 1.5)", vars, 1);
  expect("= list contains(d.liste, -1.5)", vars, 0);
  v = value("= date(\"2026-03-15\")", NULL, buf);
  assert_int_equal(v.type, EXPR_DATE);
  assert_int_equal(v.date, clock_days_from_civil(2026, 3, 15));
  v = value("= date(\"1970-01-01\")", NULL, buf);
  assert_true(v.type == EXPR_DATE && v.date == 0);
  v = value("= today()", NULL, buf);
  assert_true(v.type == EXPR_DATE && v.date == TODAY);
  v = value("= today ( )", NULL, buf);
  assert_true(v.type == EXPR_DATE && v.date == TODAY);
}

/* ---- Three-valued logic ----------------------------------------------- */

static void truth_tables(void **state) {
  (void)state;
  static const char *const lit[] = {"true", "false", "null"};
  /* [a][b] with 1 true, 0 false, -1 null. */
  static const int and_table[3][3] = {{1, 0, -1}, {0, 0, 0}, {-1, 0, -1}};
  static const int or_table[3][3] = {{1, 1, 1}, {1, 0, -1}, {1, -1, -1}};
  static const int not_table[3] = {0, 1, -1};
  char text[64], vars[64];
  for (int a = 0; a < 3; a++) {
    for (int b = 0; b < 3; b++) {
      snprintf(text, sizeof text, "= %s and %s", lit[a], lit[b]);
      expect(text, NULL, and_table[a][b]);
      snprintf(text, sizeof text, "= %s or %s", lit[a], lit[b]);
      expect(text, NULL, or_table[a][b]);
      /* The same through variables (null as a JSON null). */
      snprintf(vars, sizeof vars, "{\"a\": %s, \"b\": %s}", lit[a], lit[b]);
      expect("= a and b", vars, and_table[a][b]);
      expect("= a or b", vars, or_table[a][b]);
    }
    snprintf(text, sizeof text, "= not(%s)", lit[a]);
    expect(text, NULL, not_table[a]);
  }
  /* Absent variables are null too. */
  expect("= false and absent", NULL, 0);
  expect("= absent and false", NULL, 0);
  expect("= true and absent", NULL, -1);
  expect("= true or absent", NULL, 1);
  expect("= absent or true", NULL, 1);
  expect("= false or absent", NULL, -1);
  expect("= not(absent)", NULL, -1);
  /* Longer chains: one false decides and, one true decides or. */
  expect("= null and true and false", NULL, 0);
  expect("= null and true and true", NULL, -1);
  expect("= null or false or true", NULL, 1);
  expect("= null or false or false", NULL, -1);
  /* Non-boolean operands are unknown, like null. */
  expect("= 1 and false", NULL, 0);
  expect("= 1 and true", NULL, -1);
  expect("= \"oui\" or true", NULL, 1);
  expect("= \"oui\" or false", NULL, -1);
  expect("= not(0)", NULL, -1);
  expect("= not(x)", "{\"x\": \"faux\"}", -1);
}

static void equality_across_types(void **state) {
  (void)state;
  expect("= 1 = \"1\"", NULL, 0);
  expect("= 1 != \"1\"", NULL, 1);
  expect("= true = 1", NULL, 0);
  expect("= false = 0", NULL, 0);
  expect("= false = null", NULL, 0);
  expect("= \"\" = null", NULL, 0);
  expect("= null = null", NULL, 1);
  expect("= null != null", NULL, 0);
  expect("= absent = null", NULL, 1);
  expect("= absent != null", NULL, 0);
  expect("= a = b", "{\"a\": null}", 1);
  expect("= a = null", "{\"a\": 0}", 0);
  expect("= a != null", "{\"a\": 0}", 1);
  expect("= date(\"2026-03-15\") = \"2026-03-15\"", NULL, 0);
  expect("= date(\"2026-03-15\") != \"2026-03-15\"", NULL, 1);
  expect("= true = true", NULL, 1);
  expect("= true != false", NULL, 1);
  /* Lists and objects compare as wholes with =; an object is not null. */
  expect("= a = b", "{\"a\": [1, \"x\", null], \"b\": [1.0, \"x\", null]}", 1);
  expect("= a = b", "{\"a\": [1, \"x\"], \"b\": [1, \"y\"]}", 0);
  expect("= a = b", "{\"a\": [1], \"b\": [1, 1]}", 0);
  expect("= a = b", "{\"a\": [[1], {\"k\": 2}], \"b\": [[1], {\"k\": 2}]}", 1);
  expect("= a = 1", "{\"a\": [1]}", 0);
  expect("= adresse != null", "{\"adresse\": {\"ville\": \"Muret\"}}", 1);
  expect("= adresse = null", "{\"adresse\": {}}", 0);
  expect("= a = b", "{\"a\": {\"x\": 1}, \"b\": {\"x\": 1}}", 1);
  expect("= a = b", "{\"a\": {\"x\": 1}, \"b\": {\"x\": 2}}", 0);
}

static void ordering_mismatch_gives_null(void **state) {
  (void)state;
  expect("= 1 < \"2\"", NULL, -1);
  expect("= \"a\" > 0", NULL, -1);
  expect("= true > false", NULL, -1);
  expect("= true <= true", NULL, -1);
  expect("= null < 1", NULL, -1);
  expect("= null >= null", NULL, -1);
  expect("= absent > 0", NULL, -1);
  expect("= date(\"2026-01-01\") < \"2026-02-01\"", NULL, -1);
  expect("= date(\"2026-01-01\") < 20260201", NULL, -1);
  expect("= a > 1", "{\"a\": [2]}", -1);
  expect("= a > 1", "{\"a\": {\"v\": 2}}", -1);
  expect("= a >= b", "{\"a\": 1, \"b\": \"1\"}", -1);
  /* ... and null propagates through not, and, or. */
  expect("= not(1 < \"2\")", NULL, -1);
  expect("= (1 < \"2\") and true", NULL, -1);
  expect("= (1 < \"2\") and false", NULL, 0);
  expect("= (1 < \"2\") or true", NULL, 1);
  /* but = of a null comparison is an ordinary value. */
  expect("= (1 < \"2\") = null", NULL, 1);
}

static void dates_and_today(void **state) {
  (void)state;
  expect("= today() = date(\"2026-03-15\")", NULL, 1);
  expect("= today() > date(\"2026-03-14\")", NULL, 1);
  expect("= today() < date(\"2026-03-16\")", NULL, 1);
  expect("= today() >= date(\"2026-03-15\")", NULL, 1);
  expect("= today() <= date(\"2026-03-14\")", NULL, 0);
  expect("= today() != date(\"2025-03-15\")", NULL, 1);
  expect("= date(\"2024-02-29\") < date(\"2024-03-01\")", NULL, 1);
  expect("= date(\"1999-12-31\") < date(\"2000-01-01\")", NULL, 1);
  expect("= date(\"2026-03-15\") in (null)", NULL, 0);
  /* Another injected day. */
  struct expr *e = parse_ok("= today() = date(\"2027-01-01\")");
  assert_int_equal(expr_eval_condition(e, NULL, clock_days_from_civil(2027, 1, 1), NULL, 0), 1);
  assert_int_equal(expr_eval_condition(e, NULL, clock_days_from_civil(2026, 12, 31), NULL, 0), 0);
  expr_free(e);
  /* Valid and invalid calendar dates. */
  static const char *const good[] = {"= date(\"2024-02-29\")", "= date(\"2000-02-29\")", "= date(\"1900-01-01\")",
                                     "= date(\"2999-12-31\")", "= date(\"2026-04-30\")"};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) expr_free(parse_ok(good[i]));
  refused("= date(\"2023-02-29\")", 8, "date invalide « 2023-02-29 »");
  refused("= date(\"1900-02-29\")", 8, "date invalide");
  refused("= date(\"2026-04-31\")", 8, "date invalide");
  refused("= date(\"2026-13-01\")", 8, "date invalide");
  refused("= date(\"2026-00-10\")", 8, "date invalide");
  refused("= date(\"2026-1-01\")", 8, "AAAA-MM-JJ");
  refused("= date(\"15/03/2026\")", 8, "date invalide « 15/03/2026 »");
  refused("= date(\"1899-12-31\")", 8, "1900 à 2999");
  refused("= date(\"\")", 8, "date invalide");
  refused("= date(\"2026-03-15T10:00\")", 8, "date invalide");
  refused("= date(2026-03-15)", 8, "date() attend une date entre guillemets");
  refused("= date(d)", 8, "entre guillemets");
  refused("= date()", 8, "entre guillemets");
  refused("= date(\"2026-03-15\", 1)", 20, "« ) » attendue");
  refused("= today(1)", 9, "today() ne prend pas d'argument");
  refused("= today(", 8, "jamais refermée");
}

static void count_and_contains_on_non_arrays(void **state) {
  (void)state;
  static const char *const non_arrays[] = {"{\"p\": 3}", "{\"p\": \"devis\"}", "{\"p\": null}", "{\"p\": {}}",
                                           "{\"p\": true}", "{}"};
  for (size_t i = 0; i < sizeof non_arrays / sizeof non_arrays[0]; i++) {
    char buf[64];
    struct expr_value v = value("= count(p)", non_arrays[i], buf);
    if (v.type != EXPR_NULL) fail_msg("count(p) sur %s : type %d", non_arrays[i], v.type);
    v = value("= list contains(p, \"devis\")", non_arrays[i], buf);
    if (v.type != EXPR_NULL) fail_msg("list contains(p) sur %s : type %d", non_arrays[i], v.type);
    expect("= count(p) > 0", non_arrays[i], -1);
    expect("= count(p) = null", non_arrays[i], 1);
    expect("= list contains(p, \"devis\") or false", non_arrays[i], -1);
  }
  expect("= count(a.b) = 1", "{\"a\": [[1]]}", 0);
}

/* ---- Why a condition is neither true nor false ------------------------ */

static void condition_explanations(void **state) {
  (void)state;
  expect_why("= montant > 1000", "{}", "résultat null : « montant » est absente (null)");
  expect_why("= montant > 1000", NULL, "« montant » est absente (null)");
  expect_why("= montant > 1000", "{\"montant\": null}", "« montant » vaut null");
  expect_why("= pieces > 3", "{\"pieces\": \"trois\"}", "« pieces » n'est pas un nombre (c'est une chaîne)");
  expect_why("= 3 < pieces", "{\"pieces\": true}", "« pieces » n'est pas un nombre (c'est un booléen)");
  expect_why("= nom < \"m\"", "{\"nom\": 12}", "« nom » n'est pas une chaîne (c'est un nombre)");
  expect_why("= a.b.c > 1", "{\"a\": {\"b\": 5}}", "« a.b.c » est absente (null) : « a.b » n'est pas un objet (c'est un nombre)");
  expect_why("= a.b.c > 1", "{\"a\": \"x\"}", "« a » n'est pas un objet (c'est une chaîne)");
  expect_why("= a.b.c > 1", "{\"a\": {}}", "« a.b.c » est absente (null)");
  /* Several paths: the one that made the comparison null. */
  expect_why("= a > b", "{\"a\": 1}", "« b » est absente (null)");
  expect_why("= a > b", "{\"b\": 1}", "« a » est absente (null)");
  expect_why("= a > 1 and b > 1", "{\"a\": 2, \"b\": \"x\"}", "« b » n'est pas un nombre");
  expect_why("= (x > 1) and (y > 1)", "{\"x\": 5, \"y\": null}", "« y » vaut null");
  expect_why("= x > 1 or y > 1", "{\"x\": 0}", "« y » est absente (null)");
  expect_why("= a and b", "{\"a\": true}", "« b » est absente (null)");
  expect_why("= a and b", "{\"a\": true, \"b\": 3}", "« b » n'est pas un booléen (c'est un nombre)");
  expect_why("= not(flag)", "{}", "« flag » est absente (null)");
  expect_why("= not(flag)", "{\"flag\": \"non\"}", "« flag » n'est pas un booléen (c'est une chaîne)");
  expect_why("= count(pieces) > 1", "{\"pieces\": 3}", "« pieces » n'est pas une liste (c'est un nombre)");
  expect_why("= list contains(pieces, \"devis\")", "{\"pieces\": \"devis\"}",
             "« pieces » n'est pas une liste (c'est une chaîne)");
  expect_why("= count(pieces) > 1", "{}", "« pieces » est absente (null)");
  expect_why("= echeance < today()", "{\"echeance\": \"2026-01-01\"}", "« echeance » n'est pas une date (c'est une chaîne");
  expect_why("= adresse > 1", "{\"adresse\": {}}", "« adresse » n'est pas un nombre (c'est un objet)");
  expect_why("= a > 1", "{\"a\": [1]}", "« a » n'est pas un nombre (c'est une liste)");
  expect_why("= a < b", "{\"a\": true, \"b\": false}", "« a » n'est ni un nombre, ni une chaîne, ni une date");
  /* The result itself is not a boolean. */
  expect_why("= statut", "{\"statut\": \"ouvert\"}", "résultat non booléen : « statut » n'est pas un booléen (c'est une chaîne)");
  expect_why("= statut", "{}", "résultat null : « statut » est absente (null)");
  expect_why("= adresse", "{\"adresse\": {}}", "« adresse » n'est pas un booléen (c'est un objet)");
  expect_why("= count(p)", "{\"p\": []}", "résultat non booléen (un nombre)");
  expect_why("= \"oui\"", NULL, "résultat non booléen (une chaîne)");
  expect_why("= today()", NULL, "résultat non booléen (une date)");
  /* Without a path to name: the operator and its operand types. */
  expect_why("= true > false", NULL, "comparaison « > » impossible entre un booléen et un booléen");
  expect_why("= null < 1", NULL, "comparaison « < » impossible entre null et un nombre");
  expect_why("= 1 and true", NULL, "opérande de « and » non booléen (un nombre)");
  char why[256];
  assert_int_equal(cond_why("= null", NULL, why, sizeof why), -1);
  assert_string_equal(why, "résultat null");
  /* True and false leave no explanation. */
  strcpy(why, "old");
  assert_int_equal(cond_why("= 1 < 2", NULL, why, sizeof why), 1);
  assert_string_equal(why, "");
  /* A small buffer gets a whole-character, terminated prefix; none at all is fine. */
  char small[19]; /* "résultat null : " is 17 bytes, "«" 2 more: it is cut whole */
  memset(small, 'x', sizeof small);
  assert_int_equal(cond_why("= montant > 1000", "{}", small, sizeof small), -1);
  assert_string_equal(small, "résultat null : ");
  assert_int_equal(cond_why("= montant > 1000", "{}", small, 18), -1);
  assert_string_equal(small, "résultat null : ");
  assert_int_equal(cond_why("= montant > 1000", "{}", NULL, 0), -1);
  assert_int_equal(cond_why("= montant > 1000", "{}", small, 1), -1);
  assert_string_equal(small, "");
}

/* ---- Parse errors ----------------------------------------------------- */

static void error_missing_equals(void **state) {
  (void)state;
  refused("price > 0", 1, "commence par « = » : écrivez « = price > 0 »");
  refused("  montant >= 1000 and urgent  ", 3, "écrivez « = montant >= 1000 and urgent »");
  refused("true", 1, "« = true »");
  /* When adding "=" would not be enough, only the rule and an example. */
  refused("price == 0", 1, "commence par « = », par exemple « = montant > 0 »");
  refused("next(null, !environment.variables.stopLoop);", 1, "commence par « = », par exemple");
}

static void error_camunda_habits(void **state) {
  (void)state;
  refused("=price == 0", 8, "« == » n'existe pas en FEEL : l'égalité s'écrit « = »");
  refused("= a = 1 && b = 2", 9, "« && » n'existe pas en FEEL : écrivez « and »");
  refused("= a = 1 & b = 2", 9, "« & » n'existe pas en FEEL : écrivez « and »");
  refused("= a || b", 5, "« || » n'existe pas en FEEL : écrivez « or »");
  refused("= a | b", 5, "écrivez « or »");
  refused("= !clarified", 3, "« ! » n'existe pas en FEEL : écrivez « not(clarified) »");
  refused("= a and ! b.c", 9, "écrivez « not(b.c) »");
  refused("= !(a or b)", 3, "écrivez « not(…) »");
  refused("${clarified}", 1, "syntaxe ${…} de Camunda 7 (JUEL) non prise en charge : écrivez « = clarified »");
  refused("  ${ !approved }", 3, "écrivez « = not(approved) »");
  refused("${amount > 1000}", 1, "écrivez « = amount > 1000 »");
  refused("#{approved}", 1, "syntaxe #{…} de Camunda 7");
  refused("${a && b}", 1, "écrivez une condition FEEL, par exemple « = montant > 0 »");
  refused("${x", 1, "Camunda 7");
  refused("= ${x}", 3, "« = x »");
  refused("= statut = 'ouvert'", 12, "pas entre apostrophes : écrivez « \"ouvert\" »");
  refused("= statut = 'ouvert", 12, "entre guillemets doubles \"…\", pas entre apostrophes");
  refused("= statut = ’ouvert’", 12, "pas entre apostrophes");
  refused("= statut = “ouvert”", 12, "guillemets typographiques « “ »");
  refused("= statut = « ouvert »", 12, "guillemets droits");
  refused("= a <> 1", 5, "« <> » n'existe pas en FEEL : écrivez « != »");
  refused("= a => 1", 5, "écrivez « >= »");
  refused("= a =< 1", 5, "écrivez « <= »");
  refused("= a + 1 > 2", 5, "pas d'arithmétique");
  refused("= a - b", 5, "pas d'arithmétique");
  refused("= a * 2", 5, "pas d'arithmétique");
  refused("= x in [1, 2]", 8, "pas de liste littérale");
  refused("= montant_éligible > 0", 11, "caractère « é » interdit hors d'une chaîne");
  refused("= a ; b", 5, "caractère inattendu « ; »");
}

static void error_structure(void **state) {
  (void)state;
  /* Empty. */
  refused("", 1, "condition vide");
  refused(" \t\n", 1, "condition vide");
  refused("=", 2, "expression vide après « = »");
  refused("  =   ", 4, "expression vide après « = »");
  refused("= ()", 4, "expression attendue entre les parenthèses");
  refused("= a and", 8, "expression incomplète");
  refused("= a >", 6, "expression incomplète");
  refused("= a and or b", 9, "« or » est un mot réservé");
  refused("= > 1", 3, "valeur attendue (nom de variable, nombre, chaîne…), « > » trouvé");
  refused("= (a and )", 10, "valeur attendue avant « ) »");
  /* Unbalanced parentheses. */
  refused("= (a > 1", 3, "parenthèse ouverte colonne 3 jamais refermée : il manque « ) »");
  refused("= ((a > 1) and b", 3, "colonne 3 jamais refermée");
  refused("= not(a", 6, "colonne 6 jamais refermée");
  refused("= count(pieces", 8, "colonne 8 jamais refermée");
  refused("= a > 1)", 8, "parenthèse « ) » fermée sans avoir été ouverte");
  refused("= (a))", 6, "sans avoir été ouverte");
  refused("= (a b)", 6, "« ) » attendue pour fermer la parenthèse de la colonne 3, « b » trouvé");
  /* Strings and numbers. */
  refused("= s = \"abc", 7, "chaîne non terminée : il manque le guillemet fermant");
  refused("= s = \"abc\\\"", 7, "chaîne non terminée");
  refused("= s = \"a\\nb\"", 9, "séquence d'échappement « \\n » inconnue");
  refused("= 1. > 0", 4, "nombre incomplet");
  refused("= 12abc", 3, "nombre mal formé « 12abc »");
  refused("= 1.2.3 = x", 3, "nombre mal formé « 1.2.3 »");
  refused("= -a", 3, "pas d'arithmétique");
  refused("= 1000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
          "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
          "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
          "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000 > 1",
          3, "nombre trop grand");
  /* Trailing garbage. */
  refused("= a b", 5, "texte inattendu « b » après une expression complète (and ou or oublié ?)");
  refused("= a > 1 \"x\"", 9, "texte inattendu « \"x\" »");
  refused("= a AND b", 5, "« AND » : les mots réservés s'écrivent en minuscules (and)");
  refused("= a > 1 Or b", 9, "minuscules (or)");
  refused("= a = 1 = 2", 9, "comparaisons enchaînées impossibles");
  refused("= 0 < a <= 10", 9, "comparaisons enchaînées");
  refused("= a.", 5, "nom de variable attendu après « . »");
  refused("= a..b", 5, "nom de variable attendu après « . »");
  refused("= a._b", 5, "caractère inattendu « _ »");
  /* Functions. */
  refused("= foo(1)", 3, "fonction inconnue « foo » : les fonctions sont not(), count(), list contains(), date() et today()");
  refused("= contains(x, 1)", 3, "fonction inconnue « contains »");
  refused("= Count(x) > 1", 3, "fonction inconnue « Count »");
  refused("= a.b(1)", 3, "fonction inconnue « a.b »");
  refused("= count(1)", 9, "count() attend un nom de variable, par exemple count(pieces)");
  refused("= count()", 9, "count() attend un nom de variable");
  refused("= count(a b)", 11, "« ) » attendue pour fermer la parenthèse de la colonne 8");
  refused("= list contains(x)", 18, "list contains() attend deux arguments");
  refused("= list contains(x, y)", 20, "attend en second une valeur littérale");
  refused("= list contains(\"a\", x)", 17, "list contains() attend un nom de variable");
  refused("= list contains x", 17, "« list contains » s'écrit comme une fonction");
  refused("= not a", 3, "« not » s'écrit comme une fonction : not(condition)");
  refused("= not", 3, "« not » s'écrit comme une fonction");
  /* Reserved words as names. */
  refused("= in = 1", 3, "« in » est un mot réservé");
  refused("= and", 3, "« and » est un mot réservé");
  refused("= a.in = 1", 5, "« in » est un mot réservé et ne peut pas servir de nom de variable");
  refused("= a.null", 5, "« null » est un mot réservé");
  refused("= true.x = 1", 3, "« true » est un mot réservé et ne peut pas servir de nom de variable");
  refused("= not.x", 3, "« not » est un mot réservé et ne peut pas servir de nom de variable");
  refused("= count(or)", 9, "« or » est un mot réservé");
  /* in lists. */
  refused("= a in 1", 8, "« in » s'écrit avec une liste entre parenthèses");
  refused("= a in ()", 9, "liste vide après « in »");
  refused("= a in (b)", 9, "ne contient que des valeurs littérales");
  refused("= a in (1, today())", 12, "valeurs littérales");
  refused("= a in (1, 2", 8, "colonne 8 jamais refermée");
  refused("= a in (1 2)", 11, "« ) » attendue pour fermer la parenthèse de la colonne 8");
  refused("= a in (1,)", 11, "valeurs littérales");
}

static void limits(void **state) {
  (void)state;
  char *text = malloc(EXPR_MAX_LENGTH + 64);
  assert_non_null(text);
  /* Nesting: EXPR_MAX_DEPTH parentheses are fine, one more is refused. */
  size_t o = 0;
  o += (size_t)sprintf(text + o, "= ");
  for (int i = 0; i < EXPR_MAX_DEPTH; i++) text[o++] = '(';
  o += (size_t)sprintf(text + o, "a");
  for (int i = 0; i < EXPR_MAX_DEPTH; i++) text[o++] = ')';
  text[o] = 0;
  expect(text, "{\"a\": true}", 1);
  o = 0;
  o += (size_t)sprintf(text + o, "= ");
  for (int i = 0; i < EXPR_MAX_DEPTH + 1; i++) text[o++] = '(';
  o += (size_t)sprintf(text + o, "a");
  for (int i = 0; i < EXPR_MAX_DEPTH + 1; i++) text[o++] = ')';
  text[o] = 0;
  refused(text, 3 + EXPR_MAX_DEPTH, "expression trop imbriquée : 64 niveaux de parenthèses au plus");
  /* not() counts as a level. */
  o = (size_t)sprintf(text, "=");
  for (int i = 0; i < EXPR_MAX_DEPTH; i++) o += (size_t)sprintf(text + o, "not(");
  o += (size_t)sprintf(text + o, "a");
  for (int i = 0; i < EXPR_MAX_DEPTH; i++) text[o++] = ')';
  text[o] = 0;
  expect(text, "{\"a\": true}", 1); /* an even number of not() */
  o = (size_t)sprintf(text, "=");
  for (int i = 0; i < EXPR_MAX_DEPTH + 1; i++) o += (size_t)sprintf(text + o, "not(");
  text[o] = 0;
  refused(text, 5 + 4 * EXPR_MAX_DEPTH, "trop imbriquée"); /* the 65th "(" */
  /* Far deeper input is refused at the limit, without exhausting the stack. */
  char *deep = malloc(EXPR_MAX_LENGTH + 1);
  assert_non_null(deep);
  deep[0] = '=';
  memset(deep + 1, '(', EXPR_MAX_LENGTH - 1);
  deep[EXPR_MAX_LENGTH] = 0;
  refused(deep, 3 + EXPR_MAX_DEPTH - 1, "trop imbriquée");
  free(deep);
  /* Length: EXPR_MAX_LENGTH bytes are fine, one more is refused. */
  o = (size_t)sprintf(text, "= a");
  while (o + 5 <= EXPR_MAX_LENGTH) o += (size_t)sprintf(text + o, " or a");
  while (o < EXPR_MAX_LENGTH) text[o++] = ' ';
  text[o] = 0;
  assert_int_equal(strlen(text), EXPR_MAX_LENGTH);
  expect(text, "{\"a\": true}", 1);
  expect(text, "{\"a\": false}", 0);
  text[o++] = ' ';
  text[o] = 0;
  refused(text, EXPR_MAX_LENGTH + 1, "condition trop longue : 4097 octets, 4096 au plus");
  /* A long and-chain evaluates without a deep recursion. */
  o = (size_t)sprintf(text, "= a");
  while (o + 6 <= EXPR_MAX_LENGTH) o += (size_t)sprintf(text + o, " and a");
  text[o] = 0;
  expect(text, "{\"a\": true}", 1);
  expect(text, NULL, -1);
  free(text);
}

/* ---- The AST, errors and robustness ----------------------------------- */

static void ast_lifecycle(void **state) {
  (void)state;
  const char *src = "  = montant >= 1000 ";
  struct expr *e = parse_ok(src);
  assert_string_equal(expr_text(e), src);
  assert_ptr_not_equal(expr_text(e), src);
  /* One AST, several documents. */
  json_t *a = json_pack("{s:i}", "montant", 1000), *b = json_pack("{s:f}", "montant", 999.99);
  assert_int_equal(expr_eval_condition(e, a, TODAY, NULL, 0), 1);
  assert_int_equal(expr_eval_condition(e, b, TODAY, NULL, 0), 0);
  assert_int_equal(expr_eval_condition(e, a, TODAY, NULL, 0), 1);
  json_decref(a);
  json_decref(b);
  expr_free(e);
  expr_free(NULL);
  /* err may be NULL; the thread's message is still set. */
  e = (struct expr *)&e;
  err_clear();
  assert_int_equal(expr_parse(&e, "= a == 1", NULL), ERR_INVALID);
  assert_null(e);
  assert_non_null(strstr(err_msg(), "colonne 5 : « == »"));
  /* A string value points into the variables document. */
  json_t *doc = json_pack("{s:s}", "s", "texte");
  struct expr_value v;
  e = parse_ok("= s");
  expr_eval(&v, e, doc, TODAY);
  assert_int_equal(v.type, EXPR_STRING);
  assert_ptr_equal(v.string, json_string_value(json_object_get(doc, "s")));
  expr_free(e);
  /* A list value is the JSON array; an object value is null. */
  json_object_set_new(doc, "l", json_pack("[i,i]", 1, 2));
  json_object_set_new(doc, "o", json_object());
  e = parse_ok("= l");
  expr_eval(&v, e, doc, TODAY);
  assert_int_equal(v.type, EXPR_LIST);
  assert_ptr_equal(v.list, json_object_get(doc, "l"));
  expr_free(e);
  e = parse_ok("= o");
  expr_eval(&v, e, doc, TODAY);
  assert_int_equal(v.type, EXPR_NULL);
  assert_null(v.list);
  expr_free(e);
  json_decref(doc);
}

/* Random texts made of the language's pieces and of junk: the parser never
 * crashes, and either succeeds or reports a column inside the text. */
static void random_input(void **state) {
  (void)state;
  static const char *const pieces[] = {
      "=", " ", "a", ".", "b", "(", ")", "and", "or", "not", "in", "true", "null", "1", "-2.5", "\"s\"",
      "\"x\\\"", ",", "<", "<=", "!=", "!", "==", "&&", "'", "${", "}", "count", "list contains", "date",
      "today", "\"2026-02-30\"", "\xc3\xa9", "\xff", "[", "#", "\\", "\t", "-", "..", "0."};
  uint32_t seed = 12345;
  json_t *doc = json_pack("{s:{s:i},s:[i,s]}", "a", "b", 1, "p", 1, "x");
  char text[256];
  for (int round = 0; round < 20000; round++) {
    size_t o = 0;
    seed = seed * 1103515245u + 12345u;
    int count = 1 + (int)((seed >> 16) % 14);
    if (round % 2) text[o++] = '=';
    for (int k = 0; k < count; k++) {
      seed = seed * 1103515245u + 12345u;
      const char *piece = pieces[(seed >> 16) % (sizeof pieces / sizeof pieces[0])];
      size_t len = strlen(piece);
      if (o + len + 1 >= sizeof text) break;
      memcpy(text + o, piece, len);
      o += len;
      if ((seed >> 8) % 3 == 0) text[o++] = ' ';
    }
    text[o] = 0;
    struct expr *e = NULL;
    struct expr_error err;
    int rc = expr_parse(&e, text, &err);
    if (rc == 0) {
      char why[128];
      int r = expr_eval_condition(e, doc, TODAY, why, sizeof why);
      if (r < -1 || r > 1) fail_msg("« %s » : %d", text, r);
      expr_free(e);
    } else {
      if (rc != ERR_INVALID || e) fail_msg("« %s » : code %d", text, rc);
      if (err.column < 1 || err.column > (int)o + 1 || !err.message[0])
        fail_msg("« %s » : colonne %d, message « %s »", text, err.column, err.message);
    }
  }
  json_decref(doc);
}

/* ---- The conditions of shared/testdata/bpmn --------------------------- */

/* Appends the text of every <…conditionExpression …>text</…> of the file
 * to `out` (XML entities of the files decoded), one per line; returns how
 * many. */
static int bpmn_conditions(const char *path, char *out, size_t size) {
  FILE *f = fopen(path, "rb");
  if (!f) fail_msg("%s illisible", path);
  char *xml = malloc(1 << 20);
  assert_non_null(xml);
  size_t n = fread(xml, 1, (1 << 20) - 1, f);
  fclose(f);
  xml[n] = 0;
  int found = 0;
  size_t o = strlen(out);
  for (char *p = xml; (p = strstr(p, "conditionExpression")) != NULL; p += 19) {
    /* Opening tags only: "<conditionExpression" or "<prefix:conditionExpression". */
    char *q = p;
    while (q > xml && (isalnum((unsigned char)q[-1]) || q[-1] == ':' || q[-1] == '_')) q--;
    if (q == xml || q[-1] != '<' || (p[19] != ' ' && p[19] != '>')) continue;
    char *gt = strchr(p, '>'), *lt = gt ? strchr(gt, '<') : NULL;
    if (!gt || !lt || gt[-1] == '/') continue;
    for (char *c = gt + 1; c < lt && o + 2 < size; c++) {
      if (!strncmp(c, "&gt;", 4)) { out[o++] = '>'; c += 3; }
      else if (!strncmp(c, "&lt;", 4)) { out[o++] = '<'; c += 3; }
      else if (!strncmp(c, "&amp;", 5)) { out[o++] = '&'; c += 4; }
      else if (!strncmp(c, "&quot;", 6)) { out[o++] = '"'; c += 5; }
      else if (!strncmp(c, "&apos;", 6)) { out[o++] = '\''; c += 5; }
      else out[o++] = *c;
    }
    out[o++] = '\n';
    out[o] = 0;
    found++;
  }
  free(xml);
  return found;
}

/* Every condition of the files of `dir`, one per line, into `out`. */
static int dir_conditions(const char *dir, char *out, size_t size) {
  char path[1024];
  int found = 0;
  DIR *d = opendir(dir);
  if (!d) fail_msg("%s illisible", dir);
  out[0] = 0;
  for (struct dirent *de; (de = readdir(d)) != NULL;) {
    size_t len = strlen(de->d_name);
    if (len < 5 || strcmp(de->d_name + len - 5, ".bpmn") != 0) continue;
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    found += bpmn_conditions(path, out, size);
  }
  closedir(d);
  return found;
}

static void bpmn_testdata_conditions(void **state) {
  (void)state;
  /* As written in the files. */
  struct expr *e;
  expect("=price >= 0", "{\"price\": 0}", 1);
  expect("=price = 0", "{\"price\": 0}", 1);
  expect("=price = 0", "{\"price\": 10}", 0);
  expect("=price >= 0", "{\"price\": -1}", 0);
  expect_why("=price >= 0", "{}", "« price » est absente (null)");
  refused("price > 0", 1, "écrivez « = price > 0 »");
  refused("price < 0", 1, "écrivez « = price < 0 »");
  refused("${clarified}", 1, "écrivez « = clarified »");
  refused("${!clarified}", 1, "écrivez « = not(clarified) »");
  refused("${approved}", 1, "écrivez « = approved »");
  refused("${!approved}", 1, "écrivez « = not(approved) »");
  /* Read from the files: every condition of accept/ parses; every
   * condition of reject/ without the "=" prefix is refused. */
  char *all = malloc(1 << 16);
  assert_non_null(all);
  int n = dir_conditions(APPUI_SHARED_DIR "/testdata/bpmn/accept", all, 1 << 16);
  if (n < 4) fail_msg("%d conditions seulement dans accept/", n);
  for (char *line = all, *nl; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
    *nl = 0;
    expr_free(parse_ok(line));
  }
  n = dir_conditions(APPUI_SHARED_DIR "/testdata/bpmn/reject", all, 1 << 16);
  if (n < 7) fail_msg("%d conditions seulement dans reject/", n);
  int juel = 0, no_equals = 0;
  for (char *line = all, *nl; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
    struct expr_error err;
    *nl = 0;
    if (line[strspn(line, " \t\r\n")] == '=') continue;
    e = NULL;
    if (expr_parse(&e, line, &err) != ERR_INVALID) fail_msg("« %s » acceptée", line);
    juel += strstr(err.message, "Camunda 7 (JUEL)") != NULL;
    no_equals += strstr(err.message, "commence par « = »") != NULL;
  }
  assert_true(juel >= 4);
  assert_true(no_equals >= 3);
  free(all);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(literals),
      cmocka_unit_test(comparison_operators),
      cmocka_unit_test(paths),
      cmocka_unit_test(and_or_not_and_parentheses),
      cmocka_unit_test(in_lists),
      cmocka_unit_test(functions),
      cmocka_unit_test(truth_tables),
      cmocka_unit_test(equality_across_types),
      cmocka_unit_test(ordering_mismatch_gives_null),
      cmocka_unit_test(dates_and_today),
      cmocka_unit_test(count_and_contains_on_non_arrays),
      cmocka_unit_test(condition_explanations),
      cmocka_unit_test(error_missing_equals),
      cmocka_unit_test(error_camunda_habits),
      cmocka_unit_test(error_structure),
      cmocka_unit_test(limits),
      cmocka_unit_test(ast_lifecycle),
      cmocka_unit_test(random_input),
      cmocka_unit_test(bpmn_testdata_conditions),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
