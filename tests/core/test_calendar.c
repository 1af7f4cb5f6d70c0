/* Tests of core/calendar.c: Easter (known dates, and every year 1583–9999
 * against Gauss's algorithm), the French public holidays and their names,
 * business days, adding business days, business time between instants
 * and its inverse, due dates (long weekends, Saturdays, daylight-saving
 * switches), and the rejection of bad input. Expected instants were
 * computed independently (Python's datetime with zoneinfo Europe/Paris). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "calendar.h"
#include "clock.h"
#include "err.h"
#include <stdio.h>
#include <string.h>

#define HOUR 3600000LL
#define DAY CALENDAR_DAY_MS

static int64_t D(int y, int m, int d) { return clock_days_from_civil(y, m, d); }

/* The instant of a Europe/Paris wall-clock time. */
static int64_t P(int y, int mo, int d, int h, int mi) { return clock_paris_to_utc(y, mo, d, h, mi, 0, 0); }

/* 0 = Monday … 6 = Sunday. */
static int wday(int64_t day) { return (int)(((day % 7 + 7) % 7 + 3) % 7); }

/* Asserts that `ms` is the Paris wall-clock time y-mo-d h:mi with UTC offset `off` minutes. */
static void expect_local(int64_t ms, int y, int mo, int d, int h, int mi, int off) {
  struct civil c;
  clock_paris(ms, &c);
  if (c.year != y || c.month != mo || c.day != d || c.hour != h || c.minute != mi || c.second != 0 ||
      c.offset_min != off || ms % 1000 != 0)
    fail_msg("%lld = %04d-%02d-%02d %02d:%02d:%02d %+d, attendu %04d-%02d-%02d %02d:%02d %+d", (long long)ms, c.year,
             c.month, c.day, c.hour, c.minute, c.second, c.offset_min, y, mo, d, h, mi, off);
}

/* Asserts that the last call failed with ERR_INVALID on `field`, with a
 * French message containing `needle`. */
static void expect_invalid(int rc, const char *field, const char *needle) {
  assert_int_equal(rc, ERR_INVALID);
  assert_int_equal(err_code(), ERR_INVALID);
  assert_string_equal(err_field(), field);
  if (!strstr(err_msg(), needle)) fail_msg("message « %s » sans « %s »", err_msg(), needle);
  err_clear();
}

/* Gauss's Easter algorithm with its two exceptions, independent of the
 * anonymous algorithm used by calendar_easter(). */
static void gauss_easter(int y, int *month, int *day) {
  int a = y % 19, b = y % 4, c = y % 7, k = y / 100;
  int p = (13 + 8 * k) / 25, q = k / 4;
  int M = (15 - p + k - q) % 30, N = (4 + k - q) % 7;
  int d = (19 * a + M) % 30, e = (2 * b + 4 * c + 6 * d + N) % 7;
  if (d == 29 && e == 6) {
    *month = 4;
    *day = 19;
  } else if (d == 28 && e == 6 && (11 * M + 11) % 30 < 19) {
    *month = 4;
    *day = 18;
  } else if (22 + d + e <= 31) {
    *month = 3;
    *day = 22 + d + e;
  } else {
    *month = 4;
    *day = d + e - 9;
  }
}

static void easter_known_dates(void **state) {
  (void)state;
  static const int known[][3] = {{2000, 4, 23}, {2019, 4, 21}, {2024, 3, 31}, {2025, 4, 20}, {2026, 4, 5},
                                 {2027, 3, 28}, {2038, 4, 25}, {2285, 3, 22}, {1583, 4, 10}, {1818, 3, 22},
                                 {1943, 4, 25}, {2008, 3, 23}, {9999, 3, 28}};
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
    int m = 0, d = 0;
    assert_int_equal(calendar_easter(&m, &d, known[i][0]), 0);
    if (m != known[i][1] || d != known[i][2])
      fail_msg("Pâques %d = %02d-%02d, attendu %02d-%02d", known[i][0], m, d, known[i][1], known[i][2]);
  }
}

