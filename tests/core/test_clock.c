/* Tests of core/clock.c: the Europe/Paris civil calendar (offsets, the
 * instants of the March and October switches, year boundaries), its
 * inverse clock_paris_to_utc() (spring gap, autumn fold), RFC 3339
 * formatting, the day-number conversions and the YYYY-MM-DD parser.
 * Expected instants were computed independently (Python's datetime). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "clock.h"
#include <stdio.h>
#include <string.h>

#define S 1000LL /* one second in ms */

/* Asserts every field of clock_paris(ms). */
static void expect_paris(int64_t ms, int y, int mo, int d, int h, int mi, int s, int off, int wd) {
  struct civil c;
  memset(&c, 0x5a, sizeof c);
  clock_paris(ms, &c);
  if (c.year != y || c.month != mo || c.day != d || c.hour != h || c.minute != mi || c.second != s ||
      c.offset_min != off || c.weekday != wd)
    fail_msg("clock_paris(%lld) = %04d-%02d-%02d %02d:%02d:%02d %+d wd%d, attendu %04d-%02d-%02d %02d:%02d:%02d %+d wd%d",
             (long long)ms, c.year, c.month, c.day, c.hour, c.minute, c.second, c.offset_min, c.weekday, y, mo, d,
             h, mi, s, off, wd);
}

static void winter_and_summer_offsets(void **state) {
  (void)state;
  /* 1970-01-01T00:00:00Z was a Thursday: 01:00 in Paris (CET). */
  expect_paris(0, 1970, 1, 1, 1, 0, 0, 60, 3);
  /* 2026-11-22T03:00:00Z, a Sunday in winter: 04:00+01:00. */
  expect_paris(1795316400 * S, 2026, 11, 22, 4, 0, 0, 60, 6);
  /* Mid-July: summer time, +02:00. 2024-07-14T12:00:00Z. */
  expect_paris((1711846800LL + 105 * 86400 + 11 * 3600) * S, 2024, 7, 14, 14, 0, 0, 120, 6);
}

static void march_switch_instant(void **state) {
  (void)state;
  /* Sunday 2024-03-31, 01:00:00Z: clocks go from 02:00 CET to 03:00 CEST. */
  const int64_t sw = 1711846800LL * S;
  expect_paris(sw - 1, 2024, 3, 31, 1, 59, 59, 60, 6);
  expect_paris(sw, 2024, 3, 31, 3, 0, 0, 120, 6);
  expect_paris(sw - 3600 * S, 2024, 3, 31, 1, 0, 0, 60, 6);
  /* The day before and the week before are still winter time. */
  expect_paris(sw - 86400 * S, 2024, 3, 30, 2, 0, 0, 60, 5);
  /* 2026: last Sunday of March is the 29th. */
  expect_paris(1774746000LL * S - 1000, 2026, 3, 29, 1, 59, 59, 60, 6);
  expect_paris(1774746000LL * S, 2026, 3, 29, 3, 0, 0, 120, 6);
  /* A Sunday of March that is not the last one stays in winter time. */
  expect_paris((1774746000LL - 7 * 86400) * S, 2026, 3, 22, 2, 0, 0, 60, 6);
}

static void october_switch_instant(void **state) {
  (void)state;
  /* Sunday 2024-10-27, 01:00:00Z: clocks go back from 03:00 CEST to 02:00 CET,
   * so 02:xx happens twice, first at +02:00 then at +01:00. */
  const int64_t sw = 1729990800LL * S;
  expect_paris(sw - 1000, 2024, 10, 27, 2, 59, 59, 120, 6);
  expect_paris(sw, 2024, 10, 27, 2, 0, 0, 60, 6);
  expect_paris(sw - 3600 * S, 2024, 10, 27, 2, 0, 0, 120, 6);
  expect_paris(sw + 3600 * S, 2024, 10, 27, 3, 0, 0, 60, 6);
  /* 2026: last Sunday of October is the 25th. */
  expect_paris(1792890000LL * S - 1, 2026, 10, 25, 2, 59, 59, 120, 6);
  expect_paris(1792890000LL * S, 2026, 10, 25, 2, 0, 0, 60, 6);
}

static void paris_year_boundary_and_negative_times(void **state) {
  (void)state;
  /* 2025-12-31T23:30:00Z is already New Year's Day in Paris. */
  expect_paris(1767223800LL * S, 2026, 1, 1, 0, 30, 0, 60, 3);
  expect_paris(1767223800LL * S - 3600 * S, 2025, 12, 31, 23, 30, 0, 60, 2);
  /* One millisecond before the epoch (floor division, not truncation). */
  expect_paris(-1, 1970, 1, 1, 0, 59, 59, 60, 3);
  expect_paris(-3600 * S - 1, 1969, 12, 31, 23, 59, 59, 60, 2);
}

