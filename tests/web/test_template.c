/* Tests of web/template.c: every tag kind, HTML escaping (element content
 * and attribute values), raw tags, sections over every kind of value,
 * inverted sections, the context stack and dotted names, partials and their
 * depth limit, standalone lines, UTF-8, syntax errors with their exact
 * position, render errors leaving the output untouched, embedded files,
 * concurrent rendering, and a render benchmark (printed, not asserted). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "err.h"
#include "template.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A set of the NULL-terminated (name, text) pairs; fails the test on error. */
static struct template_set *set_of(const char *name, ...) {
  struct template_set *ts = NULL;
  assert_int_equal(template_set_new(&ts), 0);
  va_list ap;
  va_start(ap, name);
  for (const char *n = name; n; n = va_arg(ap, const char *)) {
    const char *text = va_arg(ap, const char *);
    if (template_add(ts, n, text, strlen(text)) != 0) fail_msg("gabarit « %s » refusé : %s", n, err_msg());
  }
  va_end(ap);
  return ts;
}

static json_t *view_of(const char *json) {
  json_error_t e;
  json_t *v = json_loads(json, JSON_DECODE_ANY, &e);
  if (!v) fail_msg("vue invalide (%s) : %s", e.text, json);
  return v;
}

/* Renders template `name` of `ts` with the JSON view `json` and compares. */
static void expect_render(const struct template_set *ts, const char *name, const char *json, const char *expected) {
  json_t *v = view_of(json);
  struct buf out = BUF_INIT;
  int rc = template_render(&out, ts, name, v);
  if (rc) fail_msg("rendu de « %s » : %d %s", name, rc, err_msg());
  if (strcmp(buf_str(&out), expected) != 0)
    fail_msg("gabarit « %s », vue %s\nattendu : [%s]\nobtenu  : [%s]", name, json, expected, buf_str(&out));
  buf_free(&out);
  json_decref(v);
}

/* One template `text` named "t" rendered with `json`. */
static void expect(const char *text, const char *json, const char *expected) {
  struct template_set *ts = set_of("t", text, NULL);
  expect_render(ts, "t", json, expected);
  template_set_free(ts);
}

/* Adding `text` as "t" fails with ERR_INVALID and exactly message `msg`. */
static void expect_syntax(const char *text, const char *msg) {
  struct template_set *ts = set_of(NULL);
  err_clear();
  int rc = template_add(ts, "t", text, strlen(text));
  if (rc != ERR_INVALID) fail_msg("[%s] : code %d au lieu de ERR_INVALID", text, rc);
  if (strcmp(err_msg(), msg) != 0) fail_msg("[%s]\nattendu : %s\nobtenu  : %s", text, msg, err_msg());
  /* The set is unchanged: no "t" to render, and "t" can still be added. */
  struct buf out = BUF_INIT;
  assert_int_equal(template_render(&out, ts, "t", NULL), ERR_NOTFOUND);
  assert_int_equal(out.len, 0);
  assert_int_equal(template_add(ts, "t", "ok", 2), 0);
  template_set_free(ts);
  buf_free(&out);
}

static void variables(void **state) {
  (void)state;
  expect("Bonjour {{name}} !", "{\"name\":\"Agassac\"}", "Bonjour Agassac !");
  expect("[{{ name }}][{{\tname\t}}]", "{\"name\":\"x\"}", "[x][x]");
  expect("[{{missing}}][{{nothing}}]", "{\"nothing\":null}", "[][]");
  expect("{{t}} {{f}}", "{\"t\":true,\"f\":false}", "true false");
  expect("{{a}}|{{o}}", "{\"a\":[1,2],\"o\":{\"k\":1}}", "|");
  expect("no tags at all\n", "{}", "no tags at all\n");
  expect("", "{}", "");
  expect("{{.}}", "\"top\"", "top");
  expect("{ {not a tag} }", "{}", "{ {not a tag} }");
  /* A NULL view is an empty context. */
  struct template_set *ts = set_of("t", "[{{x}}]", NULL);
  struct buf out = BUF_INIT;
  assert_int_equal(template_render(&out, ts, "t", NULL), 0);
  assert_string_equal(buf_str(&out), "[]");
  buf_free(&out);
  template_set_free(ts);
}

static void numbers(void **state) {
  (void)state;
  expect("{{a}} {{b}} {{c}} {{d}}", "{\"a\":0,\"b\":-42,\"c\":31000,\"d\":9007199254740993}",
         "0 -42 31000 9007199254740993");
  expect("{{a}} {{b}} {{c}} {{d}}", "{\"a\":1.5,\"b\":0.1,\"c\":2.0,\"d\":-0.25}", "1.5 0.1 2 -0.25");
  expect("{{a}} {{b}} {{c}}", "{\"a\":1e21,\"b\":3.141592653589793,\"c\":0.30000000000000004}",
         "1e+21 3.141592653589793 0.30000000000000004");
  expect("{{a}} {{b}}", "{\"a\":1e-7,\"b\":123456.789}", "1e-07 123456.789");
}