static void easter_every_year_is_a_sunday_and_agrees_with_gauss(void **state) {
  (void)state;
  for (int y = 1583; y <= 9999; y++) {
    int m = 0, d = 0, gm = 0, gd = 0;
    assert_int_equal(calendar_easter(&m, &d, y), 0);
    gauss_easter(y, &gm, &gd);
    if (m != gm || d != gd) fail_msg("Pâques %d = %02d-%02d, Gauss %02d-%02d", y, m, d, gm, gd);
    int64_t day = D(y, m, d);
    assert_int_equal(wday(day), 6);
    assert_true(day >= D(y, 3, 22) && day <= D(y, 4, 25));
  }
}

static void easter_rejects_years_outside_1583_9999(void **state) {
  (void)state;
  static const int bad[] = {1500, 1582, 10000, 0, -2026};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int m = 77, d = 88;
    expect_invalid(calendar_easter(&m, &d, bad[i]), "year", "année invalide");
    assert_int_equal(m, 77);
    assert_int_equal(d, 88);
  }
}

static void holidays_of_2026(void **state) {
  (void)state;
  static const struct {
    int month, day;
    const char *name;
  } h[] = {{1, 1, "Jour de l'an"},       {4, 6, "Lundi de Pâques"},     {5, 1, "Fête du Travail"},
           {5, 8, "Victoire 1945"},      {5, 14, "Ascension"},          {5, 25, "Lundi de Pentecôte"},
           {7, 14, "Fête nationale"},    {8, 15, "Assomption"},         {11, 1, "Toussaint"},
           {11, 11, "Armistice 1918"},   {12, 25, "Noël"}};
  for (size_t i = 0; i < sizeof h / sizeof h[0]; i++) {
    int64_t day = D(2026, h[i].month, h[i].day);
    const char *name = calendar_holiday(day);
    if (!name || strcmp(name, h[i].name) != 0)
      fail_msg("2026-%02d-%02d : « %s », attendu « %s »", h[i].month, h[i].day, name ? name : "(aucun)", h[i].name);
    assert_null(calendar_holiday(day - 1));
    assert_null(calendar_holiday(day + 1));
    assert_int_equal(calendar_is_business_day(day), 0);
  }
  /* Exactly these 11 days in the whole year. */
  int n = 0;
  for (int64_t day = D(2026, 1, 1); day < D(2027, 1, 1); day++) n += calendar_holiday(day) != NULL;
  assert_int_equal(n, 11);
  assert_null(calendar_holiday(D(2026, 4, 5))); /* Easter Sunday itself is not on the list */
  assert_null(calendar_holiday(D(2026, 5, 24))); /* nor Whit Sunday */
}

