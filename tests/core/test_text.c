/* Tests of core/text.c: UTF-8 validation (overlong forms, surrogates, code
 * points beyond U+10FFFF, truncated sequences, control characters),
 * character counts, slugs, e-mail addresses, trimming and the messages of
 * text_check_field(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "err.h"
#include "text.h"
#include <stdlib.h>
#include <string.h>

static int valid(const char *s) { return text_valid_utf8(s, strlen(s)); }

static void utf8_accepts_text(void **state) {
  (void)state;
  assert_int_equal(valid(""), 1);
  assert_int_equal(valid("Réfection de la voirie communale"), 1);
  assert_int_equal(valid("Saint-Bertrand-de-Comminges\tœ Œ æ"), 1);
  assert_int_equal(valid("ligne 1\nligne 2\r\n"), 1);
  assert_int_equal(valid("€ 100 — « devis »"), 1);
  assert_int_equal(valid("\xf0\x9f\x8f\x9b"), 1); /* U+1F3DB, 4 bytes */
  /* Boundaries of each length. */
  assert_int_equal(valid("\x7e"), 1);             /* ~ */
  assert_int_equal(valid("\xc2\x80"), 1);         /* U+0080, first 2-byte */
  assert_int_equal(valid("\xdf\xbf"), 1);         /* U+07FF */
  assert_int_equal(valid("\xe0\xa0\x80"), 1);     /* U+0800, first 3-byte */
  assert_int_equal(valid("\xed\x9f\xbf"), 1);     /* U+D7FF, just before the surrogates */
  assert_int_equal(valid("\xee\x80\x80"), 1);     /* U+E000, just after */
  assert_int_equal(valid("\xef\xbf\xbf"), 1);     /* U+FFFF */
  assert_int_equal(valid("\xf0\x90\x80\x80"), 1); /* U+10000, first 4-byte */
  assert_int_equal(valid("\xf4\x8f\xbf\xbf"), 1); /* U+10FFFF, the last code point */
  /* Only the n bytes given are checked. */
  assert_int_equal(text_valid_utf8("ab\x01", 2), 1);
  assert_int_equal(text_valid_utf8("anything", 0), 1);
}