static void escaping(void **state) {
  (void)state;
  expect("{{v}}", "{\"v\":\"&\"}", "&amp;");
  expect("{{v}}", "{\"v\":\"<\"}", "&lt;");
  expect("{{v}}", "{\"v\":\">\"}", "&gt;");
  expect("{{v}}", "{\"v\":\"\\\"\"}", "&quot;");
  expect("{{v}}", "{\"v\":\"'\"}", "&#39;");
  expect("{{v}}", "{\"v\":\"`\"}", "&#96;");
  expect("{{v}}", "{\"v\":\"=\"}", "&#61;");
  expect("{{v}}", "{\"v\":\"a&b<c>d\\\"e'f`g=h/i\"}", "a&amp;b&lt;c&gt;d&quot;e&#39;f&#96;g&#61;h/i");
  expect("{{v}}", "{\"v\":\"&amp;\"}", "&amp;amp;");
  /* Dotted names and {{.}} escape too. */
  expect("{{a.b}}{{#l}}{{.}}{{/l}}", "{\"a\":{\"b\":\"<b>\"},\"l\":[\"<i>\"]}", "&lt;b&gt;&lt;i&gt;");
  /* Attribute values, quoted either way or not quoted: inert. */
  const char *attack = "{\"v\":\"\\\"><script>alert(1)</script>\"}";
  struct template_set *ts =
      set_of("t", "<a title=\"{{v}}\" data-x='{{v}}' class={{v}} href=\"/demandes?q={{v}}\">{{v}}</a>", NULL);
  json_t *v = view_of(attack);
  struct buf out = BUF_INIT;
  assert_int_equal(template_render(&out, ts, "t", v), 0);
  const char *inert = "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;";
  char expected[512];
  snprintf(expected, sizeof expected,
           "<a title=\"%s\" data-x='%s' class=%s href=\"/demandes?q=%s\">%s</a>", inert, inert, inert, inert, inert);
  assert_string_equal(buf_str(&out), expected);
  assert_null(strstr(buf_str(&out), "<script"));
  /* Only the template's own markup has quotes and angle brackets. */
  size_t quotes = 0, angles = 0;
  for (const char *c = buf_str(&out); *c; c++) {
    quotes += *c == '"' || *c == '\'';
    angles += *c == '<' || *c == '>';
  }
  assert_int_equal(quotes, 6);
  assert_int_equal(angles, 4);
  buf_free(&out);
  json_decref(v);
  template_set_free(ts);
  /* A view string with a NUL byte keeps its length. */
  ts = set_of("t", "[{{v}}]", NULL);
  v = json_pack("{s:s%}", "v", "a\0<", (size_t)3);
  assert_int_equal(template_render(&out, ts, "t", v), 0);
  assert_int_equal(out.len, 8);
  assert_memory_equal(out.data, "[a\0&lt;]", 8);
  buf_free(&out);
  json_decref(v);
  template_set_free(ts);
}

static void raw(void **state) {
  (void)state;
  const char *html = "{\"h\":\"<em class=\\\"x\\\">a & b</em>\"}";
  expect("{{{h}}}", html, "<em class=\"x\">a & b</em>");
  expect("{{{ h }}}", html, "<em class=\"x\">a & b</em>");
  expect("{{&h}}", html, "<em class=\"x\">a & b</em>");
  expect("{{& h }}", html, "<em class=\"x\">a & b</em>");
  expect("{{h}}", html, "&lt;em class&#61;&quot;x&quot;&gt;a &amp; b&lt;/em&gt;");
  expect("{{{n}}}|{{&b}}|{{{m}}}", "{\"n\":12,\"b\":true}", "12|true|");
  expect("{{{a.b}}}", "{\"a\":{\"b\":\"<br>\"}}", "<br>");
}