static void easter_derived_holidays_over_several_years(void **state) {
  (void)state;
  /* year, Easter Monday, Ascension, Whit Monday (month, day each). */
  static const int y[][7] = {{2000, 4, 24, 6, 1, 6, 12},   {2019, 4, 22, 5, 30, 6, 10}, {2024, 4, 1, 5, 9, 5, 20},
                             {2025, 4, 21, 5, 29, 6, 9},   {2027, 3, 29, 5, 6, 5, 17},  {2038, 4, 26, 6, 3, 6, 14},
                             {2285, 3, 23, 4, 30, 5, 11}};
  for (size_t i = 0; i < sizeof y / sizeof y[0]; i++) {
    int64_t mon = D(y[i][0], y[i][1], y[i][2]), asc = D(y[i][0], y[i][3], y[i][4]),
            whit = D(y[i][0], y[i][5], y[i][6]);
    const char *a = calendar_holiday(mon), *b = calendar_holiday(asc), *c = calendar_holiday(whit);
    if (!a || !b || !c || strcmp(a, "Lundi de Pâques") || strcmp(b, "Ascension") || strcmp(c, "Lundi de Pentecôte"))
      fail_msg("%d : « %s », « %s », « %s »", y[i][0], a ? a : "-", b ? b : "-", c ? c : "-");
    assert_int_equal(wday(mon), 0);
    assert_int_equal(wday(asc), 3);
    assert_int_equal(wday(whit), 0);
    /* The days around Ascension are not holidays, except 8 May (2024) or 1 May (2285). */
    if (asc - 1 != D(y[i][0], 5, 8)) assert_null(calendar_holiday(asc - 1));
    if (asc + 1 != D(y[i][0], 5, 1)) assert_null(calendar_holiday(asc + 1));
    assert_null(calendar_holiday(whit + 1));
  }
  /* Ascension on 1 May (2008) and on 8 May (1997): one holiday, the fixed name. */
  assert_string_equal(calendar_holiday(D(2008, 5, 1)), "Fête du Travail");
  assert_string_equal(calendar_holiday(D(1997, 5, 8)), "Victoire 1945");
  assert_string_equal(calendar_holiday(D(2008, 5, 12)), "Lundi de Pentecôte");
  int n = 0;
  for (int64_t day = D(2008, 1, 1); day < D(2009, 1, 1); day++) n += calendar_holiday(day) != NULL;
  assert_int_equal(n, 10);
  /* Far years are computed the same way, not looked up: each has its
   * Easter Monday (a Monday, 23 March to 26 April) and Whit Monday
   * (49 days later); day numbers far outside any real date do not fail. */
  static const int far[] = {1, 1000, 1582, 9999, 10000, 123456, 3000000};
  for (size_t i = 0; i < sizeof far / sizeof far[0]; i++) {
    int found = 0;
    for (int64_t day = D(far[i], 3, 23); day <= D(far[i], 4, 26); day++) {
      const char *name = calendar_holiday(day);
      if (!name) continue;
      assert_string_equal(name, "Lundi de Pâques");
      assert_int_equal(wday(day), 0);
      assert_string_equal(calendar_holiday(day + 49), "Lundi de Pentecôte");
      found++;
    }
    assert_int_equal(found, 1);
    assert_string_equal(calendar_holiday(D(far[i], 12, 25)), "Noël");
  }
  assert_string_equal(calendar_holiday(D(-4000, 7, 14)), "Fête nationale");
  /* Around day 4e12 (year about 11 billion, beyond an int): find 23 March,
   * then the one Easter Monday of that spring must be a Monday. */
  int64_t day = 4000000000000LL;
  for (;;) {
    int yy, mm, dd;
    clock_civil_from_days(day, &yy, &mm, &dd);
    if (mm == 3 && dd == 23) break;
    day++;
  }
  int found = 0;
  for (int64_t d = day; d <= day + 34; d++) {
    const char *name = calendar_holiday(d);
    if (!name) continue;
    assert_string_equal(name, "Lundi de Pâques");
    assert_int_equal(wday(d), 0);
    assert_string_equal(calendar_holiday(d + 38), "Ascension");
    found++;
  }
  assert_int_equal(found, 1);
  (void)calendar_holiday(INT64_MAX);
  (void)calendar_holiday(INT64_MIN);
  (void)calendar_is_business_day(INT64_MAX);
  (void)calendar_is_business_day(INT64_MIN);
}

