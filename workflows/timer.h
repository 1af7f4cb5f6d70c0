/* timer — BPMN timer values and due-time arithmetic (shared/workflow-subset.md
 * §5): ISO 8601 durations, dates with an offset, bounded cycles Rn/duration,
 * or "=path" naming a variable that holds one; due times computed on the
 * Europe/Paris calendar (Y/M/W/D keep the local wall-clock time, clamped to
 * month ends, moved forward out of a DST gap, first occurrence in a DST
 * fold; H/M/S are exact elapsed seconds). Times are UTC epoch milliseconds
 * and `now` is always a parameter (injectable clock). */
#ifndef APPUI_TIMER_H
#define APPUI_TIMER_H
#include <stddef.h>
#include <stdint.h>

enum timer_kind { TIMER_DURATION, TIMER_DATE, TIMER_CYCLE };

struct timer_spec {
  enum timer_kind kind;
  int from_path;          /* 1: the value is read from variable `path` when armed */
  char path[128];         /* "relance.delai" for "=relance.delai" */
  /* TIMER_DURATION and the period of TIMER_CYCLE */
  int years, months, weeks, days;
  int64_t ms;             /* hours, minutes and (fractional) seconds, in ms */
  /* TIMER_DATE */
  int64_t date_ms;
  /* TIMER_CYCLE */
  int repeat;             /* n of Rn, 1..100 */
};

/* Parses `text` as a value of `kind` (from timeDuration, timeDate or
 * timeCycle). Accepted: P[nY][nM][nW][nD][T[nH][nM][n[.fff]S]] with at least
 * one field, integers, a fraction only on seconds (at most 3 digits), W
 * alone, at most 100 years in all; full date-times YYYY-MM-DDThh:mm[:ss[.f]]
 * with Z or ±hh:mm (years 1900–2999; digits of the fraction beyond the
 * millisecond are dropped); Rn/<duration> with 1 ≤ n ≤ 100 and a non-zero
 * period; or "=path" (names of letters, digits and _ joined by dots) for
 * any kind, which sets from_path and path only: the engine reads the
 * variable when the timer is armed and parses its value again with
 * timer_parse (a value that is itself "=path" is then an error for the
 * caller to report). Spaces around the value are ignored. Returns 0 and
 * fills *out (every field not set by the text is 0), or ERR_INVALID with
 * *out untouched, the thread's error message set (err.h) and the same
 * French message copied into `err` (`size` bytes; `err` may be NULL). The
 * message (one line, under 256 bytes) names the offending part without
 * repeating the whole value (callers quote it), says what is accepted and
 * gives an example; cron, R/…, R0, R101, start/end forms and zone-less or
 * date-only values get targeted messages. Does not allocate. */
int timer_parse(struct timer_spec *out, enum timer_kind kind, const char *text, char *err, size_t size);

/* `from` plus the duration part of `s` (the duration, or the period of a
 * cycle): years, months, weeks and days are applied on the Europe/Paris
 * civil calendar keeping the local wall-clock time (day clamped to the end
 * of the month after adding years and months: 31 Jan + P1M = 28/29 Feb;
 * a time in the spring gap moves forward by the gap; a time in the autumn
 * fold takes its first occurrence), then `ms` is added as exact elapsed
 * time. So P1D is the same local time the next day (23 h or 25 h of
 * elapsed time across a DST change) and PT24H is exactly 86 400 000 ms.
 * `s` must not be from_path. Pure. */
int64_t timer_add(int64_t from, const struct timer_spec *s);

/* First due time of a timer armed at `now`: timer_add(now, s) for a
 * duration, the date itself for a date (even if already past: it then
 * fires at once), timer_add(now, s) for a cycle (first repetition one
 * period after arming). `s` must not be from_path. Pure. */
int64_t timer_first_due(const struct timer_spec *s, int64_t now);

/* Next due time of a cycle after a firing scheduled at `scheduled`:
 * timer_add(scheduled, s) (previous scheduled due + period, so firing late
 * does not drift the schedule); if that is already ≤ `now` (downtime
 * missed at least one repetition), timer_add(now, s) instead, so missed
 * repetitions are not fired in a burst. Counting the repetitions left is
 * the caller's job. `s` must be a cycle, not from_path. Pure. */
int64_t timer_next_due(const struct timer_spec *s, int64_t scheduled, int64_t now);

#endif