static void sections(void **state) {
  (void)state;
  const char *t = "[{{#s}}yes{{/s}}]";
  expect(t, "{\"s\":true}", "[yes]");
  expect(t, "{\"s\":false}", "[]");
  expect(t, "{\"s\":null}", "[]");
  expect(t, "{}", "[]");
  expect(t, "{\"s\":[]}", "[]");
  expect(t, "{\"s\":\"\"}", "[]");
  expect(t, "{\"s\":{}}", "[yes]");
  expect(t, "{\"s\":0}", "[yes]");
  expect(t, "{\"s\":0.5}", "[yes]");
  expect(t, "{\"s\":\"x\"}", "[yes]");
  expect(t, "{\"s\":[1,2,3]}", "[yesyesyes]");
  expect(t, "{\"s\":[false]}", "[yes]");
  /* Arrays: each item on the stack. */
  expect("{{#items}}<li>{{name}}</li>{{/items}}", "{\"items\":[{\"name\":\"a\"},{\"name\":\"b<\"}]}",
         "<li>a</li><li>b&lt;</li>");
  expect("{{#l}}({{.}}){{/l}}", "{\"l\":[1,\"deux\",3.5,true,null]}", "(1)(deux)(3.5)(true)()");
  expect("{{#l}}[{{#.}}{{.}},{{/.}}]{{/l}}", "{\"l\":[[1,2],[],[3]]}", "[1,2,][][3,]");
  /* Object: pushed once. */
  expect("{{#org}}{{name}} ({{slug}}){{/org}}", "{\"org\":{\"name\":\"CAUE\",\"slug\":\"caue31\"}}",
         "CAUE (caue31)");
  /* Scalars are pushed too. */
  expect("{{#s}}<{{.}}>{{/s}}", "{\"s\":\"Mu&ret\"}", "<Mu&amp;ret>");
  expect("{{#n}}{{.}} fois{{/n}}", "{\"n\":3}", "3 fois");
  /* Dotted section names. */
  expect("{{#a.b}}{{c}}{{/a.b}}", "{\"a\":{\"b\":{\"c\":\"ok\"}}}", "ok");
  /* The same section twice, and sections side by side. */
  expect("{{#a}}1{{/a}}{{#b}}2{{/b}}{{#a}}3{{/a}}", "{\"a\":true,\"b\":false}", "13");
}

static void inverted(void **state) {
  (void)state;
  const char *t = "[{{^s}}none{{/s}}]";
  expect(t, "{\"s\":true}", "[]");
  expect(t, "{\"s\":false}", "[none]");
  expect(t, "{\"s\":null}", "[none]");
  expect(t, "{}", "[none]");
  expect(t, "{\"s\":[]}", "[none]");
  expect(t, "{\"s\":\"\"}", "[none]");
  expect(t, "{\"s\":{}}", "[]");
  expect(t, "{\"s\":0}", "[]");
  expect(t, "{\"s\":[1,2]}", "[]");
  /* The usual pair, and the context is not pushed. */
  const char *list = "{{#items}}{{.}};{{/items}}{{^items}}Aucune demande{{/items}}";
  expect(list, "{\"items\":[\"a\",\"b\"]}", "a;b;");
  expect(list, "{\"items\":[]}", "Aucune demande");
  expect("{{^a.b}}{{x}}{{/a.b}}", "{\"a\":{},\"x\":\"outer\"}", "outer");
}

static void context_stack(void **state) {
  (void)state;
  const char *view = "{\"org\":{\"name\":\"ATD\",\"offers\":[{\"title\":\"Voirie\"},{\"title\":\"Eau\",\"name\":"
                     "\"own\"}]},\"user\":{\"name\":\"Maire\"},\"title\":\"top\"}";
  /* `name` missing in the offer is found in the org, `user.name` at the top. */
  expect("{{#org}}{{#offers}}{{title}}/{{name}}/{{user.name}};{{/offers}}{{/org}}", view,
         "Voirie/ATD/Maire;Eau/own/Maire;");
  /* After the sections the outer context is back. */
  expect("{{#org}}{{#offers}}{{/offers}}{{name}}{{/org}}-{{title}}", view, "ATD-top");
  /* A key present with null in the inner context hides the outer one. */
  expect("{{#a}}[{{x}}]{{/a}}", "{\"x\":\"outer\",\"a\":{\"x\":null}}", "[]");
  /* Dotted names: the first segment up the stack, the rest within it. */
  expect("{{a.b.c}}", "{\"a\":{\"b\":{\"c\":\"deep\"}}}", "deep");
  expect("[{{a.b.c}}]", "{\"a\":{\"b\":{}},\"c\":\"x\"}", "[]");
  expect("[{{#a}}{{b.c}}{{/a}}]", "{\"a\":{\"b\":{}},\"b\":{\"c\":\"ERROR\"}}", "[]");
  expect("[{{#a}}{{b.c}}{{/a}}]", "{\"a\":{},\"b\":{\"c\":\"found\"}}", "[found]");
  expect("[{{a.b}}]", "{\"a\":\"not an object\"}", "[]");
  expect("[{{a.length}}]", "{\"a\":[1,2]}", "[]");
  /* {{.}} is the current item, and an object as {{.}} renders nothing. */
  expect("{{#o}}[{{.}}]{{/o}}", "{\"o\":{\"k\":1}}", "[]");
  /* Three levels. */
  expect("{{#a}}{{#b}}{{#c}}{{x}}{{y}}{{z}}{{/c}}{{/b}}{{/a}}",
         "{\"x\":1,\"a\":{\"y\":2,\"b\":[{\"c\":{\"z\":3}},{\"c\":{\"z\":4,\"y\":5}}]}}", "123154");
}