static void weekends_and_holidays_are_not_business_days(void **state) {
  (void)state;
  /* 1–5 June 2026 is a plain Monday-to-Friday week. */
  for (int d = 1; d <= 5; d++) assert_int_equal(calendar_is_business_day(D(2026, 6, d)), 1);
  assert_int_equal(calendar_is_business_day(D(2026, 6, 6)), 0); /* Saturday */
  assert_int_equal(calendar_is_business_day(D(2026, 6, 7)), 0); /* Sunday */
  assert_int_equal(calendar_is_business_day(D(2026, 7, 14)), 0); /* Tuesday, Fête nationale */
  assert_int_equal(calendar_is_business_day(D(2026, 7, 13)), 1);
  /* Every day of 2020–2030: business exactly when a weekday and not a holiday. */
  for (int64_t day = D(2020, 1, 1); day < D(2031, 1, 1); day++)
    assert_int_equal(calendar_is_business_day(day), wday(day) < 5 && !calendar_holiday(day));
  /* Whole years (counted independently with Python). */
  assert_int_equal(calendar_business_days_between(D(2025, 1, 1), D(2026, 1, 1)), 251);
  assert_int_equal(calendar_business_days_between(D(2026, 1, 1), D(2027, 1, 1)), 252);
  assert_int_equal(calendar_business_days_between(D(2027, 1, 1), D(2028, 1, 1)), 254);
  assert_int_equal(calendar_business_days_between(D(2008, 1, 1), D(2009, 1, 1)), 253);
}

static void business_days_between_matches_day_by_day_count(void **state) {
  (void)state;
  int64_t base = D(2025, 11, 20);
  for (int64_t a = base; a < base + 60; a += 3) {
    int64_t n = 0;
    for (int64_t b = a; b < a + 500; b++) {
      if (calendar_business_days_between(a, b) != n)
        fail_msg("[%lld, %lld) : %lld, attendu %lld", (long long)a, (long long)b,
                 (long long)calendar_business_days_between(a, b), (long long)n);
      n += calendar_is_business_day(b);
    }
  }
  assert_int_equal(calendar_business_days_between(D(2026, 6, 5), D(2026, 6, 1)), 0);
  assert_true(calendar_business_days_between(INT64_MIN, INT64_MAX) > 0);
}

static void add_business_days_over_christmas_and_new_year(void **state) {
  (void)state;
  /* Wednesday 24 December 2025; 25 Dec (Thursday) and 1 Jan (Thursday) are holidays. */
  static const int expect[][3] = {{2025, 12, 24}, {2025, 12, 26}, {2025, 12, 29}, {2025, 12, 30},
                                  {2025, 12, 31}, {2026, 1, 2},   {2026, 1, 5},   {2026, 1, 6}};
  for (int n = 0; n < (int)(sizeof expect / sizeof expect[0]); n++) {
    int64_t out = -1;
    assert_int_equal(calendar_add_business_days(&out, D(2025, 12, 24), n), 0);
    if (out != D(expect[n][0], expect[n][1], expect[n][2]))
      fail_msg("24/12/2025 + %d jours ouvrés : jour %lld, attendu %04d-%02d-%02d", n, (long long)out, expect[n][0],
               expect[n][1], expect[n][2]);
  }
  int64_t out = -1;
  assert_int_equal(calendar_add_business_days(&out, D(2025, 12, 25), 0), 0); /* a holiday: the next business day */
  assert_true(out == D(2025, 12, 26));
  assert_int_equal(calendar_add_business_days(&out, D(2025, 12, 27), 0), 0); /* Saturday → Monday */
  assert_true(out == D(2025, 12, 29));
  assert_int_equal(calendar_add_business_days(&out, D(2025, 12, 27), 1), 0); /* first business day after it */
  assert_true(out == D(2025, 12, 29));
  assert_int_equal(calendar_add_business_days(&out, D(2025, 12, 31), 1), 0);
  assert_true(out == D(2026, 1, 2));
  /* In general: n ≥ 1 business days later is a business day with exactly n
   * business days in (day, result]. */
  for (int64_t day = D(2026, 4, 1); day < D(2026, 6, 1); day++)
    for (int n = 1; n <= 30; n++) {
      assert_int_equal(calendar_add_business_days(&out, day, n), 0);
      assert_int_equal(calendar_is_business_day(out), 1);
      assert_int_equal(calendar_business_days_between(day + 1, out + 1), n);
    }
  assert_int_equal(calendar_add_business_days(&out, D(2026, 1, 1), CALENDAR_MAX_DAYS), 0);
  assert_true(out > D(2039, 1, 1) && out < D(2041, 1, 1));
}

