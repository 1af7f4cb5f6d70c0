/* Tests of workflows/timer.c: parsing of every accepted and refused timer
 * value (durations, dates with an offset, bounded cycles, "=path") with
 * their French messages, and due-time arithmetic on the Europe/Paris
 * calendar: P1D against PT24H across the 2025 and 2026 DST changes, due
 * times landing in the spring gap or the autumn fold, month ends, weeks,
 * fractional seconds, first due times and cycles (scheduled time, downtime).
 * Expected instants were computed independently with Python's zoneinfo. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "clock.h"
#include "err.h"
#include "timer.h"
#include <stdio.h>
#include <string.h>

#define S 1000LL   /* one second in ms */
#define H 3600000LL /* one hour in ms */

static const char *const kind_name[] = {"timeDuration", "timeDate", "timeCycle"};

/* UTC epoch ms of a UTC civil time (independent of the Paris rules). */
static int64_t Z(int y, int mo, int d, int h, int mi, int s) {
  return ((clock_days_from_civil(y, mo, d) * 86400) + h * 3600 + mi * 60 + s) * S;
}

/* Parses `text`, failing the test with the message if it is refused. */
static struct timer_spec ok(enum timer_kind kind, const char *text) {
  struct timer_spec t;
  char err[256] = "";
  memset(&t, 0x5a, sizeof t);
  if (timer_parse(&t, kind, text, err, sizeof err) != 0) fail_msg("%s « %s » refusé : %s", kind_name[kind], text, err);
  assert_int_equal(t.kind, kind);
  return t;
}

/* Asserts that `text` is refused with ERR_INVALID, a message containing
 * `needle`, saying what is accepted with an example, short enough for a
 * 256-byte buffer, also recorded as the thread's error, *out untouched. */
static void refused(enum timer_kind kind, const char *text, const char *needle) {
  struct timer_spec t, before;
  char err[256];
  memset(&t, 0x5a, sizeof t);
  memcpy(&before, &t, sizeof t);
  memset(err, 'x', sizeof err);
  err_clear();
  int rc = timer_parse(&t, kind, text, err, sizeof err);
  if (rc != ERR_INVALID) fail_msg("%s « %s » : code %d, attendu un refus", kind_name[kind], text, rc);
  if (!memchr(err, 0, sizeof err)) fail_msg("%s « %s » : message non terminé", kind_name[kind], text);
  if (!strstr(err, needle)) fail_msg("%s « %s » : message « %s » sans « %s »", kind_name[kind], text, err, needle);
  if (!strstr(err, "par exemple")) fail_msg("%s « %s » : message « %s » sans exemple", kind_name[kind], text, err);
  if (strlen(err) >= 255) fail_msg("%s « %s » : message trop long (%zu octets)", kind_name[kind], text, strlen(err));
  if (strchr(err, '\n')) fail_msg("%s « %s » : message sur plusieurs lignes", kind_name[kind], text);
  assert_string_equal(err_msg(), err);
  assert_int_equal(err_code(), ERR_INVALID);
  assert_memory_equal(&t, &before, sizeof t);
}

/* The date-time `iso` (with its offset) as UTC epoch ms. */
static int64_t at(const char *iso) { return ok(TIMER_DATE, iso).date_ms; }

/* Asserts that `from` + `duration` is the Paris wall-clock time `expect`
 * (RFC 3339 with its offset, as clock_format writes it) and that exactly
 * `elapsed` ms separate the two instants. */
static void expect_add(const char *from, const char *duration, const char *expect, int64_t elapsed) {
  int64_t t = at(from);
  struct timer_spec d = ok(TIMER_DURATION, duration);
  int64_t r = timer_add(t, &d);
  char got[32];
  clock_format(r, got);
  if (strcmp(got, expect) != 0 || r - t != elapsed)
    fail_msg("%s + %s = %s (%+lld ms), attendu %s (%+lld ms)", from, duration, got, (long long)(r - t), expect,
             (long long)elapsed);
}

/* ---- durations ---------------------------------------------------------- */