static void comments(void **state) {
  (void)state;
  expect("a{{! un commentaire }}b", "{}", "ab");
  expect("a{{!}}b", "{}", "ab");
  expect("a{{! sur\nplusieurs\nlignes }}b", "{}", "ab");
  expect("a{{! {{name}} n'est pas lu }}b", "{\"name\":\"x\"}", "a n'est pas lu }}b"); /* the first }} ends it */
  expect("<p>\n  {{! standalone }}\n</p>\n", "{}", "<p>\n</p>\n");
  expect("Début.\n{{!\n  Un commentaire\n  sur plusieurs lignes.\n}}\nFin.\n", "{}", "Début.\nFin.\n");
}

static void partials(void **state) {
  (void)state;
  struct template_set *ts =
      set_of("page", "<main>{{> item}}|{{>item}}</main>", "item", "<b>{{name}}</b>", "list",
             "{{#items}}{{> item}}{{/items}}", NULL);
  expect_render(ts, "page", "{\"name\":\"<x>\"}", "<main><b>&lt;x&gt;</b>|<b>&lt;x&gt;</b></main>");
  /* The partial sees the context stack where it is called. */
  expect_render(ts, "list", "{\"items\":[{\"name\":\"a\"},{}],\"name\":\"outer\"}", "<b>a</b><b>outer</b>");
  template_set_free(ts);

  /* A partial may be added after the template that uses it. */
  ts = set_of("a", "[{{> b}}]", "b", "B", NULL);
  expect_render(ts, "a", "{}", "[B]");
  template_set_free(ts);

  /* Recursion driven by the data ends with the data. */
  ts = set_of("node", "{{name}}{{#kids}}({{> node}}){{/kids}}", NULL);
  expect_render(ts, "node",
                "{\"name\":\"31\",\"kids\":[{\"name\":\"Muret\",\"kids\":[{\"name\":\"Agassac\",\"kids\":[]}]},"
                "{\"name\":\"Sicoval\",\"kids\":[]}]}",
                "31(Muret(Agassac))(Sicoval)");
  template_set_free(ts);
}

static void partial_errors(void **state) {
  (void)state;
  struct buf out = BUF_INIT;
  /* Unknown partial: found at render time, reported where it is called. */
  struct template_set *ts = set_of("page", "<main>\n  {{#a}}\n  x {{> absent}}\n{{/a}}</main>", NULL);
  json_t *v = view_of("{\"a\":true}");
  assert_int_equal(buf_puts(&out, "déjà là"), 0);
  err_clear();
  assert_int_equal(template_render(&out, ts, "page", v), ERR_INVALID);
  assert_string_equal(err_msg(), "gabarit « page », ligne 3, colonne 5 : partiel « absent » inconnu");
  assert_string_equal(buf_str(&out), "déjà là");
  assert_int_equal(out.len, strlen("déjà là"));
  /* Not called, not an error. */
  json_decref(v);
  v = view_of("{\"a\":false}");
  assert_int_equal(template_render(&out, ts, "page", v), 0);
  assert_string_equal(buf_str(&out), "déjà là<main>\n</main>");
  json_decref(v);
  template_set_free(ts);
  buf_free(&out);

  /* Endless recursion stops at TEMPLATE_PARTIAL_DEPTH. */
  ts = set_of("loop", "x{{>loop}}", NULL);
  err_clear();
  assert_int_equal(template_render(&out, ts, "loop", NULL), ERR_INVALID);
  assert_string_equal(err_msg(), "gabarit « loop », ligne 1, colonne 2 : partiel « loop » imbriqué à plus de 16 "
                                 "niveaux");
  assert_int_equal(out.len, 0);
  template_set_free(ts);
  /* Mutual recursion too; exactly TEMPLATE_PARTIAL_DEPTH levels are fine. */
  ts = set_of("a", "a{{#n}}{{>b}}{{/n}}", "b", "b{{#n}}{{>a}}{{/n}}", NULL);
  char view[1024] = "{\"n\":false}";
  for (int depth = 1; depth <= TEMPLATE_PARTIAL_DEPTH + 1; depth++) {
    char next[1024];
    snprintf(next, sizeof next, "{\"n\":%s}", view);
    memcpy(view, next, sizeof view);
    v = view_of(view);
    buf_reset(&out);
    int rc = template_render(&out, ts, "a", v);
    if (depth <= TEMPLATE_PARTIAL_DEPTH) {
      if (rc) fail_msg("profondeur %d : %s", depth, err_msg());
      assert_int_equal(out.len, (size_t)depth + 1);
    } else {
      assert_int_equal(rc, ERR_INVALID);
      assert_non_null(strstr(err_msg(), "imbriqué à plus de 16 niveaux"));
      assert_int_equal(out.len, 0);
    }
    json_decref(v);
  }
  template_set_free(ts);

  /* The context stack is bounded too: 60 sections deep, recursively. */
  char deep[1024] = "";
  for (int i = 0; i < 60; i++) strcat(deep, "{{#l}}");
  strcat(deep, "{{> r}}");
  for (int i = 0; i < 60; i++) strcat(deep, "{{/l}}");
  ts = set_of("r", deep, NULL);
  v = view_of("{\"l\":true}");
  assert_int_equal(buf_puts(&out, "avant"), 0);
  assert_int_equal(template_render(&out, ts, "r", v), ERR_INVALID);
  assert_string_equal(err_msg(), "gabarit « r », ligne 1, colonne 91 : plus de 256 contextes imbriqués");
  assert_string_equal(buf_str(&out), "avant");
  json_decref(v);
  template_set_free(ts);
  buf_free(&out);
}