static void add_business_days_rejects_bad_input(void **state) {
  (void)state;
  int64_t out = 4242;
  expect_invalid(calendar_add_business_days(&out, D(2026, 6, 1), -1), "days", "jours ouvrés");
  expect_invalid(calendar_add_business_days(&out, D(2026, 6, 1), CALENDAR_MAX_DAYS + 1), "days", "jours ouvrés");
  expect_invalid(calendar_add_business_days(&out, INT64_MAX, 1), "day", "années 1 à 9999");
  expect_invalid(calendar_add_business_days(&out, D(10000, 1, 1), 0), "day", "années 1 à 9999");
  expect_invalid(calendar_add_business_days(&out, D(0, 12, 31), 0), "day", "années 1 à 9999");
  assert_true(out == 4242);
}

static void due_across_the_whit_monday_weekend(void **state) {
  (void)state;
  int64_t out = 0;
  /* Friday 22 May 2026 10:00 + 1 day: Saturday, Sunday and Whit Monday 25 May
   * skipped → Tuesday 26 May 10:00 (1779782400000). */
  assert_true(P(2026, 5, 22, 10, 0) == 1779436800000LL);
  assert_int_equal(calendar_due(&out, P(2026, 5, 22, 10, 0), 1), 0);
  assert_true(out == 1779782400000LL);
  expect_local(out, 2026, 5, 26, 10, 0, 120);
  assert_int_equal(calendar_due(&out, P(2026, 5, 22, 10, 0), 2), 0);
  expect_local(out, 2026, 5, 27, 10, 0, 120);
  /* Ascension, Thursday 14 May 2026: Wednesday 10:00 + 1 → Friday 10:00. */
  assert_int_equal(calendar_due(&out, P(2026, 5, 13, 10, 0), 1), 0);
  expect_local(out, 2026, 5, 15, 10, 0, 120);
  /* Tuesday 10:00 + 2 → Thursday 10:00. */
  assert_int_equal(calendar_due(&out, P(2026, 6, 2, 10, 0), 2), 0);
  expect_local(out, 2026, 6, 4, 10, 0, 120);
  /* Friday 17:30 + 0 → itself. */
  assert_int_equal(calendar_due(&out, P(2026, 6, 5, 17, 30), 0), 0);
  assert_true(out == P(2026, 6, 5, 17, 30));
}

static void due_filed_on_a_non_business_day(void **state) {
  (void)state;
  int64_t out = 0;
  /* Saturday 6 June 2026 15:00: counted from Monday 8 June 00:00. */
  assert_int_equal(calendar_due(&out, P(2026, 6, 6, 15, 0), 1), 0);
  expect_local(out, 2026, 6, 9, 0, 0, 120);
  assert_int_equal(calendar_due(&out, P(2026, 6, 6, 15, 0), 2), 0);
  expect_local(out, 2026, 6, 10, 0, 0, 120);
  /* Sunday 23:59 gives the same. */
  assert_int_equal(calendar_due(&out, P(2026, 6, 7, 23, 59), 2), 0);
  expect_local(out, 2026, 6, 10, 0, 0, 120);
  /* On Ascension day 11:00, counted from Friday 15 May 00:00; one day ends
   * with Friday, at Saturday 00:00. */
  assert_int_equal(calendar_due(&out, P(2026, 5, 14, 11, 0), 1), 0);
  expect_local(out, 2026, 5, 16, 0, 0, 120);
  /* Zero days from a Saturday is the filing instant itself. */
  assert_int_equal(calendar_due(&out, P(2026, 6, 6, 15, 0), 0), 0);
  assert_true(out == P(2026, 6, 6, 15, 0));
  /* A span that ends with a business day ends at 00:00 of the next day,
   * even when that day is a Saturday: Friday 10:00 + 14 h → Saturday 00:00. */
  assert_int_equal(calendar_add_business_ms(&out, P(2026, 6, 5, 10, 0), 14 * HOUR), 0);
  expect_local(out, 2026, 6, 6, 0, 0, 120);
  assert_int_equal(calendar_add_business_ms(&out, P(2026, 6, 5, 10, 0), 14 * HOUR + 1), 0);
  assert_true(out == P(2026, 6, 8, 0, 0) + 1);
  assert_int_equal(calendar_due(&out, P(2026, 6, 4, 0, 0), 2), 0); /* Thursday 00:00 + 2 → Saturday 00:00 */
  expect_local(out, 2026, 6, 6, 0, 0, 120);
  /* Half a day from a Saturday: Monday noon. */
  assert_int_equal(calendar_add_business_ms(&out, P(2026, 6, 6, 15, 0), 12 * HOUR), 0);
  expect_local(out, 2026, 6, 8, 12, 0, 120);
}