static void format_is_rfc3339_with_paris_offset(void **state) {
  (void)state;
  char out[32];
  clock_format(1795316400LL * S, out);
  assert_string_equal(out, "2026-11-22T04:00:00+01:00");
  clock_format(1711846800LL * S, out);
  assert_string_equal(out, "2024-03-31T03:00:00+02:00");
  clock_format(1711846800LL * S - 1, out);
  assert_string_equal(out, "2024-03-31T01:59:59+01:00");
  clock_format(1767223800LL * S + 999, out); /* milliseconds are dropped */
  assert_string_equal(out, "2026-01-01T00:30:00+01:00");
}

static void now_is_plausible(void **state) {
  (void)state;
  int64_t a = clock_now_ms();
  int64_t b = clock_now_ms();
  assert_true(a > 1735689600LL * S);  /* after 2025-01-01 */
  assert_true(a < 4102444800LL * S);  /* before 2100-01-01 */
  assert_true(b >= a - 1000);         /* no wild jump between two calls */
}

static void days_from_civil_known_values(void **state) {
  (void)state;
  assert_int_equal(clock_days_from_civil(1970, 1, 1), 0);
  assert_true(clock_days_from_civil(1969, 12, 31) == -1);
  assert_int_equal(clock_days_from_civil(2000, 2, 29), 11016);
  assert_int_equal(clock_days_from_civil(2000, 3, 1), 11017);
  assert_int_equal(clock_days_from_civil(2024, 3, 31), 19813);
  assert_int_equal(clock_days_from_civil(2999, 12, 31), 376199);
  assert_true(clock_days_from_civil(1600, 3, 1) == -135080);
  assert_true(clock_days_from_civil(1, 1, 1) == -719162);
}

static void days_round_trip(void **state) {
  (void)state;
  /* Every day from 0001-01-01 to 3000-01-01: civil_from_days is the inverse of
   * days_from_civil, and consecutive day numbers are consecutive dates. */
  int py = 0, pm = 12, pd = 31;
  static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  for (int64_t z = -719162; z <= 376200; z++) {
    int y, m, d;
    clock_civil_from_days(z, &y, &m, &d);
    if (clock_days_from_civil(y, m, d) != z) fail_msg("jour %lld : %04d-%02d-%02d ne revient pas", (long long)z, y, m, d);
    /* Successor of the previous date. */
    int leap = (py % 4 == 0 && py % 100 != 0) || py % 400 == 0;
    int last = mdays[pm - 1] + (pm == 2 && leap);
    int ey = py, em = pm, ed = pd + 1;
    if (ed > last) {
      ed = 1;
      if (++em > 12) {
        em = 1;
        ey++;
      }
    }
    if (y != ey || m != em || d != ed)
      fail_msg("jour %lld : %04d-%02d-%02d, attendu %04d-%02d-%02d", (long long)z, y, m, d, ey, em, ed);
    py = y;
    pm = m;
    pd = d;
  }
  assert_int_equal(py, 3000);
  assert_int_equal(pm, 1);
  assert_int_equal(pd, 1);
}

static void parse_date_valid(void **state) {
  (void)state;
  int y = 0, m = 0, d = 0;
  assert_int_equal(clock_parse_date("2026-11-22", &y, &m, &d), 1);
  assert_int_equal(y, 2026);
  assert_int_equal(m, 11);
  assert_int_equal(d, 22);
  /* Leap years: divisible by 4, except centuries not divisible by 400. */
  assert_int_equal(clock_parse_date("2024-02-29", &y, &m, &d), 1);
  assert_int_equal(d, 29);
  assert_int_equal(clock_parse_date("2000-02-29", NULL, NULL, NULL), 1);
  /* Bounds of the accepted years and of months. */
  assert_int_equal(clock_parse_date("1900-01-01", &y, NULL, NULL), 1);
  assert_int_equal(y, 1900);
  assert_int_equal(clock_parse_date("2999-12-31", NULL, &m, NULL), 1);
  assert_int_equal(m, 12);
  assert_int_equal(clock_parse_date("2026-04-30", NULL, NULL, NULL), 1);
  assert_int_equal(clock_parse_date("2026-01-31", NULL, NULL, NULL), 1);
}

static void parse_date_invalid(void **state) {
  (void)state;
  static const char *const bad[] = {
      "2023-02-29", /* not a leap year */
      "1900-02-29", /* century not divisible by 400 */
      "2100-02-29",
      "2024-02-30",
      "2026-04-31",
      "2026-06-31",
      "2026-13-01",
      "2026-00-10",
      "2026-01-00",
      "2026-01-32",
      "1899-12-31", /* outside 1900–2999 */
      "3000-01-01",
      "0000-01-01",
      "26-01-01",
      "2026-1-01",
      "2026-01-1",
      "2026/01/01",
      "2026-01-01 ",
      " 2026-01-01",
      "2026-01-01T00:00",
      "2026-0a-01",
      "+026-01-01",
      "2026--1-01",
      "20260101",
      "",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int y = -7, m = -7, d = -7;
    if (clock_parse_date(bad[i], &y, &m, &d) != 0) fail_msg("« %s » accepté", bad[i]);
    /* Nothing stored for a refused date. */
    assert_int_equal(y, -7);
    assert_int_equal(m, -7);
    assert_int_equal(d, -7);
  }
  assert_int_equal(clock_parse_date(NULL, NULL, NULL, NULL), 0);
}