static void standalone_lines(void **state) {
  (void)state;
  /* The tidy HTML case. */
  const char *ul = "<ul>\n  {{#items}}\n  <li>{{.}}</li>\n  {{/items}}\n  {{^items}}\n  <li>rien</li>\n  "
                   "{{/items}}\n</ul>\n";
  expect(ul, "{\"items\":[\"a\",\"b\"]}", "<ul>\n  <li>a</li>\n  <li>b</li>\n</ul>\n");
  expect(ul, "{\"items\":[]}", "<ul>\n  <li>rien</li>\n</ul>\n");
  /* Cases of the Mustache specification. */
  expect("| This Is\n{{#b}}\n|\n{{/b}}\n| A Line\n", "{\"b\":true}", "| This Is\n|\n| A Line\n");
  expect("| This Is\n  {{#b}}\n|\n  {{/b}}\n| A Line\n", "{\"b\":true}", "| This Is\n|\n| A Line\n");
  expect(" | {{#b}}\t|\t{{/b}} | \n", "{\"b\":true}", " | \t|\t | \n");
  expect(" | {{#b}} {{! c }} {{/b}} | \n", "{\"b\":true}", " |    | \n");
  expect(" {{#b}}YES{{/b}}\n {{#b}}GOOD{{/b}}\n", "{\"b\":true}", " YES\n GOOD\n");
  expect("|\r\n{{#b}}\r\n{{/b}}\r\n|", "{\"b\":true}", "|\r\n|");
  expect("  {{#b}}\n#{{/b}}\n/", "{\"b\":true}", "#\n/");
  expect("#{{#b}}\n/\n  {{/b}}", "{\"b\":true}", "#\n/\n");
  expect("\t{{^b}}\t\n^{{/b}}\n/", "{\"b\":false}", "^\n/");
  expect("{{#b}}\n{{/b}}", "{\"b\":true}", "");
  expect("Begin.\n{{! Comment Block! }}\nEnd.\n", "{}", "Begin.\nEnd.\n");
  expect("  12 {{! 34 }}\n", "{}", "  12 \n");
  expect("[\n{{#a}}\n{{#b}}\n{{c}}\n{{/b}}\n{{/a}}\n]\n", "{\"a\":{\"b\":[{\"c\":1},{\"c\":2}]}}", "[\n1\n2\n]\n");
  /* Variables never make a line standalone. */
  expect("  {{v}}\n", "{\"v\":\"\"}", "  \n");
  /* A standalone partial: its line goes, its indentation goes on its lines. */
  struct template_set *ts =
      set_of("t", "\\\n {{>p}}\n/\n", "p", "|\n{{{content}}}\n|\n", "u", "<ul>\n  {{#l}}\n  {{> li}}\n  {{/l}}\n</ul>\n",
             "li", "<li>\n  {{.}}\n</li>\n", "i", "{{#a}}\n  {{>j}}\n{{/a}}\n", "j", "x\n  {{>k}}\ny\n", "k", "k\nk\n",
             "inline", "> {{>k}}!\n", NULL);
  expect_render(ts, "t", "{\"content\":\"<\\n->\"}", "\\\n |\n <\n->\n |\n/\n");
  expect_render(ts, "u", "{\"l\":[\"a\",\"b\"]}", "<ul>\n  <li>\n    a\n  </li>\n  <li>\n    b\n  </li>\n</ul>\n");
  /* Nested standalone partials add up their indentation. */
  expect_render(ts, "i", "{\"a\":true}", "  x\n    k\n    k\n  y\n");
  /* A partial inside a line is not indented. */
  expect_render(ts, "inline", "{}", "> k\nk\n!\n");
  template_set_free(ts);
  /* Inside an indented partial, every line that remains gets the
   * indentation, whatever tag begins it. */
  ts = set_of("t", "<div>\n  {{> p}}\n</div>\n", "p",
              "a\n{{! c }}b\n{{! c }}{{x}}\n{{#t}}t{{/t}}\n{{#f}}f{{/f}}\n{{#l}}{{.}}\n{{/l}}!\n", NULL);
  expect_render(ts, "t", "{\"x\":\"X\",\"t\":true,\"f\":false,\"l\":[1,2]}",
                "<div>\n  a\n  b\n  X\n  t\n  \n  1\n  2\n  !\n</div>\n");
  template_set_free(ts);
}