static void due_across_daylight_saving_switches_keeps_the_local_hour(void **state) {
  (void)state;
  int64_t out = 0;
  /* Friday 27 March 2026 10:00 CET + 1: clocks go forward on Sunday 29;
   * Monday 30 March 10:00 CEST (1774857600000), 71 real hours later. */
  assert_true(P(2026, 3, 27, 10, 0) == 1774602000000LL);
  assert_int_equal(calendar_due(&out, P(2026, 3, 27, 10, 0), 1), 0);
  assert_true(out == 1774857600000LL);
  expect_local(out, 2026, 3, 30, 10, 0, 120);
  assert_true(out - P(2026, 3, 27, 10, 0) == 71 * HOUR);
  assert_true(calendar_business_ms(P(2026, 3, 27, 10, 0), out) == DAY);
  /* Friday 23 October 2026 10:00 CEST + 1: clocks go back on Sunday 25;
   * Monday 26 October 10:00 CET (1793005200000), 73 real hours later. */
  assert_int_equal(calendar_due(&out, P(2026, 10, 23, 10, 0), 1), 0);
  assert_true(out == 1793005200000LL);
  expect_local(out, 2026, 10, 26, 10, 0, 60);
  assert_true(out - P(2026, 10, 23, 10, 0) == 73 * HOUR);
  assert_true(calendar_business_ms(P(2026, 10, 23, 10, 0), out) == DAY);
  /* The whole weekend of each switch counts nothing. */
  assert_true(calendar_business_ms(P(2026, 3, 28, 0, 0), P(2026, 3, 30, 0, 0)) == 0);
  assert_true(calendar_business_ms(P(2026, 10, 24, 0, 0), P(2026, 10, 26, 0, 0)) == 0);
  /* Any quarter of an hour of a business day in the weeks around both
   * switches of 2024–2027, plus 3 days: same local hour and minute. */
  for (int y = 2024; y <= 2027; y++)
    for (int mo = 3; mo <= 10; mo += 7)
      for (int64_t t = P(y, mo, 18, 0, 0); t < P(y, mo + 1, 5, 0, 0); t += 15 * 60000) {
        struct civil a, b;
        clock_paris(t, &a);
        if (!calendar_is_business_day(D(a.year, a.month, a.day))) continue;
        assert_int_equal(calendar_due(&out, t, 3), 0);
        clock_paris(out, &b);
        if (b.hour != a.hour || b.minute != a.minute)
          fail_msg("%04d-%02d-%02d %02d:%02d + 3 → %02d:%02d", a.year, a.month, a.day, a.hour, a.minute, b.hour,
                   b.minute);
        clock_paris(out - 1, &b); /* the last millisecond counted is on a business day */
        assert_int_equal(calendar_is_business_day(D(b.year, b.month, b.day)), 1);
        assert_true(calendar_business_ms(t, out) == 3 * DAY);
      }
}