static void utf8_refuses_overlong_forms(void **state) {
  (void)state;
  static const char *const bad[] = {
      "\xc0\x80",         /* NUL in two bytes */
      "\xc0\xaf",         /* '/' in two bytes */
      "\xc1\xbf",         /* U+007F in two bytes */
      "\xe0\x80\x80",     /* NUL in three bytes */
      "\xe0\x80\xaf",     /* '/' in three bytes */
      "\xe0\x9f\xbf",     /* U+07FF in three bytes */
      "\xf0\x80\x80\x80", /* NUL in four bytes */
      "\xf0\x8f\xbf\xbf", /* U+FFFF in four bytes */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    if (valid(bad[i])) fail_msg("forme trop longue acceptée (n° %zu)", i);
}

static void utf8_refuses_surrogates_and_out_of_range(void **state) {
  (void)state;
  static const char *const bad[] = {
      "\xed\xa0\x80",         /* U+D800 */
      "\xed\xad\xbf",         /* U+DB7F */
      "\xed\xb0\x80",         /* U+DC00 */
      "\xed\xbf\xbf",         /* U+DFFF */
      "\xed\xa0\xbd\xed\xb2\xa9", /* a CESU-8 surrogate pair */
      "\xf4\x90\x80\x80",     /* U+110000 */
      "\xf7\xbf\xbf\xbf",     /* U+1FFFFF */
      "\xf8\x88\x80\x80\x80", /* 5-byte form */
      "\xfc\x84\x80\x80\x80\x80", /* 6-byte form */
      "\xfe",
      "\xff",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    if (valid(bad[i])) fail_msg("séquence interdite acceptée (n° %zu)", i);
}

static void utf8_refuses_broken_sequences(void **state) {
  (void)state;
  static const char *const bad[] = {
      "\x80",             /* lone continuation byte */
      "a\xbf",            /* continuation after ASCII */
      "\xc3",             /* truncated 2-byte at the end */
      "\xc3(",            /* lead byte followed by ASCII */
      "\xe2\x82",         /* truncated 3-byte */
      "\xe2\x82(",
      "\xf0\x9f\x8f",     /* truncated 4-byte */
      "\xc3\xa9\xa9",     /* extra continuation */
      "caf\xe9",          /* Latin-1, not UTF-8 */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    if (valid(bad[i])) fail_msg("séquence cassée acceptée (n° %zu)", i);
  /* A sequence cut by the length given is cut. */
  assert_int_equal(text_valid_utf8("\xc3\xa9", 1), 0);
  assert_int_equal(text_valid_utf8("\xf0\x9f\x8f\x9b", 3), 0);
}

static void utf8_refuses_controls(void **state) {
  (void)state;
  /* NUL inside the given length. */
  assert_int_equal(text_valid_utf8("a\0b", 3), 0);
  /* Every C0 control but tab, line feed and carriage return. */
  for (int c = 1; c < 0x20; c++) {
    char s[4] = {'a', (char)c, 'b', 0};
    int expect = c == '\t' || c == '\n' || c == '\r';
    if (text_valid_utf8(s, 3) != expect) fail_msg("caractère de contrôle 0x%02x : %d", c, !expect);
  }
}

static void chars_count_code_points(void **state) {
  (void)state;
  assert_int_equal(text_chars(""), 0);
  assert_int_equal(text_chars("abc"), 3);
  assert_int_equal(text_chars("é"), 1);
  assert_int_equal(text_chars("aé€\xf0\x9f\x8f\x9b"), 4);
  assert_int_equal(text_chars("Démocratie participative"), 24);
}

static void slugs(void **state) {
  (void)state;
  static const char *const good[] = {"ab", "atd31", "caue31", "democratie-participative", "a-b", "a--b", "31",
                                     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" /* 40 */};
  static const char *const bad[] = {"", "a", "-ab", "ab-", "-", "--", "Atd31", "atd_31", "atd 31", "atd.31",
                                    "démo", "atd/31", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" /* 41 */};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
    if (!text_is_slug(good[i])) fail_msg("« %s » refusé", good[i]);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    if (text_is_slug(bad[i])) fail_msg("« %s » accepté", bad[i]);
  assert_int_equal(text_is_slug(NULL), 0);
}

static void emails(void **state) {
  (void)state;
  static const char *const good[] = {"a@b.fr", "maire@agassac.example", "secretariat.mairie@muret.fr",
                                     "prenom.nom+appui@haute-garonne.fr", "DGS@Sicoval.FR"};
  static const char *const bad[] = {
      "",           "maire",          "maire@",          "@agassac.fr",     "maire@agassac",
      "maire@.fr",  "maire@agassac.", "maire@agassac.f", "ma ire@agassac.fr", "maire@agas sac.fr",
      "a@b@c.fr",   "maire@agassac.fr\n", "\tmaire@agassac.fr", "<maire@agassac.fr>",
      "maire@agassac.fr, dgs@muret.fr", "\"maire\"@agassac.fr",
  };
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
    if (!text_is_email(good[i])) fail_msg("« %s » refusé", good[i]);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    if (text_is_email(bad[i])) fail_msg("« %s » accepté", bad[i]);
  assert_int_equal(text_is_email(NULL), 0);
  /* 254 bytes is the limit. */
  char longest[300];
  memset(longest, 'a', sizeof longest);
  size_t local = 254 - strlen("@mairie.fr");
  memcpy(longest + local, "@mairie.fr", strlen("@mairie.fr") + 1);
  assert_int_equal(strlen(longest), 254);
  assert_int_equal(text_is_email(longest), 1);
  memset(longest, 'a', sizeof longest);
  memcpy(longest + local + 1, "@mairie.fr", strlen("@mairie.fr") + 1);
  assert_int_equal(strlen(longest), 255);
  assert_int_equal(text_is_email(longest), 0);
}

static void trim(void **state) {
  (void)state;
  char *t = text_trim_dup("  \t Réfection du pont \r\n ");
  assert_non_null(t);
  assert_string_equal(t, "Réfection du pont");
  free(t);
  t = text_trim_dup(" \n\t ");
  assert_non_null(t);
  assert_string_equal(t, "");
  free(t);
  t = text_trim_dup("déjà propre");
  assert_string_equal(t, "déjà propre");
  free(t);
  assert_null(text_trim_dup(NULL));
}

/* Asserts that text_check_field refuses `s` with ERR_INVALID naming `field`,
 * a message starting with the label and containing `needle`. */
static void expect_refused(const char *s, size_t max, const char *needle) {
  err_clear();
  int rc = text_check_field(s, "title", "titre", max);
  if (rc != ERR_INVALID) fail_msg("« %s » : code %d au lieu de ERR_INVALID", s ? s : "(NULL)", rc);
  assert_string_equal(err_field(), "title");
  if (strncmp(err_msg(), "titre", 5) != 0) fail_msg("message sans le libellé : %s", err_msg());
  if (!strstr(err_msg(), needle)) fail_msg("message sans « %s » : %s", needle, err_msg());
}

static void check_field(void **state) {
  (void)state;
  assert_int_equal(text_check_field("Voirie", "title", "titre", 200), 0);
  assert_int_equal(text_check_field("ééééé", "title", "titre", 5), 0); /* 10 bytes, 5 characters */
  assert_int_equal(text_check_field(" x ", "title", "titre", 3), 0);
  expect_refused(NULL, 200, "obligatoire");
  expect_refused("", 200, "vide");
  expect_refused("  \t\r\n ", 200, "vide");
  /* Unicode white space is blank too: no-break space, em space, ideographic
   * space, narrow no-break space, line separator. */
  expect_refused("\xc2\xa0", 200, "vide");
  expect_refused(" \xc2\xa0\xe2\x80\x83\xe3\x80\x80\xe2\x80\xaf\xe2\x80\xa8 ", 200, "vide");
  assert_int_equal(text_check_field("Saint\xc2\xa0Gaudens", "title", "titre", 200), 0);
  assert_int_equal(text_check_field("\xc2\xa0x", "title", "titre", 200), 0);
  expect_refused("caf\xe9", 200, "UTF-8");
  expect_refused("bip\x07", 200, "contrôle");
  expect_refused("éééééé", 5, "6 caractères, 5 au plus");
  /* Another field and label are named as given. */
  err_clear();
  assert_int_equal(text_check_field("", "description", "description", 10), ERR_INVALID);
  assert_string_equal(err_field(), "description");
  assert_non_null(strstr(err_msg(), "description"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(utf8_accepts_text),
      cmocka_unit_test(utf8_refuses_overlong_forms),
      cmocka_unit_test(utf8_refuses_surrogates_and_out_of_range),
      cmocka_unit_test(utf8_refuses_broken_sequences),
      cmocka_unit_test(utf8_refuses_controls),
      cmocka_unit_test(chars_count_code_points),
      cmocka_unit_test(slugs),
      cmocka_unit_test(emails),
      cmocka_unit_test(trim),
      cmocka_unit_test(check_field),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