static void duration_fields_accepted(void **state) {
  (void)state;
  static const struct {
    const char *text;
    int y, mo, w, d;
    int64_t ms;
  } cases[] = {
      {"P1Y", 1, 0, 0, 0, 0},
      {"P2M", 0, 2, 0, 0, 0},
      {"P3W", 0, 0, 3, 0, 0},
      {"P4D", 0, 0, 0, 4, 0},
      {"PT5H", 0, 0, 0, 0, 5 * H},
      {"PT6M", 0, 0, 0, 0, 6 * 60 * S},
      {"PT7S", 0, 0, 0, 0, 7 * S},
      {"P1Y2M3DT4H5M6S", 1, 2, 0, 3, 4 * H + 5 * 60 * S + 6 * S},
      {"P1DT12H", 0, 0, 0, 1, 12 * H},
      {"P1MT1M", 0, 1, 0, 0, 60 * S}, /* M is months before T, minutes after */
      {"PT1H30M", 0, 0, 0, 0, 90 * 60 * S},
      {"PT36H", 0, 0, 0, 0, 36 * H}, /* no carrying into days */
      {"PT90M", 0, 0, 0, 0, 90 * 60 * S},
      {"PT1.5S", 0, 0, 0, 0, 1500},
      {"PT0.25S", 0, 0, 0, 0, 250},
      {"PT0.001S", 0, 0, 0, 0, 1},
      {"PT2.125S", 0, 0, 0, 0, 2125},
      {"PT1M0.5S", 0, 0, 0, 0, 60500},
      {"PT0S", 0, 0, 0, 0, 0},
      {"P0D", 0, 0, 0, 0, 0},
      {"P007D", 0, 0, 0, 7, 0},
      {"P100Y", 100, 0, 0, 0, 0}, /* the 100-year bound, from each side */
      {"P1200M", 0, 1200, 0, 0, 0},
      {"P5217W", 0, 0, 5217, 0, 0},
      {"P36525D", 0, 0, 0, 36525, 0},
      {"PT876600H", 0, 0, 0, 0, 876600 * H},
      {"P99Y11M29DT23H59M59.999S", 99, 11, 0, 29, 23 * H + 59 * 60 * S + 59999},
      {"  PT15M\n", 0, 0, 0, 0, 15 * 60 * S}, /* surrounding spaces, as in XML text */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct timer_spec t = ok(TIMER_DURATION, cases[i].text);
    if (t.years != cases[i].y || t.months != cases[i].mo || t.weeks != cases[i].w || t.days != cases[i].d ||
        t.ms != cases[i].ms || t.from_path || t.repeat || t.date_ms || t.path[0])
      fail_msg("« %s » : %dY %dM %dW %dD %lldms", cases[i].text, t.years, t.months, t.weeks, t.days,
               (long long)t.ms);
  }
}