static void utf8(void **state) {
  (void)state;
  expect("Démarches — « {{titre}} » 🏛\n", "{\"titre\":\"Réfection du pont de l'Œuf €\"}",
         "Démarches — « Réfection du pont de l&#39;Œuf € » 🏛\n");
  expect("{{{t}}}", "{\"t\":\"\xf0\x9f\x8f\x9b <b>é</b>\"}", "\xf0\x9f\x8f\x9b <b>é</b>");
  /* Non-ASCII names. */
  expect("{{#communes}}{{désignation}} {{/communes}}", "{\"communes\":[{\"désignation\":\"Fenouillet\"}]}",
         "Fenouillet ");
}

static void syntax_errors(void **state) {
  (void)state;
  expect_syntax("a\n{{#items}}\nb", "gabarit « t », ligne 2, colonne 1 : section « items » non fermée");
  expect_syntax("{{#a}}\n{{#b}}\n{{/b}}\n", "gabarit « t », ligne 1, colonne 1 : section « a » non fermée");
  expect_syntax("{{#a}}{{#b}}x{{/a}}{{/b}}",
                "gabarit « t », ligne 1, colonne 14 : « {{/a}} » ne ferme pas la section « b » ouverte ligne 1, "
                "colonne 7");
  expect_syntax("<p>\n  {{#a}}\n  é {{/b}}\n",
                "gabarit « t », ligne 3, colonne 5 : « {{/b}} » ne ferme pas la section « a » ouverte ligne 2, "
                "colonne 3");
  expect_syntax("x {{/a}}", "gabarit « t », ligne 1, colonne 3 : « {{/a}} » ferme une section qui n'est pas ouverte");
  expect_syntax("ab\nçà {{name\n}}",
                "gabarit « t », ligne 2, colonne 4 : balise non terminée : « }} » attendu sur la même ligne");
  expect_syntax("ab {{", "gabarit « t », ligne 1, colonne 4 : balise non terminée : « }} » attendu sur la même ligne");
  expect_syntax("{{{raw}}", "gabarit « t », ligne 1, colonne 1 : balise non terminée : « }}} » attendu sur la même "
                            "ligne");
  expect_syntax("a\n\n  {{! pas fini }\n", "gabarit « t », ligne 3, colonne 3 : commentaire non terminé : « }} » "
                                           "attendu");
  expect_syntax("a {{}}", "gabarit « t », ligne 1, colonne 3 : nom vide");
  expect_syntax("{{ }}", "gabarit « t », ligne 1, colonne 1 : nom vide");
  expect_syntax("\n{{# }}{{/ }}", "gabarit « t », ligne 2, colonne 1 : nom vide");
  expect_syntax("{{^}}", "gabarit « t », ligne 1, colonne 1 : nom vide");
  expect_syntax("{{{ }}}", "gabarit « t », ligne 1, colonne 1 : nom vide");
  expect_syntax("{{&}}", "gabarit « t », ligne 1, colonne 1 : nom vide");
  expect_syntax("{{>}}", "gabarit « t », ligne 1, colonne 1 : nom vide");
  expect_syntax("{{#a}}{{/}}", "gabarit « t », ligne 1, colonne 7 : nom vide");
  expect_syntax("{{a b}}", "gabarit « t », ligne 1, colonne 1 : nom invalide « a b »");
  expect_syntax("{{a..b}}", "gabarit « t », ligne 1, colonne 1 : nom invalide « a..b »");
  expect_syntax("{{.a}}", "gabarit « t », ligne 1, colonne 1 : nom invalide « .a »");
  expect_syntax("{{#a.}}{{/a.}}", "gabarit « t », ligne 1, colonne 1 : nom invalide « a. »");
  expect_syntax("{{a{{b}}", "gabarit « t », ligne 1, colonne 1 : nom invalide « a{{b »");
  expect_syntax("x\n {{=<% %>=}}",
                "gabarit « t », ligne 2, colonne 2 : le changement de délimiteurs « {{= » n'est pas pris en charge");
  expect_syntax("{{<parent}}{{/parent}}",
                "gabarit « t », ligne 1, colonne 1 : l'héritage de gabarits « {{< » n'est pas pris en charge");
  /* Too deep nesting. */
  char deep[1024] = "";
  for (int i = 0; i < 65; i++) strcat(deep, "{{#a}}");
  expect_syntax(deep, "gabarit « t », ligne 1, colonne 385 : plus de 64 sections imbriquées");
}

