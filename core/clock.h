/* clock — current time and the Europe/Paris civil calendar.
 *
 * Times are UTC epoch milliseconds (int64_t). Civil dates and times are
 * those of Europe/Paris (CET/CEST, EU rule: summer time from the last
 * Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC),
 * computed without the C library's time-zone state. */
#ifndef APPUI_CLOCK_H
#define APPUI_CLOCK_H
#include <stdint.h>

struct civil {
  int year, month, day;       /* month 1–12, day 1–31 */
  int hour, minute, second;   /* local wall-clock time */
  int offset_min;             /* offset from UTC in minutes (+60 or +120) */
  int weekday;                /* 0 = Monday … 6 = Sunday */
};

/* Now, from the real-time clock. */
int64_t clock_now_ms(void);

/* The Europe/Paris civil date and time at `ms`. */
void clock_paris(int64_t ms, struct civil *out);

/* The UTC epoch milliseconds of a Europe/Paris wall-clock date and time
 * (inverse of clock_paris()). The fields must form a valid date and time
 * (month 1–12, day within the month, hour 0–23, minute and second 0–59,
 * ms 0–999). A time that does not exist (spring-forward gap, e.g.
 * 2026-03-29 02:30) is moved forward by the length of the gap (→ 03:30
 * CEST); an ambiguous time (autumn fold, e.g. 2026-10-25 02:30) is the
 * first occurrence (summer time, +02:00). Pure; never fails. */
int64_t clock_paris_to_utc(int year, int month, int day, int hour, int minute, int second, int ms);

/* Writes `ms` as RFC 3339 with the Europe/Paris offset
 * ("2026-11-22T04:00:00+01:00") into `out` (at least 32 bytes). */
void clock_format(int64_t ms, char out[32]);

/* Days since 1970-01-01 of a proleptic Gregorian date (may be negative). */
int64_t clock_days_from_civil(int year, int month, int day);

/* Inverse of clock_days_from_civil(). */
void clock_civil_from_days(int64_t days, int *year, int *month, int *day);

/* Returns 1 if `s` is a valid calendar date written YYYY-MM-DD (years
 * 1900–2999), 0 otherwise. Stores the fields when the out pointers are set. */
int clock_parse_date(const char *s, int *year, int *month, int *day);

#endif