static void duration_forms_refused(void **state) {
  (void)state;
  static const struct {
    const char *text, *needle;
  } cases[] = {
      {"", "durée vide"},
      {"   ", "durée vide"},
      {"P", "aucun champ"},
      {"PT", "« T » doit être suivi"},
      {"P1DT", "« T » doit être suivi"},
      {"P1.5D", "seules les secondes"},
      {"PT1.5H", "seules les secondes"},
      {"PT1.5M", "seules les secondes"},
      {"PT0.0001S", "au plus 3 décimales"},
      {"PT1.S", "après le point"},
      {"PT.5S", "avant le point"},
      {"PT1,5S", "avec un point"},
      {"P1W2D", "semaines (W)"},
      {"P1WT1H", "semaines (W)"},
      {"P1Y1W", "semaines (W)"},
      {"P1D2Y", "dans le désordre"},
      {"P1D1D", "dans le désordre"},
      {"PT1H2H", "dans le désordre"},
      {"PT1S1M", "dans le désordre"},
      {"P1DT1HT1M", "qu'une fois"},
      {"P1H", "après T"},
      {"P1S", "après T"},
      {"PT1D", "avant T"},
      {"PT1W", "avant T"},
      {"P1", "pas d'unité"},
      {"PT15", "pas d'unité"},
      {"PD", "sans nombre"},
      {"PTH", "sans nombre"},
      {"P1X", "unité « X » inconnue"},
      {"P1D!", "caractère « ! » inattendu"},
      {"P1Dé", "caractère « é » inattendu"},
      {"P 1D", "pas d'espace"},
      {"15", "commence par P"},
      {"1D", "commence par P"},
      {"-P1D", "signée"},
      {"+PT1H", "signée"},
      {"p1d", "majuscules"},
      {"PT1h", "majuscules"},
      {"R3/PT1H", "timeCycle"},
      {"2026-12-01T09:00:00Z", "timeDate"},
      {"P101Y", "100 ans"},
      {"P1201M", "100 ans"},
      {"P5218W", "100 ans"},
      {"P36526D", "100 ans"},
      {"PT876601H", "100 ans"},
      {"P100YT1S", "100 ans"},
      {"P99999999999999999999999D", "100 ans"},
      {"PT3155760000.001S", "100 ans"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) refused(TIMER_DURATION, cases[i].text, cases[i].needle);
  refused(TIMER_DURATION, NULL, "durée vide");
}

/* ---- dates -------------------------------------------------------------- */

static void date_converted_to_utc(void **state) {
  (void)state;
  static const struct {
    const char *text;
    int64_t ms;
  } cases[] = {
      {"2026-12-01T09:00:00+01:00", 1796112000LL * S},
      {"2026-12-01T08:00:00Z", 1796112000LL * S},
      {"2026-12-01T08:00:00z", 1796112000LL * S},
      {"2026-12-01t08:00:00Z", 1796112000LL * S},
      {"2026-12-01T08:00:00+00:00", 1796112000LL * S},
      {"2026-12-01T08:00:00-00:00", 1796112000LL * S},
      {"2026-12-01T09:00+01:00", 1796112000LL * S}, /* seconds may be left out */
      {"2026-07-14T10:00:00+02:00", 1784016000LL * S},
      {"2026-01-01T00:00:00-05:00", 1767243600LL * S},
      {"2025-12-31T23:30:00-01:00", 1767227400LL * S}, /* next year in UTC */
      {"2026-06-01T12:00:00+05:30", 1780295400LL * S},
      {"2024-02-29T12:00:00Z", 1709208000LL * S},
      /* An explicit offset is exact, even for a time that Paris skips. */
      {"2026-03-29T02:30:00+01:00", 1774747800LL * S},
      {"2026-12-01T09:00:00.250+01:00", 1796112000LL * S + 250},
      {"2026-12-01T09:00:00.5+01:00", 1796112000LL * S + 500},
      {"2026-12-01T09:00:00.123456789+01:00", 1796112000LL * S + 123}, /* beyond ms: dropped */
      {"2026-12-01T09:00:00.999999Z", 1796115600LL * S + 999},
      {"2026-12-01T09:00:00+18:00", 1796112000LL * S - 17 * H},
      {"2026-12-01T09:00:00-18:00", 1796112000LL * S + 19 * H},
      {"1900-01-01T00:00:00Z", -2208988800LL * S},
      {"2999-12-31T23:59:59Z", 32503679999LL * S},
      {" 2026-12-01T08:00:00Z\n", 1796112000LL * S},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct timer_spec t = ok(TIMER_DATE, cases[i].text);
    if (t.date_ms != cases[i].ms || t.from_path || t.years || t.days || t.ms)
      fail_msg("« %s » = %lld, attendu %lld", cases[i].text, (long long)t.date_ms, (long long)cases[i].ms);
  }
  /* The UTC helper agrees with the independently computed constant. */
  assert_true(Z(2026, 12, 1, 8, 0, 0) == 1796112000LL * S);
}

static void date_forms_refused(void **state) {
  (void)state;
  static const struct {
    const char *text, *needle;
  } cases[] = {
      {"", "date vide"},
      {"2026-12-01T09:00:00", "décalage horaire est obligatoire"},
      {"2026-12-01T09:00", "décalage horaire est obligatoire"},
      {"2026-12-01T09:00:00.250", "décalage horaire est obligatoire"},
      {"2026-12-01T09:00:00[Europe/Paris]", "décalage horaire est obligatoire"},
      {"2026-12-01", "décalage horaire (Z ou ±hh:mm) sont obligatoires"},
      {"2026-12-01T09:00:00+01:00[Europe/Paris]", "entre crochets"},
      {"2026-12-01T09:00:00+0100", "±hh:mm"},
      {"2026-12-01T09:00:00+01", "±hh:mm"},
      {"2026-12-01T09:00:00+1:00", "±hh:mm"},
      {"2026-12-01T09:00:00+01:000", "±hh:mm"},
      {"2026-12-01T09:00:00+19:00", "hors limites"},
      {"2026-12-01T09:00:00+01:60", "hors limites"},
      {"2026-12-01T09:00:00CET", "décalage horaire illisible"},
      {"2026-12-01T09:00:00Z+01:00", "en trop"},
      {"2026-12-01T09:00:00ZZ", "en trop"},
      {"2026-02-30T09:00:00Z", "n'existe pas"},
      {"2025-02-29T09:00:00Z", "n'existe pas"},
      {"1899-12-31T23:00:00Z", "n'existe pas"},
      {"2026-12-01T24:00:00Z", "heure invalide"},
      {"2026-12-01T09:60:00Z", "heure invalide"},
      {"2026-12-01T09:00:60Z", "heure invalide"},
      {"2026-12-01 09:00:00Z", "séparent par T"},
      {"2026-12-01T9:00:00Z", "heure illisible"},
      {"2026-12-01T09:0Z", "heure illisible"},
      {"2026-12-01T09:00:0Z", "secondes illisibles"},
      {"2026-12-01T09:00:00.Z", "après le point"},
      {"2026-12-01T09:00:00.1234567891Z", "après le point"},
      {"2026-12-01T09:00:00,5Z", "avec un point"},
      {"01/12/2026 09:00", "illisible"},
      {"20261201T090000Z", "illisible"},
      {"PT1H", "timeDuration"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) refused(TIMER_DATE, cases[i].text, cases[i].needle);
  /* The zone-less message proposes the value completed with an offset. */
  char err[256];
  struct timer_spec t;
  assert_int_equal(timer_parse(&t, TIMER_DATE, "2026-12-01T09:00:00", err, sizeof err), ERR_INVALID);
  assert_non_null(strstr(err, "2026-12-01T09:00:00+01:00"));
  assert_int_equal(timer_parse(&t, TIMER_DATE, "2026-12-01", err, sizeof err), ERR_INVALID);
  assert_non_null(strstr(err, "2026-12-01T09:00:00+01:00"));
}

/* ---- cycles ------------------------------------------------------------- */

static void cycle_accepted(void **state) {
  (void)state;
  struct timer_spec t = ok(TIMER_CYCLE, "R3/P1D");
  assert_int_equal(t.repeat, 3);
  assert_int_equal(t.days, 1);
  assert_true(t.ms == 0);
  t = ok(TIMER_CYCLE, "R1/PT1H");
  assert_int_equal(t.repeat, 1);
  assert_true(t.ms == H);
  t = ok(TIMER_CYCLE, "R100/PT10M");
  assert_int_equal(t.repeat, 100);
  assert_true(t.ms == 10 * 60 * S);
  t = ok(TIMER_CYCLE, "R5/PT0.5S");
  assert_int_equal(t.repeat, 5);
  assert_true(t.ms == 500);
  t = ok(TIMER_CYCLE, "R2/P1W");
  assert_int_equal(t.weeks, 1);
  t = ok(TIMER_CYCLE, "R12/P1M");
  assert_int_equal(t.repeat, 12);
  assert_int_equal(t.months, 1);
  t = ok(TIMER_CYCLE, "\tR7/P1DT2H ");
  assert_int_equal(t.repeat, 7);
  assert_int_equal(t.days, 1);
  assert_true(t.ms == 2 * H);
}

static void cycle_forms_refused(void **state) {
  (void)state;
  static const struct {
    const char *text, *needle;
  } cases[] = {
      {"", "cycle vide"},
      {"R/PT1H", "sans fin"},
      {"R/P1D", "sans fin"},
      {"R0/PT1H", "répétitions 0 hors limites"},
      {"R101/PT1H", "répétitions 101 hors limites"},
      {"R1000/P1D", "hors limites"},
      {"R99999999999/P1D", "hors limites"},
      {"0 0 * * *", "cron"},
      {"0 0 9 * * MON", "cron"},
      {"0 0 12 ? * MON-FRI", "cron"},
      {"*/5", "cron"},
      {"R3/2026-01-01T00:00:00Z/P1D", "date de début ou de fin"},
      {"2026-01-01T00:00:00Z/P1D", "date de début ou de fin"},
      {"R3/P1D/2026-02-01T00:00:00Z", "date de début ou de fin"},
      {"R3/2026-01-01T00:00:00Z", "date de début ou de fin"},
      {"P1D/2026-02-01T00:00:00Z", "date de début ou de fin"},
      {"PT1H", "R3/PT1H"},
      {"R3PT1H", "il manque « / »"},
      {"R3", "il manque « / »"},
      {"Rx/PT1H", "nombre de répétitions"},
      {"R3/", "période du cycle : durée vide"},
      {"R3/P1", "période du cycle : le nombre 1 n'a pas d'unité"},
      {"R3/PT1.5H", "période du cycle : seules les secondes"},
      {"R3/P1W1D", "période du cycle : les semaines"},
      {"R3/P101Y", "période du cycle : durée trop longue"},
      {"R3/PT0S", "ne peut pas être nulle"},
      {"R3/P0D", "ne peut pas être nulle"},
      {"R3 / PT1H", "pas d'espace"},
      {"r3/PT1H", "illisible"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) refused(TIMER_CYCLE, cases[i].text, cases[i].needle);
}

/* ---- "=path" ------------------------------------------------------------ */

static void path_accepted_for_every_kind(void **state) {
  (void)state;
  for (int k = TIMER_DURATION; k <= TIMER_CYCLE; k++) {
    struct timer_spec t = ok((enum timer_kind)k, "=relance.delai");
    assert_int_equal(t.from_path, 1);
    assert_string_equal(t.path, "relance.delai");
    assert_true(t.years == 0 && t.months == 0 && t.weeks == 0 && t.days == 0 && t.ms == 0 && t.date_ms == 0 &&
                t.repeat == 0);
  }
  assert_string_equal(ok(TIMER_DURATION, "= delai").path, "delai");
  assert_string_equal(ok(TIMER_DATE, " =echeance_1 ").path, "echeance_1");
  assert_string_equal(ok(TIMER_CYCLE, "=a.B_2.c3").path, "a.B_2.c3");
  assert_string_equal(ok(TIMER_DURATION, "=nullite.inactif").path, "nullite.inactif"); /* only whole words */
  /* 127 characters fit. */
  char long_path[160];
  memset(long_path, 'a', sizeof long_path);
  long_path[0] = '=';
  long_path[128] = 0;
  assert_int_equal(strlen(ok(TIMER_DURATION, long_path).path), 127);
  long_path[128] = 'a';
  long_path[129] = 0;
  refused(TIMER_DURATION, long_path, "trop long");
}

static void path_forms_refused(void **state) {
  (void)state;
  static const struct {
    const char *text, *needle;
  } cases[] = {
      {"=", "nom d'une variable"},
      {"=  ", "nom d'une variable"},
      {"=1a", "nom d'une variable"},
      {"=_a", "nom d'une variable"},
      {"=a..b", "nom d'une variable"},
      {"=a.", "nom d'une variable"},
      {"=.a", "nom d'une variable"},
      {"=a-b", "nom d'une variable"},
      {"=a b", "nom d'une variable"},
      {"=délai", "nom d'une variable"},
      {"=now()", "nom d'une variable"},
      {"=\"PT1H\"", "nom d'une variable"},
      {"=null", "« null » est un mot réservé"},
      {"=relance.true", "« true » est un mot réservé"},
  };
  for (int k = TIMER_DURATION; k <= TIMER_CYCLE; k++)
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
      refused((enum timer_kind)k, cases[i].text, cases[i].needle);
}

static void parse_error_reporting(void **state) {
  (void)state;
  struct timer_spec t;
  /* err may be NULL: the thread's message still says why. */
  err_clear();
  assert_int_equal(timer_parse(&t, TIMER_CYCLE, "R/PT1H", NULL, 0), ERR_INVALID);
  assert_non_null(strstr(err_msg(), "sans fin"));
  /* A small buffer gets a truncated, terminated copy. */
  char small[8];
  memset(small, 'x', sizeof small);
  assert_int_equal(timer_parse(&t, TIMER_DATE, "2026-12-01", small, sizeof small), ERR_INVALID);
  assert_int_equal(strlen(small), 7);
  assert_memory_equal(small, err_msg(), 7);
  /* Size 0: nothing written. */
  small[0] = 'x';
  assert_int_equal(timer_parse(&t, TIMER_DATE, "2026-12-01", small, 0), ERR_INVALID);
  assert_int_equal(small[0], 'x');
  /* Success clears every field it does not set. */
  memset(&t, 0x5a, sizeof t);
  assert_int_equal(timer_parse(&t, TIMER_DURATION, "P1D", NULL, 0), 0);
  assert_int_equal(t.from_path, 0);
  assert_int_equal(t.path[0], 0);
  assert_true(t.date_ms == 0 && t.repeat == 0 && t.ms == 0 && t.years == 0);
}

/* ---- arithmetic --------------------------------------------------------- */

static void spring_change_p1d_and_pt24h(void **state) {
  (void)state;
  /* 2026: Sunday 29 March. P1D keeps the wall-clock time (23 h elapsed),
   * PT24H is exact elapsed time (one hour later on the clock). */
  expect_add("2026-03-28T12:00:00+01:00", "P1D", "2026-03-29T12:00:00+02:00", 23 * H);
  expect_add("2026-03-28T12:00:00+01:00", "PT24H", "2026-03-29T13:00:00+02:00", 24 * H);
  /* 2025: Sunday 30 March. */
  expect_add("2025-03-29T12:00:00+01:00", "P1D", "2025-03-30T12:00:00+02:00", 23 * H);
  expect_add("2025-03-29T12:00:00+01:00", "PT24H", "2025-03-30T13:00:00+02:00", 24 * H);
  /* Hours across the switch: 01:30 CET + 1 h = 03:30 CEST. */
  expect_add("2026-03-29T01:30:00+01:00", "PT1H", "2026-03-29T03:30:00+02:00", H);
  /* Mixed: the day on the calendar, then the hours as elapsed time. */
  expect_add("2026-03-28T12:00:00+01:00", "P1DT2H", "2026-03-29T14:00:00+02:00", 25 * H);
  expect_add("2026-03-28T23:30:00+01:00", "PT1H", "2026-03-29T00:30:00+01:00", H);
}

static void autumn_change_p1d_and_pt24h(void **state) {
  (void)state;
  /* 2026: Sunday 25 October. P1D = 25 h elapsed; PT24H lands at 11:00. */
  expect_add("2026-10-24T12:00:00+02:00", "P1D", "2026-10-25T12:00:00+01:00", 25 * H);
  expect_add("2026-10-24T12:00:00+02:00", "PT24H", "2026-10-25T11:00:00+01:00", 24 * H);
  /* 2025: Sunday 26 October. */
  expect_add("2025-10-25T12:00:00+02:00", "P1D", "2025-10-26T12:00:00+01:00", 25 * H);
  expect_add("2025-10-25T12:00:00+02:00", "PT24H", "2025-10-26T11:00:00+01:00", 24 * H);
  /* Hours inside the fold: 02:30 CEST + 1 h = 02:30 CET. */
  expect_add("2026-10-25T02:30:00+02:00", "PT1H", "2026-10-25T02:30:00+01:00", H);
  expect_add("2026-10-25T02:30:00+02:00", "PT24H", "2026-10-26T01:30:00+01:00", 24 * H);
}

static void due_time_in_gap_or_fold(void **state) {
  (void)state;
  /* Landing in the spring gap: 02:30 does not exist, moved forward to 03:30. */
  expect_add("2026-03-28T02:30:00+01:00", "P1D", "2026-03-29T03:30:00+02:00", 24 * H);
  expect_add("2025-03-29T02:30:00+01:00", "P1D", "2025-03-30T03:30:00+02:00", 24 * H);
  expect_add("2024-03-30T02:30:00+01:00", "P1Y", "2025-03-30T03:30:00+02:00", 365 * 24 * H);
  expect_add("2026-03-28T02:00:00+01:00", "P1D", "2026-03-29T03:00:00+02:00", 24 * H);
  /* Landing in the autumn fold: the first occurrence (+02:00). */
  expect_add("2026-10-24T02:30:00+02:00", "P1D", "2026-10-25T02:30:00+02:00", 24 * H);
  expect_add("2025-10-25T02:30:00+02:00", "P1D", "2025-10-26T02:30:00+02:00", 24 * H);
  expect_add("2026-09-25T02:30:00+02:00", "P1M", "2026-10-25T02:30:00+02:00", 30 * 24 * H);
  expect_add("2025-10-25T02:00:00+02:00", "P1D", "2025-10-26T02:00:00+02:00", 24 * H);
  /* From the second occurrence, the next day is simply the next day. */
  expect_add("2026-10-25T02:30:00+01:00", "P1D", "2026-10-26T02:30:00+01:00", 24 * H);
  /* The UTC instants themselves (Python: 01:30Z and 00:30Z). */
  struct timer_spec d = ok(TIMER_DURATION, "P1D");
  assert_true(timer_add(at("2026-03-28T02:30:00+01:00"), &d) == Z(2026, 3, 29, 1, 30, 0));
  assert_true(timer_add(at("2026-10-24T02:30:00+02:00"), &d) == Z(2026, 10, 25, 0, 30, 0));
}

static void month_ends_clamped(void **state) {
  (void)state;
  expect_add("2026-01-31T10:00:00+01:00", "P1M", "2026-02-28T10:00:00+01:00", 28 * 24 * H);
  expect_add("2024-01-31T10:00:00+01:00", "P1M", "2024-02-29T10:00:00+01:00", 29 * 24 * H); /* leap year */
  expect_add("2026-03-31T10:00:00+02:00", "P1M", "2026-04-30T10:00:00+02:00", 30 * 24 * H);
  expect_add("2024-02-29T10:00:00+01:00", "P1Y", "2025-02-28T10:00:00+01:00", 365 * 24 * H);
  expect_add("2024-02-29T10:00:00+01:00", "P4Y", "2028-02-29T10:00:00+01:00", (4 * 365 + 1) * 24 * H);
  expect_add("2024-02-29T10:00:00+01:00", "P12M", "2025-02-28T10:00:00+01:00", 365 * 24 * H);
  /* Months are added at once, then clamped: 31 Jan + 2 months = 31 March. */
  expect_add("2026-01-31T10:00:00+01:00", "P2M", "2026-03-31T10:00:00+02:00", (59 * 24 - 1) * H);
  /* Clamped before the days are added: 28 Feb + 1 day. */
  expect_add("2026-01-31T10:00:00+01:00", "P1M1D", "2026-03-01T10:00:00+01:00", 29 * 24 * H);
  /* Across a DST change and a year end. */
  expect_add("2026-03-15T10:00:00+01:00", "P1M", "2026-04-15T10:00:00+02:00", (31 * 24 - 1) * H);
  expect_add("2025-12-15T10:00:00+01:00", "P1M", "2026-01-15T10:00:00+01:00", 31 * 24 * H);
  expect_add("2025-11-30T10:00:00+01:00", "P1Y3M", "2027-02-28T10:00:00+01:00", (365 + 90) * 24 * H);
  expect_add("2026-08-31T23:59:59+02:00", "P1M", "2026-09-30T23:59:59+02:00", 30 * 24 * H);
  /* Just after local midnight the civil date is Paris's, not UTC's:
   * 1 March 00:30 in Paris is 28 February 23:30 UTC, yet + P1M = 1 April. */
  expect_add("2026-03-01T00:30:00+01:00", "P1M", "2026-04-01T00:30:00+02:00", (31 * 24 - 1) * H);
}

static void weeks_are_seven_calendar_days(void **state) {
  (void)state;
  expect_add("2026-03-25T09:00:00+01:00", "P1W", "2026-04-01T09:00:00+02:00", (7 * 24 - 1) * H);
  expect_add("2025-10-20T09:00:00+02:00", "P2W", "2025-11-03T09:00:00+01:00", (14 * 24 + 1) * H);
  expect_add("2026-12-28T09:00:00+01:00", "P1W", "2027-01-04T09:00:00+01:00", 7 * 24 * H);
  /* Same as P7D. */
  struct timer_spec w = ok(TIMER_DURATION, "P1W"), d = ok(TIMER_DURATION, "P7D");
  int64_t from = at("2026-03-25T09:00:00+01:00");
  assert_true(timer_add(from, &w) == timer_add(from, &d));
}

static void fractional_seconds_and_milliseconds(void **state) {
  (void)state;
  int64_t from = at("2026-03-28T12:00:00+01:00");
  struct timer_spec d = ok(TIMER_DURATION, "PT1.5S");
  assert_true(timer_add(from, &d) == from + 1500);
  d = ok(TIMER_DURATION, "PT0.001S");
  assert_true(timer_add(from, &d) == from + 1);
  /* The day on the calendar, then half a second. */
  d = ok(TIMER_DURATION, "P1DT0.5S");
  assert_true(timer_add(from, &d) == from + 23 * H + 500);
  /* The milliseconds of the starting instant survive calendar arithmetic,
   * including across the gap. */
  int64_t with_ms = at("2026-03-28T02:30:00.250+01:00");
  d = ok(TIMER_DURATION, "P1D");
  assert_true(timer_add(with_ms, &d) == Z(2026, 3, 29, 1, 30, 0) + 250);
  with_ms = at("2026-01-31T10:00:00.999+01:00");
  d = ok(TIMER_DURATION, "P1M");
  assert_true(timer_add(with_ms, &d) == Z(2026, 2, 28, 9, 0, 0) + 999);
  /* Zero durations leave the time as it is, even in the fold's second hour. */
  int64_t fold2 = at("2026-10-25T02:30:00+01:00");
  d = ok(TIMER_DURATION, "PT0S");
  assert_true(timer_add(fold2, &d) == fold2);
  d = ok(TIMER_DURATION, "P0D");
  assert_true(timer_add(fold2, &d) == fold2);
  /* Before 1970 (negative times): floor, not truncation, of the seconds. */
  d = ok(TIMER_DURATION, "P1D");
  assert_true(timer_add(Z(1969, 12, 31, 12, 0, 0) - 1, &d) == Z(1970, 1, 1, 12, 0, 0) - 1);
}

static void first_due_per_kind(void **state) {
  (void)state;
  int64_t now = at("2026-03-28T12:00:00+01:00");
  struct timer_spec t = ok(TIMER_DURATION, "P1D");
  assert_true(timer_first_due(&t, now) == now + 23 * H);
  t = ok(TIMER_DURATION, "PT15M");
  assert_true(timer_first_due(&t, now) == now + 15 * 60 * S);
  /* A date is its own due time, whatever `now` is (past dates fire at once). */
  t = ok(TIMER_DATE, "2026-12-01T09:00:00+01:00");
  assert_true(timer_first_due(&t, now) == 1796112000LL * S);
  assert_true(timer_first_due(&t, 1796112000LL * S + 86400 * S) == 1796112000LL * S);
  /* A cycle first fires one period after being armed. */
  t = ok(TIMER_CYCLE, "R3/P1D");
  assert_true(timer_first_due(&t, now) == now + 23 * H);
  t = ok(TIMER_CYCLE, "R3/PT24H");
  assert_true(timer_first_due(&t, now) == now + 24 * H);
}

static void cycle_next_due_from_schedule(void **state) {
  (void)state;
  struct timer_spec c = ok(TIMER_CYCLE, "R5/PT1H");
  int64_t scheduled = at("2026-12-01T09:00:00+01:00");
  /* Fired 2 minutes late: the next one stays on the hour. */
  assert_true(timer_next_due(&c, scheduled, scheduled + 2 * 60 * S) == scheduled + H);
  assert_true(timer_next_due(&c, scheduled, scheduled) == scheduled + H);
  assert_true(timer_next_due(&c, scheduled, scheduled + H - 1) == scheduled + H);
  /* Calendar periods follow the wall clock across a DST change. */
  c = ok(TIMER_CYCLE, "R3/P1D");
  scheduled = at("2026-03-28T09:00:00+01:00");
  assert_true(timer_next_due(&c, scheduled, scheduled + 5 * S) == at("2026-03-29T09:00:00+02:00"));
  scheduled = at("2026-10-24T09:00:00+02:00");
  assert_true(timer_next_due(&c, scheduled, scheduled + 5 * S) == at("2026-10-25T09:00:00+01:00"));
}

static void cycle_after_downtime_restarts_from_now(void **state) {
  (void)state;
  struct timer_spec c = ok(TIMER_CYCLE, "R10/PT1H");
  int64_t scheduled = at("2026-12-01T09:00:00+01:00");
  /* Down for 5 hours: one firing now, the next one an hour from now. */
  int64_t now = scheduled + 5 * H + 7 * 60 * S;
  assert_true(timer_next_due(&c, scheduled, now) == now + H);
  /* Exactly at the next due: it is already due, so from now as well. */
  assert_true(timer_next_due(&c, scheduled, scheduled + H) == scheduled + 2 * H);
  /* One ms before the next due: still on schedule. */
  assert_true(timer_next_due(&c, scheduled, scheduled + H - 1) == scheduled + H);
  /* With a calendar period, "from now" is also on the calendar. */
  c = ok(TIMER_CYCLE, "R3/P1D");
  scheduled = at("2026-03-25T08:00:00+01:00");
  now = at("2026-03-28T10:00:00+01:00");
  assert_true(timer_next_due(&c, scheduled, now) == at("2026-03-29T10:00:00+02:00"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(duration_fields_accepted),
      cmocka_unit_test(duration_forms_refused),
      cmocka_unit_test(date_converted_to_utc),
      cmocka_unit_test(date_forms_refused),
      cmocka_unit_test(cycle_accepted),
      cmocka_unit_test(cycle_forms_refused),
      cmocka_unit_test(path_accepted_for_every_kind),
      cmocka_unit_test(path_forms_refused),
      cmocka_unit_test(parse_error_reporting),
      cmocka_unit_test(spring_change_p1d_and_pt24h),
      cmocka_unit_test(autumn_change_p1d_and_pt24h),
      cmocka_unit_test(due_time_in_gap_or_fold),
      cmocka_unit_test(month_ends_clamped),
      cmocka_unit_test(weeks_are_seven_calendar_days),
      cmocka_unit_test(fractional_seconds_and_milliseconds),
      cmocka_unit_test(first_due_per_kind),
      cmocka_unit_test(cycle_next_due_from_schedule),
      cmocka_unit_test(cycle_after_downtime_restarts_from_now),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