static void set_errors(void **state) {
  (void)state;
  struct template_set *ts = set_of("t", "x", NULL);
  assert_int_equal(template_add(ts, "t", "y", 1), ERR_CONFLICT);
  assert_non_null(strstr(err_msg(), "« t » déjà défini"));
  assert_int_equal(template_add(ts, "", "y", 1), ERR_INVALID);
  struct buf out = BUF_INIT;
  assert_int_equal(buf_puts(&out, "avant"), 0);
  assert_int_equal(template_render(&out, ts, "absent", NULL), ERR_NOTFOUND);
  assert_string_equal(err_msg(), "gabarit « absent » inconnu");
  assert_string_equal(buf_str(&out), "avant");
  /* The first one is unchanged; rendering appends. */
  assert_int_equal(template_render(&out, ts, "t", NULL), 0);
  assert_string_equal(buf_str(&out), "avantx");
  /* Text is taken by length, not up to a NUL. */
  assert_int_equal(template_add(ts, "n", "ab{{x}}cd", 7), 0);
  buf_reset(&out);
  json_t *v = view_of("{\"x\":1}");
  assert_int_equal(template_render(&out, ts, "n", v), 0);
  assert_string_equal(buf_str(&out), "ab1");
  json_decref(v);
  buf_free(&out);
  template_set_free(ts);
  template_set_free(NULL);
}

static void embedded_files(void **state) {
  (void)state;
  static const char layout[] = "<html>\n{{> demande}}\n</html>\n";
  static const char demande[] = "<h1>{{ref}}</h1>\n";
  const struct embed_file files[] = {
      {"layout.mustache", layout, sizeof layout - 1},
      {"notes.txt", "{{#pas un gabarit", 17},
      {"demande.mustache", demande, sizeof demande - 1},
      {".mustache", "", 0},
  };
  struct template_set *ts = NULL;
  assert_int_equal(template_set_new(&ts), 0);
  assert_int_equal(template_add_files(ts, files, sizeof files / sizeof files[0]), 0);
  expect_render(ts, "layout", "{\"ref\":\"2025-000042\"}", "<html>\n<h1>2025-000042</h1>\n</html>\n");
  struct buf out = BUF_INIT;
  assert_int_equal(template_render(&out, ts, "notes", NULL), ERR_NOTFOUND);
  assert_int_equal(template_render(&out, ts, "layout.mustache", NULL), ERR_NOTFOUND);
  template_set_free(ts);
  /* A broken file is reported under its base name. */
  const struct embed_file bad[] = {{"casse.mustache", "\n {{#x}}", 8}};
  assert_int_equal(template_set_new(&ts), 0);
  assert_int_equal(template_add_files(ts, bad, 1), ERR_INVALID);
  assert_string_equal(err_msg(), "gabarit « casse », ligne 2, colonne 2 : section « x » non fermée");
  template_set_free(ts);
  buf_free(&out);
}

/* The board: a layout, a 50-row table of requests through a partial. */
static const char BOARD[] =
    "<!doctype html>\n"
    "<html lang=\"fr\">\n"
    "<head><title>{{title}} — appui</title></head>\n"
    "<body>\n"
    "  <h1>{{title}}</h1>\n"
    "  <table>\n"
    "    <thead><tr><th>Référence</th><th>Collectivité</th><th>Objet</th><th>Thèmes</th><th>Statut</th>"
    "<th>Échéance</th></tr></thead>\n"
    "    <tbody>\n"
    "      {{#rows}}\n"
    "      {{> row}}\n"
    "      {{/rows}}\n"
    "      {{^rows}}\n"
    "      <tr><td colspan=\"6\">Aucune demande</td></tr>\n"
    "      {{/rows}}\n"
    "    </tbody>\n"
    "  </table>\n"
    "  <p>{{count}} demandes, page {{page.number}} sur {{page.total}}</p>\n"
    "</body>\n"
    "</html>\n";
static const char ROW[] =
    "<tr class=\"{{#late}}late{{/late}}\">\n"
    "  <td><a href=\"/demandes/{{ref}}\">{{ref}}</a></td>\n"
    "  <td>{{collectivity.name}} ({{collectivity.code}})</td>\n"
    "  <td title=\"{{title}}\">{{title}}</td>\n"
    "  <td>{{#themes}}<span class=\"tag\">{{.}}</span>{{/themes}}</td>\n"
    "  <td>{{status}}</td>\n"
    "  <td>{{due}}{{^due}}—{{/due}}</td>\n"
    "</tr>\n";

