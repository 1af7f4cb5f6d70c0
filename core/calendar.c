/* calendar — the French business-day calendar (see calendar.h). */
#include "calendar.h"
#include "clock.h"
#include "err.h"
#include <stddef.h>

/* The national public holidays, in calendar order. A fixed-date holiday has
 * its month and day; an Easter-derived one has month 0 and its offset in
 * days from Easter Sunday. The order decides the name of a day that is two
 * holidays at once (Ascension on 1 or 8 May): the first one listed. */
static const struct {
  int month, day, easter_offset;
  const char *name;
} HOLIDAYS[] = {
    {1, 1, 0, "Jour de l'an"},
    {0, 0, 1, "Lundi de Pâques"},
    {5, 1, 0, "Fête du Travail"},
    {5, 8, 0, "Victoire 1945"},
    {0, 0, 39, "Ascension"},
    {0, 0, 50, "Lundi de Pentecôte"},
    {7, 14, 0, "Fête nationale"},
    {8, 15, 0, "Assomption"},
    {11, 1, 0, "Toussaint"},
    {11, 11, 0, "Armistice 1918"},
    {12, 25, 0, "Noël"},
};
enum { N_HOLIDAYS = sizeof HOLIDAYS / sizeof HOLIDAYS[0] };

static int64_t floormod(int64_t a, int64_t b) {
  int64_t r = a % b;
  return r < 0 ? r + b : r;
}

/* 0 = Monday … 6 = Sunday (1970-01-01 was a Thursday). */
static int weekday(int64_t day) {
  return (int)((floormod(day, 7) + 3) % 7);
}

/* The calendar repeats every 5 700 000 years: Easter's Gregorian cycle,
 * a multiple of the 400-year cycle of dates and weekdays (146 097 days,
 * 20 871 weeks). Days are brought into [0, CYCLE_DAYS) (years 1970 to
 * 5 701 969) before their year is looked at, so that any int64_t works. */
#define CYCLE_DAYS (14250LL * 146097)

/* Anonymous Gregorian algorithm (Meeus/Jones/Butcher), for year ≥ 1. */
static void easter(int *month, int *day, int year) {
  int a = year % 19, b = year / 100, c = year % 100;
  int d = b / 4, e = b % 4, f = (b + 8) / 25, g = (b - f + 1) / 3;
  int h = (19 * a + b - d - g + 15) % 30;
  int i = c / 4, k = c % 4;
  int l = (32 + 2 * e + 2 * i - h - k) % 7;
  int m = (a + 11 * h + 22 * l) / 451;
  *month = (h + l - 7 * m + 114) / 31;
  *day = (h + l - 7 * m + 114) % 31 + 1;
}

int calendar_easter(int *month, int *day, int year) {
  if (year < 1583 || year > 9999)
    return err_set(ERR_INVALID, "year", "année invalide pour le calcul de Pâques : %d (de 1583 à 9999)", year);
  easter(month, day, year);
  return 0;
}

/* Days from 1 March to month/day of the same year, for months March to
 * December (no leap-year question after February). */
static int from_march(int month, int day) {
  static const int before[] = {0, 31, 61, 92, 122, 153, 184, 214, 245, 275};
  return before[month - 3] + day - 1;
}

const char *calendar_holiday(int64_t day) {
  int y, m, d;
  clock_civil_from_days(floormod(day, CYCLE_DAYS), &y, &m, &d);
  int em = 0, ed = 0;
  const char *name = NULL;
  for (int i = 0; i < N_HOLIDAYS && !name; i++) {
    if (HOLIDAYS[i].month) {
      if (HOLIDAYS[i].month == m && HOLIDAYS[i].day == d) name = HOLIDAYS[i].name;
    } else if (m >= 3 && m <= 6) {
      if (!em) easter(&em, &ed, y);
      if (from_march(m, d) - from_march(em, ed) == HOLIDAYS[i].easter_offset) name = HOLIDAYS[i].name;
    }
  }
  return name;
}

int calendar_is_business_day(int64_t day) {
  return weekday(day) < 5 && !calendar_holiday(day);
}

/* Bounds of the days accepted as input (years 1–9999, upper bound
 * excluded) and of the days counted (up to 20000-01-01). */
static int64_t day_min(void) { return clock_days_from_civil(1, 1, 1); }
static int64_t day_end(void) { return clock_days_from_civil(10000, 1, 1); }
static int64_t day_clamp_end(void) { return clock_days_from_civil(20000, 1, 1); }

static int64_t clamp(int64_t v, int64_t lo, int64_t hi) {
  return v < lo ? lo : v > hi ? hi : v;
}

int calendar_add_business_days(int64_t *out, int64_t day, int n) {
  if (n < 0 || n > CALENDAR_MAX_DAYS)
    return err_set(ERR_INVALID, "days", "nombre de jours ouvrés invalide : %d (de 0 à %d)", n, CALENDAR_MAX_DAYS);
  if (day < day_min() || day >= day_end())
    return err_set(ERR_INVALID, "day", "jour hors de l'intervalle pris en charge (années 1 à 9999)");
  int64_t d = day;
  if (n == 0) {
    while (!calendar_is_business_day(d)) d++;
  } else {
    for (int left = n; left > 0;)
      if (calendar_is_business_day(++d)) left--;
  }
  *out = d;
  return 0;
}

