/* clock — current time and Europe/Paris civil calendar (see clock.h). */
#include "clock.h"
#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t clock_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Howard Hinnant's days_from_civil / civil_from_days algorithms. */
int64_t clock_days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void clock_civil_from_days(int64_t z, int *year, int *month, int *day) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int d = (int)(doy - (153 * mp + 2) / 5 + 1);
  int m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *year = (int)(y + (m <= 2));
  *month = m;
  *day = d;
}

static int64_t floordiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* UTC epoch seconds of the last Sunday of `month` in `year`, 01:00 UTC. */
static int64_t last_sunday_1utc(int year, int month) {
  int64_t last = clock_days_from_civil(year, month, 31); /* March and October have 31 days */
  int64_t wd = floordiv(last + 3, 7); /* 1970-01-01 was a Thursday (weekday 3 from Monday) */
  wd = (last + 3) - wd * 7;           /* 0 = Monday */
  int64_t sunday = last - ((wd + 1) % 7);
  return sunday * 86400 + 3600;
}

void clock_paris(int64_t ms, struct civil *out) {
  int64_t s = floordiv(ms, 1000);
  int y, m, d;
  clock_civil_from_days(floordiv(s, 86400), &y, &m, &d);
  int off = 60;
  if (s >= last_sunday_1utc(y, 3) && s < last_sunday_1utc(y, 10)) off = 120;
  int64_t local = s + (int64_t)off * 60;
  int64_t days = floordiv(local, 86400);
  int64_t sod = local - days * 86400;
  clock_civil_from_days(days, &out->year, &out->month, &out->day);
  out->hour = (int)(sod / 3600);
  out->minute = (int)(sod / 60 % 60);
  out->second = (int)(sod % 60);
  out->offset_min = off;
  out->weekday = (int)((days + 3) - floordiv(days + 3, 7) * 7);
}

/* Tries summer time first, so that an ambiguous time gets its first
 * occurrence; a time consistent with neither offset lies in the spring gap
 * and is read with the winter offset in force just before it, which lands
 * the length of the gap later in summer time. */
int64_t clock_paris_to_utc(int year, int month, int day, int hour, int minute, int second, int ms) {
  int64_t local = clock_days_from_civil(year, month, day) * 86400 + (int64_t)hour * 3600 + minute * 60 + second;
  int64_t summer = local - 2 * 3600, winter = local - 3600;
  struct civil c;
  clock_paris(summer * 1000, &c);
  if (c.offset_min == 120) return summer * 1000 + ms;
  return winter * 1000 + ms;
}

void clock_format(int64_t ms, char out[32]) {
  struct civil c;
  clock_paris(ms, &c);
  snprintf(out, 32, "%04u-%02u-%02uT%02u:%02u:%02u+%02u:%02u", (unsigned)c.year % 10000u,
           (unsigned)c.month % 100u, (unsigned)c.day % 100u, (unsigned)c.hour % 100u,
           (unsigned)c.minute % 100u, (unsigned)c.second % 100u, (unsigned)c.offset_min / 60u % 100u,
           (unsigned)c.offset_min % 60u);
}

int clock_parse_date(const char *s, int *year, int *month, int *day) {
  if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-') return 0;
  for (int i = 0; i < 10; i++)
    if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9')) return 0;
  int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
  int m = (s[5] - '0') * 10 + (s[6] - '0');
  int d = (s[8] - '0') * 10 + (s[9] - '0');
  if (y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1) return 0;
  static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  int max = mdays[m - 1] + (m == 2 && leap);
  if (d > max) return 0;
  if (year) *year = y;
  if (month) *month = m;
  if (day) *day = d;
  return 1;
}