static void business_ms_known_values(void **state) {
  (void)state;
  /* Tuesday 10:00 → Thursday 10:00. */
  assert_true(calendar_business_ms(P(2026, 6, 2, 10, 0), P(2026, 6, 4, 10, 0)) == 2 * DAY);
  /* Within one business day. */
  assert_true(calendar_business_ms(P(2026, 6, 2, 9, 15), P(2026, 6, 2, 17, 45)) == 8 * HOUR + 30 * 60000);
  /* Friday 22 May 18:00 → Tuesday 26 May 09:00 over the Whit weekend: 6 h + 9 h. */
  assert_true(calendar_business_ms(P(2026, 5, 22, 18, 0), P(2026, 5, 26, 9, 0)) == 15 * HOUR);
  /* Saturday 15:00 → Monday 08:00: the Monday morning only. */
  assert_true(calendar_business_ms(P(2026, 6, 6, 15, 0), P(2026, 6, 8, 8, 0)) == 8 * HOUR);
  /* Ascension day, morning to evening: nothing. */
  assert_true(calendar_business_ms(P(2026, 5, 14, 9, 0), P(2026, 5, 14, 17, 0)) == 0);
  /* Backwards or empty: nothing. */
  assert_true(calendar_business_ms(P(2026, 6, 4, 10, 0), P(2026, 6, 2, 10, 0)) == 0);
  assert_true(calendar_business_ms(P(2026, 6, 4, 10, 0), P(2026, 6, 4, 10, 0)) == 0);
  /* A whole year: 252 business days in 2026. */
  assert_true(calendar_business_ms(P(2026, 1, 1, 0, 0), P(2027, 1, 1, 0, 0)) == 252 * DAY);
  /* One millisecond of a business day, sub-second precision kept. */
  assert_true(calendar_business_ms(P(2026, 6, 2, 10, 0) + 250, P(2026, 6, 2, 10, 0) + 251) == 1);
  /* Absurd instants are clamped, not overflowed. */
  assert_true(calendar_business_ms(INT64_MIN, INT64_MAX) > 0);
  assert_true(calendar_business_ms(INT64_MIN, INT64_MIN + 1) == 0);
}

static void business_ms_is_additive_and_grows_only_on_business_days(void **state) {
  (void)state;
  const int64_t step = 15 * 60000;
  int64_t origin = P(2025, 12, 15, 0, 0), total = 0;
  for (int64_t t = origin; t < P(2026, 11, 15, 0, 0); t += step) {
    struct civil c;
    clock_paris(t, &c);
    int64_t inc = calendar_business_ms(t, t + step);
    int64_t want = calendar_is_business_day(D(c.year, c.month, c.day)) ? step : 0;
    if (inc != want)
      fail_msg("%04d-%02d-%02d %02d:%02d : %lld ms, attendu %lld", c.year, c.month, c.day, c.hour, c.minute,
               (long long)inc, (long long)want);
    total += inc;
    if (c.minute == 0 && c.hour % 7 == 0) assert_true(calendar_business_ms(origin, t + step) == total);
  }
}