/* Business days in [from_day, to_day), both within the clamp range:
 * weekdays by whole weeks, minus each year's holidays that fall on a
 * weekday inside the range (a day that is two holidays counted once). */
static int64_t count_business_days(int64_t from_day, int64_t to_day) {
  if (to_day <= from_day) return 0;
  int64_t span = to_day - from_day;
  int64_t count = span / 7 * 5;
  for (int64_t d = from_day + span / 7 * 7; d < to_day; d++) count += weekday(d) < 5;
  int y0, y1, m, d;
  clock_civil_from_days(from_day, &y0, &m, &d);
  clock_civil_from_days(to_day - 1, &y1, &m, &d);
  for (int y = y0; y <= y1; y++) {
    int em, ed;
    easter(&em, &ed, y);
    int64_t sunday = clock_days_from_civil(y, em, ed);
    for (int i = 0; i < N_HOLIDAYS; i++) {
      int64_t h = HOLIDAYS[i].month ? clock_days_from_civil(y, HOLIDAYS[i].month, HOLIDAYS[i].day)
                                    : sunday + HOLIDAYS[i].easter_offset;
      if (h >= from_day && h < to_day && weekday(h) < 5 && calendar_holiday(h) == HOLIDAYS[i].name) count--;
    }
  }
  return count;
}

int64_t calendar_business_days_between(int64_t from_day, int64_t to_day) {
  int64_t lo = day_min(), hi = day_clamp_end();
  return count_business_days(clamp(from_day, lo, hi), clamp(to_day, lo, hi));
}

/* The Paris civil day of instant `t` and its local time of day in ms. */
static void local_day(int64_t t, int64_t *day, int64_t *tod) {
  struct civil c;
  clock_paris(t, &c);
  *day = clock_days_from_civil(c.year, c.month, c.day);
  *tod = ((int64_t)c.hour * 3600 + c.minute * 60 + c.second) * 1000 + floormod(t, 1000);
}

/* The instant of local time `tod` ms (0 to CALENDAR_DAY_MS, the latter
 * meaning 00:00 of the next day) on Paris civil day `day`. */
static int64_t local_instant(int64_t day, int64_t tod) {
  if (tod >= CALENDAR_DAY_MS) {
    day++;
    tod -= CALENDAR_DAY_MS;
  }
  int y, m, d;
  clock_civil_from_days(day, &y, &m, &d);
  return clock_paris_to_utc(y, m, d, (int)(tod / 3600000), (int)(tod / 60000 % 60), (int)(tod / 1000 % 60),
                            (int)(tod % 1000));
}

int64_t calendar_business_ms(int64_t from, int64_t to) {
  int64_t lo = day_min() * CALENDAR_DAY_MS, hi = day_clamp_end() * CALENDAR_DAY_MS;
  from = clamp(from, lo, hi);
  to = clamp(to, lo, hi);
  if (to <= from) return 0;
  int64_t df, tf, dt, tt;
  local_day(from, &df, &tf);
  local_day(to, &dt, &tt);
  int64_t ms;
  if (df == dt) {
    ms = calendar_is_business_day(df) && tt > tf ? tt - tf : 0;
  } else {
    ms = count_business_days(df + 1, dt) * CALENDAR_DAY_MS;
    if (calendar_is_business_day(df)) ms += CALENDAR_DAY_MS - tf;
    if (calendar_is_business_day(dt)) ms += tt;
  }
  return ms;
}

/* calendar_add_business_ms() once its arguments are checked: from the
 * first business moment at or after `from`, consume what is left of each
 * business day until `ms` fits in one. */
static int64_t add_ms(int64_t from, int64_t ms) {
  int64_t day, tod;
  local_day(from, &day, &tod);
  if (!calendar_is_business_day(day)) {
    do {
      day++;
    } while (!calendar_is_business_day(day));
    tod = 0;
  }
  while (ms > CALENDAR_DAY_MS - tod) {
    ms -= CALENDAR_DAY_MS - tod;
    tod = 0;
    do {
      day++;
    } while (!calendar_is_business_day(day));
  }
  return ms == 0 ? from : local_instant(day, tod + ms);
}

static int check_instant(int64_t t, const char *field) {
  if (t < day_min() * CALENDAR_DAY_MS || t >= day_end() * CALENDAR_DAY_MS)
    return err_set(ERR_INVALID, field, "date hors de l'intervalle pris en charge (années 1 à 9999)");
  return 0;
}

int calendar_add_business_ms(int64_t *out, int64_t from, int64_t ms) {
  if (ms < 0 || ms > CALENDAR_MAX_DAYS * CALENDAR_DAY_MS)
    return err_set(ERR_INVALID, "ms", "durée ouvrée invalide : %lld ms (de 0 à %d jours ouvrés)", (long long)ms,
                   CALENDAR_MAX_DAYS);
  int rc = check_instant(from, "from");
  if (rc) return rc;
  *out = add_ms(from, ms);
  return 0;
}

int calendar_due(int64_t *out, int64_t filed, int days) {
  if (days < 0 || days > CALENDAR_MAX_DAYS)
    return err_set(ERR_INVALID, "days", "délai invalide : %d jours ouvrés (de 0 à %d)", days, CALENDAR_MAX_DAYS);
  int rc = check_instant(filed, "filed");
  if (rc) return rc;
  *out = add_ms(filed, days * CALENDAR_DAY_MS);
  return 0;
}