static json_t *board_view(void) {
  json_t *rows = json_array();
  for (int i = 0; i < 50; i++) {
    json_t *row = json_pack("{s:s%, s:{s:s, s:s}, s:s, s:[s,s], s:s, s:s?, s:b}", "ref", "2025-000000", (size_t)11,
                            "collectivity", "name", i % 3 ? "Saint-Gaudens" : "Communauté d'agglomération du Muretain",
                            "code", "31483", "title", "Réfection de la voirie & des trottoirs <rue du Pont>",
                            "themes", "voirie", "mobilite", "status", "en cours", "due",
                            i % 5 ? "2025-07-14" : NULL, "late", i % 7 == 0);
    assert_non_null(row);
    char ref[16];
    snprintf(ref, sizeof ref, "2025-%06d", i + 1);
    json_object_set_new(row, "ref", json_string(ref));
    json_array_append_new(rows, row);
  }
  return json_pack("{s:s, s:o, s:i, s:{s:i, s:i}}", "title", "Tableau de bord", "rows", rows, "count", 50, "page",
                   "number", 1, "total", 3);
}

struct worker {
  const struct template_set *ts;
  const json_t *view;
  const char *expected;
  int failures;
};

static void *render_many(void *arg) {
  struct worker *w = arg;
  struct buf out = BUF_INIT;
  for (int i = 0; i < 200; i++) {
    buf_reset(&out);
    if (template_render(&out, w->ts, "board", w->view) != 0 || strcmp(buf_str(&out), w->expected) != 0)
      w->failures++;
  }
  buf_free(&out);
  return NULL;
}

static void board_and_threads(void **state) {
  (void)state;
  struct template_set *ts = set_of("board", BOARD, "row", ROW, NULL);
  json_t *v = board_view();
  struct buf once = BUF_INIT;
  assert_int_equal(template_render(&once, ts, "board", v), 0);
  const char *s = buf_str(&once);
  /* Spot checks of the page. */
  assert_non_null(strstr(s, "    <tbody>\n      <tr class=\"late\">\n        <td><a href=\"/demandes/2025-000001\">"));
  assert_non_null(strstr(s, "<td title=\"Réfection de la voirie &amp; des trottoirs &lt;rue du Pont&gt;\">"));
  assert_non_null(strstr(s, "Communauté d&#39;agglomération du Muretain (31483)"));
  assert_non_null(strstr(s, "<td>—</td>"));
  assert_non_null(strstr(s, "2025-000050"));
  assert_non_null(strstr(s, "      </tr>\n    </tbody>\n"));
  assert_non_null(strstr(s, "<p>50 demandes, page 1 sur 3</p>"));
  assert_null(strstr(s, "Aucune demande"));
  assert_null(strstr(s, "{{"));
  size_t rows = 0;
  for (const char *p = s; (p = strstr(p, "<tr class=")); p++) rows++;
  assert_int_equal(rows, 50);

  /* Several threads render the same set and view at once. */
  struct worker w[4];
  pthread_t th[4];
  for (int i = 0; i < 4; i++) {
    w[i] = (struct worker){ts, v, s, 0};
    assert_int_equal(pthread_create(&th[i], NULL, render_many, &w[i]), 0);
  }
  for (int i = 0; i < 4; i++) {
    assert_int_equal(pthread_join(th[i], NULL), 0);
    assert_int_equal(w[i].failures, 0);
  }

  /* Benchmark: printed, not asserted. */
  struct buf out = BUF_INIT;
  struct timespec t0, t1;
  const int n = 10000;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int i = 0; i < n; i++) {
    buf_reset(&out);
    assert_int_equal(template_render(&out, ts, "board", v), 0);
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double us = ((double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3) / n;
  printf("board: 50 rows, %zu bytes, %d renders, %.2f µs per render\n", out.len, n, us);
  buf_free(&out);
  buf_free(&once);
  json_decref(v);
  template_set_free(ts);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(variables),
      cmocka_unit_test(numbers),
      cmocka_unit_test(escaping),
      cmocka_unit_test(raw),
      cmocka_unit_test(sections),
      cmocka_unit_test(inverted),
      cmocka_unit_test(context_stack),
      cmocka_unit_test(comments),
      cmocka_unit_test(partials),
      cmocka_unit_test(partial_errors),
      cmocka_unit_test(standalone_lines),
      cmocka_unit_test(utf8),
      cmocka_unit_test(syntax_errors),
      cmocka_unit_test(set_errors),
      cmocka_unit_test(embedded_files),
      cmocka_unit_test(board_and_threads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