static void business_ms_and_add_business_ms_are_inverse(void **state) {
  (void)state;
  static const int64_t spans[] = {1,       1000,     HOUR,          DAY - 1,        DAY,
                                  DAY + 1, 3 * DAY + 12345, 10 * DAY + 5 * HOUR, 40 * DAY};
  int checked = 0;
  for (int64_t from = P(2025, 12, 20, 0, 0) + 777; from < P(2026, 11, 5, 0, 0); from += 7 * HOUR + 13 * 60000) {
    for (size_t i = 0; i < sizeof spans / sizeof spans[0]; i++) {
      int64_t t = 0;
      assert_int_equal(calendar_add_business_ms(&t, from, spans[i]), 0);
      assert_true(t > from);
      if (calendar_business_ms(from, t) != spans[i])
        fail_msg("from %lld + %lld ms → %lld, compte %lld", (long long)from, (long long)spans[i], (long long)t,
                 (long long)calendar_business_ms(from, t));
      assert_true(calendar_business_ms(from, t - 1) < spans[i]); /* the earliest such instant */
      checked++;
    }
    /* The other way: the business time to a later instant, added back,
     * reaches no further than that instant and counts the same. */
    int64_t to = from + 5 * DAY + 3 * HOUR + 17;
    int64_t ms = calendar_business_ms(from, to), back = 0;
    assert_int_equal(calendar_add_business_ms(&back, from, ms), 0);
    assert_true(back <= to);
    assert_true(calendar_business_ms(from, back) == ms);
    assert_true(calendar_business_ms(back, to) == 0);
  }
  assert_true(checked > 9000);
  int64_t t = 0;
  assert_int_equal(calendar_add_business_ms(&t, P(2026, 6, 6, 15, 0), 0), 0);
  assert_true(t == P(2026, 6, 6, 15, 0));
}

static void add_business_ms_and_due_reject_bad_input(void **state) {
  (void)state;
  int64_t out = 4242;
  int64_t now = P(2026, 6, 2, 10, 0);
  expect_invalid(calendar_add_business_ms(&out, now, -1), "ms", "durée ouvrée invalide");
  expect_invalid(calendar_add_business_ms(&out, now, INT64_MIN), "ms", "durée ouvrée invalide");
  expect_invalid(calendar_add_business_ms(&out, now, (CALENDAR_MAX_DAYS + 1) * DAY), "ms", "durée ouvrée invalide");
  expect_invalid(calendar_add_business_ms(&out, INT64_MAX, 1), "from", "années 1 à 9999");
  expect_invalid(calendar_add_business_ms(&out, P(10000, 1, 1, 12, 0), 1), "from", "années 1 à 9999");
  expect_invalid(calendar_due(&out, now, -1), "days", "délai invalide");
  expect_invalid(calendar_due(&out, now, CALENDAR_MAX_DAYS + 1), "days", "délai invalide");
  expect_invalid(calendar_due(&out, INT64_MIN, 1), "filed", "années 1 à 9999");
  assert_true(out == 4242);
  /* The largest accepted values work. */
  assert_int_equal(calendar_add_business_ms(&out, now, CALENDAR_MAX_DAYS * DAY), 0);
  assert_true(calendar_business_ms(now, out) == CALENDAR_MAX_DAYS * DAY);
  assert_int_equal(calendar_due(&out, P(9999, 12, 31, 12, 0), CALENDAR_MAX_DAYS), 0);
  assert_true(calendar_business_ms(P(9999, 12, 31, 12, 0), out) == CALENDAR_MAX_DAYS * DAY);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(easter_known_dates),
      cmocka_unit_test(easter_every_year_is_a_sunday_and_agrees_with_gauss),
      cmocka_unit_test(easter_rejects_years_outside_1583_9999),
      cmocka_unit_test(holidays_of_2026),
      cmocka_unit_test(easter_derived_holidays_over_several_years),
      cmocka_unit_test(weekends_and_holidays_are_not_business_days),
      cmocka_unit_test(business_days_between_matches_day_by_day_count),
      cmocka_unit_test(add_business_days_over_christmas_and_new_year),
      cmocka_unit_test(add_business_days_rejects_bad_input),
      cmocka_unit_test(due_across_the_whit_monday_weekend),
      cmocka_unit_test(due_filed_on_a_non_business_day),
      cmocka_unit_test(due_across_daylight_saving_switches_keeps_the_local_hour),
      cmocka_unit_test(business_ms_known_values),
      cmocka_unit_test(business_ms_is_additive_and_grows_only_on_business_days),
      cmocka_unit_test(business_ms_and_add_business_ms_are_inverse),
      cmocka_unit_test(add_business_ms_and_due_reject_bad_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
