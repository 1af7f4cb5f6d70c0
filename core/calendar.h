/* calendar — the French business-day calendar ("jours ouvrés"): Easter,
 * the national public holidays of metropolitan France, business days, and
 * business time between instants (the clock that SLA targets run on).
 *
 * Days are civil dates written as days since 1970-01-01 (as
 * clock_days_from_civil() returns); instants are UTC epoch milliseconds;
 * civil dates and times are those of Europe/Paris (core/clock.h). A
 * business day is a civil day that is neither a Saturday, a Sunday nor a
 * public holiday. The holidays are today's national list (Code du travail,
 * art. L3133-1), applied to every year; the Easter-derived ones are
 * computed, never listed. Nothing here allocates or keeps state; every
 * function is pure and thread-safe. Failing functions return 0 or
 * ERR_INVALID (core/err.h, French message, field named) and leave their
 * outputs untouched on failure. */
#ifndef APPUI_CALENDAR_H
#define APPUI_CALENDAR_H
#include <stdint.h>

/* One business day of SLA time, in milliseconds of Paris local time. */
#define CALENDAR_DAY_MS 86400000LL

/* Largest span accepted by calendar_add_business_days(), and by
 * calendar_add_business_ms() and calendar_due() in whole business days. */
#define CALENDAR_MAX_DAYS 3650

/* Gregorian Easter Sunday of `year` (anonymous Gregorian algorithm, a.k.a.
 * Meeus/Jones/Butcher). Returns 0 and stores the month (3 or 4) and day,
 * or ERR_INVALID (field "year") when `year` is outside 1583–9999. */
int calendar_easter(int *month, int *day, int year);

/* The French name of the public holiday falling on `day` ("Jour de l'an",
 * "Lundi de Pâques", "Fête du Travail", "Victoire 1945", "Ascension",
 * "Lundi de Pentecôte", "Fête nationale", "Assomption", "Toussaint",
 * "Armistice 1918", "Noël"), or NULL if it is not one. Easter Monday,
 * Ascension and Whit Monday are Easter + 1, + 39 and + 50 days. When
 * Ascension falls on 1 or 8 May (2008, 1997) the fixed-date name is
 * returned. Static string; any `day` is accepted. */
const char *calendar_holiday(int64_t day);

/* 1 if `day` is a business day (Monday to Friday and not a holiday), else 0. */
int calendar_is_business_day(int64_t day);

/* The n-th business day strictly after `day` (n = 0: `day` itself if it is
 * a business day, else the next business day; so from a Saturday both 0
 * and 1 give the Monday). Returns 0 and stores it in *out, or ERR_INVALID
 * when n is outside 0–CALENDAR_MAX_DAYS (field "days") or `day` outside
 * the years 1–9999 (field "day"). */
int calendar_add_business_days(int64_t *out, int64_t day, int n);

/* Number of business days d with from_day ≤ d < to_day; 0 when
 * to_day ≤ from_day. Days are clamped to 0001-01-01 … 20000-01-01. */
int64_t calendar_business_days_between(int64_t from_day, int64_t to_day);

/* Business time elapsed from instant `from` to instant `to`, in
 * milliseconds, counted on the Paris civil clock: each business day counts
 * its 24 hours of local time (CALENDAR_DAY_MS, whatever daylight saving
 * does — the switches happen on Sundays anyway), the other days count
 * nothing. Returns 0 when to ≤ from. Instants are clamped to
 * 0001-01-01 … 20000-01-01 UTC (keeps the count finite). */
int64_t calendar_business_ms(int64_t from, int64_t to);

/* The earliest instant t ≥ from such that calendar_business_ms(from, t)
 * == ms. From a non-business day, counting starts at 00:00 Paris time of
 * the next business day; a span that ends exactly at the end of a business
 * day gives 00:00 of the following day; ms == 0 gives `from`. Returns 0
 * and stores t in *out, or ERR_INVALID when ms is negative or longer than
 * CALENDAR_MAX_DAYS business days (field "ms"), or `from` lies outside
 * the years 1–9999 (field "from"). */
int calendar_add_business_ms(int64_t *out, int64_t from, int64_t ms);

/* The deadline of a target of `days` business days for something filed at
 * instant `filed`: calendar_add_business_ms(filed, days × CALENDAR_DAY_MS).
 * Filed Tuesday 10:00 with 2 days: Thursday 10:00 Paris time; filed on a
 * Saturday: counted from Monday 00:00. Returns 0 and stores it in *out,
 * or ERR_INVALID when days is outside 0–CALENDAR_MAX_DAYS (field "days")
 * or `filed` outside the years 1–9999 (field "filed"). */
int calendar_due(int64_t *out, int64_t filed, int days);

#endif