/* clock_paris_to_utc() on ordinary times, both sides of each switch, the
 * spring gap (moved forward by one hour) and the autumn fold (first
 * occurrence, +02:00), in 2025 and 2026. Expected instants from Python's
 * zoneinfo (fold=0). */
static void paris_to_utc_known_values(void **state) {
  (void)state;
  /* Winter and summer. */
  assert_true(clock_paris_to_utc(2026, 12, 1, 9, 0, 0, 0) == 1796112000LL * S);
  assert_true(clock_paris_to_utc(2026, 7, 14, 10, 0, 0, 0) == 1784016000LL * S);
  assert_true(clock_paris_to_utc(2024, 2, 29, 23, 59, 59, 0) == 1709247599LL * S);
  assert_true(clock_paris_to_utc(2026, 1, 1, 0, 30, 0, 0) == 1767223800LL * S);
  assert_true(clock_paris_to_utc(1970, 1, 1, 0, 0, 0, 0) == -3600LL * S);
  /* Milliseconds are kept. */
  assert_true(clock_paris_to_utc(2026, 12, 1, 9, 0, 0, 999) == 1796112000LL * S + 999);
  /* March 2026: 01:59:59 is still winter time, 03:00 already summer time. */
  assert_true(clock_paris_to_utc(2026, 3, 29, 1, 59, 59, 0) == 1774745999LL * S);
  assert_true(clock_paris_to_utc(2026, 3, 29, 3, 0, 0, 0) == 1774746000LL * S);
  /* The gap 02:00–02:59:59 does not exist: moved forward by one hour. */
  assert_true(clock_paris_to_utc(2026, 3, 29, 2, 30, 0, 0) == 1774747800LL * S); /* 03:30+02:00 */
  assert_true(clock_paris_to_utc(2026, 3, 29, 2, 0, 0, 0) == 1774746000LL * S);  /* 03:00+02:00 */
  assert_true(clock_paris_to_utc(2025, 3, 30, 2, 0, 0, 0) == 1743296400LL * S);  /* 03:00+02:00 */
  assert_true(clock_paris_to_utc(2025, 3, 30, 2, 59, 59, 500) == 1743299999LL * S + 500);
  /* October: 02:00–02:59:59 happens twice; the first one (+02:00) is taken. */
  assert_true(clock_paris_to_utc(2026, 10, 25, 2, 30, 0, 0) == 1792888200LL * S);
  assert_true(clock_paris_to_utc(2026, 10, 25, 1, 59, 59, 0) == 1792886399LL * S);
  assert_true(clock_paris_to_utc(2026, 10, 25, 3, 0, 0, 0) == 1792893600LL * S);
  assert_true(clock_paris_to_utc(2025, 10, 26, 2, 0, 0, 0) == 1761436800LL * S);
  assert_true(clock_paris_to_utc(2025, 10, 26, 2, 59, 59, 0) == 1761440399LL * S);
}

/* Round trip over every quarter of an hour from 2024 to 2027 (both years'
 * switches included): converting clock_paris(u) back gives u, except for
 * the second occurrence of a fold, which gives the first one, one hour
 * earlier. Exactly one such hour per year. */
static void paris_to_utc_inverts_clock_paris(void **state) {
  (void)state;
  int second_occurrences = 0;
  for (int64_t u = 1704067200LL * S; u < 1830297600LL * S; u += 900 * S) { /* 2024-01-01 to 2028-01-01 */
    struct civil c;
    clock_paris(u + 123, &c);
    int64_t back = clock_paris_to_utc(c.year, c.month, c.day, c.hour, c.minute, c.second, 123);
    if (back == u + 123) continue;
    struct civil first;
    clock_paris(u - 3600 * S, &first);
    if (back != u + 123 - 3600 * S || c.offset_min != 60 || first.offset_min != 120 || first.hour != c.hour ||
        first.minute != c.minute || c.month != 10 || c.weekday != 6)
      fail_msg("%lld : %04d-%02d-%02d %02d:%02d revient à %lld", (long long)u, c.year, c.month, c.day, c.hour,
               c.minute, (long long)back);
    second_occurrences++;
  }
  assert_int_equal(second_occurrences, 4 * 4); /* 4 years × 4 quarters of an hour */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(winter_and_summer_offsets),
      cmocka_unit_test(march_switch_instant),
      cmocka_unit_test(october_switch_instant),
      cmocka_unit_test(paris_year_boundary_and_negative_times),
      cmocka_unit_test(format_is_rfc3339_with_paris_offset),
      cmocka_unit_test(now_is_plausible),
      cmocka_unit_test(days_from_civil_known_values),
      cmocka_unit_test(days_round_trip),
      cmocka_unit_test(parse_date_valid),
      cmocka_unit_test(parse_date_invalid),
      cmocka_unit_test(paris_to_utc_known_values),
      cmocka_unit_test(paris_to_utc_inverts_clock_paris),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
