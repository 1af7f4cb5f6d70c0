/* timer — BPMN timer values (durations, dates with an offset, bounded
 * cycles, "=path") and due-time arithmetic on the Europe/Paris calendar
 * (see timer.h and shared/workflow-subset.md §5). Parsing is strict and
 * every refusal says, in French, what is accepted with an example. */
#include "timer.h"
#include "clock.h"
#include "err.h"
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define DUR_FORM "P[nY][nM][nW][nD][T[nH][nM][nS]]"
#define DUR_HELP "attendu " DUR_FORM ", par exemple PT15M, P3D ou P1DT12H"
#define DATE_HELP "attendu AAAA-MM-JJThh:mm:ss avec Z ou ±hh:mm, par exemple 2026-12-01T09:00:00+01:00"
#define CYCLE_HELP "attendu Rn/<durée> avec n de 1 à 100, par exemple R3/P1D (3 fois, une par jour)"
#define PATH_HELP                                                                                      \
  "après « = », attendu le nom d'une variable (lettres, chiffres et _, parties séparées par des "      \
  "points), par exemple =relance.delai"

/* Longest duration accepted: 100 years of 365.25 days, in ms. Every field
 * is checked against it with its average length, so sums cannot overflow. */
#define MAX_MS (36525LL * 86400 * 1000)

/* Field order of a duration: Y M W D (date part), then H M S (time part). */
enum { F_Y, F_MO, F_W, F_D, F_H, F_MI, F_S, F_COUNT };
static const int64_t unit_ms[F_COUNT] = {
    31557600000LL, /* year: 365.25 days */
    2629800000LL,  /* month: a twelfth of that */
    604800000LL, 86400000LL, 3600000LL, 60000LL, 1000LL};

static void say(char *msg, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *msg, size_t size, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, size, fmt, ap);
  va_end(ap);
}

/* Copies at most 40 bytes of s[0..n) into `out`, cut on a UTF-8 character
 * boundary, control characters replaced by '?', "…" appended when cut. */
static void fragment(char out[48], const char *s, size_t n) {
  size_t k = n > 40 ? 40 : n;
  if (k < n)
    while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80) k--;
  for (size_t i = 0; i < k; i++) out[i] = (unsigned char)s[i] < 0x20 ? '?' : s[i];
  if (k < n) memcpy(out + k, "…", sizeof "…");
  else out[k] = 0;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_letter(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* Reads `count` digits at s[0..count) into *v; 0 if one is not a digit. */
static int digits(const char *s, int count, int *v) {
  *v = 0;
  for (int i = 0; i < count; i++) {
    if (!is_digit(s[i])) return 0;
    *v = *v * 10 + (s[i] - '0');
  }
  return 1;
}

static int64_t floordiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Index of duration designator `c` in the date part (before T) or the
 * time part, or -1 when `c` does not belong there. */
static int designator(char c, int in_time) {
  if (!in_time) return c == 'Y' ? F_Y : c == 'M' ? F_MO : c == 'W' ? F_W : c == 'D' ? F_D : -1;
  return c == 'H' ? F_H : c == 'M' ? F_MI : c == 'S' ? F_S : -1;
}

/* Parses the duration s[0..n) into the duration fields of `t`. Returns 0,
 * or -1 with the reason in msg. */
static int parse_duration(struct timer_spec *t, const char *s, size_t n, char *msg, size_t size) {
  int64_t v[F_COUNT] = {0};
  int present[F_COUNT] = {0};
  int64_t frac_ms = 0;
  int in_time = 0, last = -1, fields = 0, time_fields = 0, rc = -1;
  char frag[48];
  size_t i;
  if (n == 0) {
    say(msg, size, "durée vide : " DUR_HELP);
    goto done;
  }
  for (i = 0; i < n; i++)
    if (s[i] >= 'a' && s[i] <= 'z') {
      say(msg, size, "les lettres d'une durée s'écrivent en majuscules, par exemple P1DT12H ou PT30M");
      goto done;
    }
  if (s[0] == '-' || s[0] == '+') {
    say(msg, size, "une durée ne peut pas être signée : " DUR_HELP);
    goto done;
  }
  if (s[0] != 'P') {
    fragment(frag, s, n);
    if (s[0] == 'R')
      say(msg, size, "un cycle Rn/… n'est pas une durée (il se déclare en timeCycle) : " DUR_HELP);
    else if (n >= 5 && is_digit(s[0]) && s[4] == '-')
      say(msg, size, "une date n'est pas une durée (une échéance fixe se déclare en timeDate) : " DUR_HELP);
    else if (strspn(s, "0123456789") == n)
      say(msg, size,
          "« %s » : une durée commence par P et chaque nombre porte son unité, par exemple PT%sM "
          "(minutes) ou P%sD (jours)",
          frag, frag, frag);
    else
      say(msg, size, "une durée commence par P : " DUR_HELP);
    goto done;
  }
  i = 1;
  while (i < n) {
    char c = s[i];
    if (c == 'T') {
      if (in_time) {
        say(msg, size, "« T » ne peut figurer qu'une fois dans une durée, par exemple P1DT12H");
        goto done;
      }
      in_time = 1;
      last = -1;
      i++;
      continue;
    }
    if (!is_digit(c)) {
      if (designator(c, 0) >= 0 || designator(c, 1) >= 0)
        say(msg, size, "chaque champ est un nombre suivi de son unité : « %c » sans nombre, par exemple P2D ou PT2H", c);
      else if (is_space(c))
        say(msg, size, "pas d'espace dans une durée : " DUR_HELP);
      else if (c == '.' || c == ',')
        say(msg, size, "un chiffre au moins avant le point des secondes, par exemple PT0.5S");
      else {
        size_t len = 1;
        while (i + len < n && ((unsigned char)s[i + len] & 0xC0) == 0x80) len++;
        fragment(frag, s + i, len);
        say(msg, size, "caractère « %s » inattendu dans une durée : " DUR_HELP, frag);
      }
      goto done;
    }
    int64_t value = 0;
    size_t start = i;
    for (; i < n && is_digit(s[i]); i++)
      if (value <= MAX_MS) value = value * 10 + (s[i] - '0');
    int frac = 0;
    if (i < n && (s[i] == '.' || s[i] == ',')) {
      if (s[i] == ',') {
        say(msg, size, "la partie décimale des secondes s'écrit avec un point, par exemple PT1.5S");
        goto done;
      }
      size_t f = ++i;
      for (; i < n && is_digit(s[i]); i++) {
        if (i - f < 3) frac_ms = frac_ms * 10 + (s[i] - '0');
      }
      if (i == f) {
        say(msg, size, "un chiffre au moins après le point des secondes, par exemple PT1.5S");
        goto done;
      }
      if (i - f > 3) {
        say(msg, size, "au plus 3 décimales aux secondes (la milliseconde), par exemple PT0.25S");
        goto done;
      }
      for (size_t k = i - f; k < 3; k++) frac_ms *= 10;
      frac = 1;
    }
    if (i >= n) {
      fragment(frag, s + start, i - start);
      say(msg, size, "le nombre %s n'a pas d'unité : Y, M, W, D, puis après T : H, M, S, par exemple P1D ou PT1H",
          frag);
      goto done;
    }
    c = s[i];
    int f = designator(c, in_time);
    if (f < 0) {
      if (!in_time && designator(c, 1) >= 0)
        say(msg, size, "les heures et les secondes se placent après T, par exemple PT1H, PT30S ou P1DT12H");
      else if (in_time && designator(c, 0) >= 0)
        say(msg, size, "« %c » se place avant T, par exemple %s", c, c == 'W' ? "P2W" : c == 'Y' ? "P1YT12H" : "P1DT12H");
      else if (is_letter(c) || is_digit(c))
        say(msg, size, "unité « %c » inconnue : Y, M, W, D, puis après T : H, M, S, par exemple P1Y2M ou PT1H30M",
            c);
      else {
        size_t len = 1;
        while (i + len < n && ((unsigned char)s[i + len] & 0xC0) == 0x80) len++;
        fragment(frag, s + i, len);
        say(msg, size, "caractère « %s » inattendu dans une durée : " DUR_HELP, frag);
      }
      goto done;
    }
    if (f <= last) {
      say(msg, size,
          "champs dans le désordre ou répétés : l'ordre est Y, M, W, D puis T, H, M, S, chacun une fois, "
          "par exemple P1Y2M3DT4H5M6S");
      goto done;
    }
    if (frac && f != F_S) {
      say(msg, size,
          "seules les secondes peuvent avoir une partie décimale, par exemple PT1.5S ; écrire PT1H30M plutôt "
          "que PT1.5H");
      goto done;
    }
    v[f] = value;
    present[f] = 1;
    last = f;
    fields++;
    if (in_time) time_fields++;
    i++;
  }
  if (in_time && !time_fields) {
    say(msg, size, "« T » doit être suivi d'heures, de minutes ou de secondes, par exemple P1DT12H ou PT30M ; "
                   "sans heure, écrire P1D");
    goto done;
  }
  if (!fields) {
    say(msg, size, "« P » seul ne contient aucun champ : " DUR_HELP);
    goto done;
  }
  if (present[F_W] && fields > 1) {
    say(msg, size, "les semaines (W) ne se combinent avec aucun autre champ, par exemple P2W ; écrire P9D "
                   "plutôt que P1W2D");
    goto done;
  }
  int64_t total = frac_ms;
  for (int k = 0; k < F_COUNT; k++) {
    if (v[k] > MAX_MS / unit_ms[k]) total = MAX_MS + 1;
    else total += v[k] * unit_ms[k];
  }
  if (total > MAX_MS) {
    say(msg, size, "durée trop longue : 100 ans au plus, par exemple P100Y, P1200M ou P36525D");
    goto done;
  }
  t->years = (int)v[F_Y];
  t->months = (int)v[F_MO];
  t->weeks = (int)v[F_W];
  t->days = (int)v[F_D];
  t->ms = v[F_H] * unit_ms[F_H] + v[F_MI] * unit_ms[F_MI] + v[F_S] * unit_ms[F_S] + frac_ms;
  rc = 0;
done:
  return rc;
}

/* Parses the date-time s[0..n) into *out (UTC epoch ms). Returns 0, or -1
 * with the reason in msg. */
static int parse_date(int64_t *out, const char *s, size_t n, char *msg, size_t size) {
  int y, mo, d, h, mi, sec = 0, oh = 0, om = 0, rc = -1;
  int64_t frac_ms = 0, offset_min = 0;
  char frag[48];
  size_t i;
  if (n == 0) {
    say(msg, size, "date vide : " DATE_HELP);
    goto done;
  }
  if (n < 10 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
      !digits(s + 8, 2, &d)) {
    if (s[0] == 'P')
      say(msg, size, "une durée n'est pas une date (un délai se déclare en timeDuration) : " DATE_HELP);
    else
      say(msg, size, "date-heure illisible : " DATE_HELP);
    goto done;
  }
  char day[11];
  memcpy(day, s, 10);
  day[10] = 0;
  if (!clock_parse_date(day, NULL, NULL, NULL)) {
    say(msg, size, "la date %s n'existe pas (années 1900 à 2999) : " DATE_HELP, day);
    goto done;
  }
  if (n == 10) {
    say(msg, size, "une date seule ne suffit pas : l'heure et le décalage horaire (Z ou ±hh:mm) sont "
                   "obligatoires, par exemple %sT09:00:00+01:00", day);
    goto done;
  }
  if (s[10] != 'T' && s[10] != 't') {
    say(msg, size, "la date et l'heure se séparent par T : " DATE_HELP);
    goto done;
  }
  if (n < 16 || !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi)) {
    say(msg, size, "heure illisible (hh:mm) : " DATE_HELP);
    goto done;
  }
  i = 16;
  if (i < n && s[i] == ':') {
    if (n < 19 || !digits(s + 17, 2, &sec)) {
      say(msg, size, "secondes illisibles (ss) : " DATE_HELP);
      goto done;
    }
    i = 19;
    if (i < n && (s[i] == '.' || s[i] == ',')) {
      if (s[i] == ',') {
        say(msg, size, "la partie décimale des secondes s'écrit avec un point, par exemple 2026-12-01T09:00:00.5Z");
        goto done;
      }
      size_t f = ++i;
      for (; i < n && is_digit(s[i]); i++)
        if (i - f < 3) frac_ms = frac_ms * 10 + (s[i] - '0');
      if (i == f || i - f > 9) {
        say(msg, size, "de 1 à 9 chiffres après le point des secondes, par exemple 2026-12-01T09:00:00.250Z");
        goto done;
      }
      for (size_t k = i - f; k < 3; k++) frac_ms *= 10;
    }
  }
  if (h > 23 || mi > 59 || sec > 59) {
    say(msg, size, "heure invalide : heures de 00 à 23, minutes et secondes de 00 à 59, par exemple "
                   "2026-12-01T09:00:00+01:00");
    goto done;
  }
  if (i == n || s[i] == '[') {
    fragment(frag, s, i);
    say(msg, size, "le décalage horaire est obligatoire (Z ou ±hh:mm), par exemple %s+01:00 ou %sZ (UTC)", frag,
        frag);
    goto done;
  }
  if (s[i] == 'Z' || s[i] == 'z') {
    i++;
  } else if (s[i] == '+' || s[i] == '-') {
    if (n - i < 6 || !digits(s + i + 1, 2, &oh) || s[i + 3] != ':' || !digits(s + i + 4, 2, &om) ||
        (n - i > 6 && is_digit(s[i + 6]))) {
      say(msg, size, "le décalage s'écrit Z ou ±hh:mm, par exemple 2026-12-01T09:00:00+01:00 ou -05:00");
      goto done;
    }
    offset_min = oh * 60 + om;
    if (om > 59 || offset_min > 18 * 60) {
      say(msg, size, "décalage hors limites : de -18:00 à +18:00, par exemple +01:00 ou +02:00");
      goto done;
    }
    if (s[i] == '-') offset_min = -offset_min;
    i += 6;
  } else {
    say(msg, size, "décalage horaire illisible après l'heure : " DATE_HELP);
    goto done;
  }
  if (i < n) {
    if (s[i] == '[')
      say(msg, size, "le nom de fuseau entre crochets n'est pas accepté : indiquer seulement le décalage, par "
                     "exemple 2026-12-01T09:00:00+01:00");
    else
      say(msg, size, "caractères en trop après le décalage horaire : " DATE_HELP);
    goto done;
  }
  *out = ((clock_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) - offset_min * 60) * 1000 + frac_ms;
  rc = 0;
done:
  return rc;
}

/* Parses the cycle s[0..n) into the cycle fields of `t`. Returns 0, or -1
 * with the reason in msg. */
static int parse_cycle(struct timer_spec *t, const char *s, size_t n, char *msg, size_t size) {
  char frag[48], why[256];
  int rc = -1;
  size_t i;
  if (n == 0) {
    say(msg, size, "cycle vide : " CYCLE_HELP);
    goto done;
  }
  int spaces = 0, stars = 0;
  for (i = 0; i < n; i++) {
    if (is_space(s[i])) spaces = 1;
    if (s[i] == '*' || s[i] == '?') stars = 1;
  }
  if (stars || (spaces && s[0] != 'R' && s[0] != 'P')) {
    say(msg, size, "les expressions cron ne sont pas acceptées : " CYCLE_HELP);
    goto done;
  }
  if (spaces) {
    say(msg, size, "pas d'espace dans un cycle : " CYCLE_HELP);
    goto done;
  }
  const char *slash = memchr(s, '/', n);
  if (s[0] != 'R') {
    if (slash && (s[0] == 'P' || is_digit(s[0])))
      say(msg, size, "les cycles avec une date de début ou de fin ne sont pas acceptés (un cycle commence "
                     "quand le minuteur est armé) : " CYCLE_HELP);
    else if (s[0] == 'P') {
      fragment(frag, s, n);
      say(msg, size, "un cycle indique son nombre de répétitions, de 1 à 100 : écrire par exemple R3/%s", frag);
    } else
      say(msg, size, "cycle illisible : " CYCLE_HELP);
    goto done;
  }
  size_t digits_end = 1;
  while (digits_end < n && is_digit(s[digits_end])) digits_end++;
  if (digits_end == 1) {
    if (n > 1 && s[1] == '/')
      say(msg, size, "un cycle sans fin (R/…) n'est pas accepté : indiquer le nombre de répétitions, de 1 à "
                     "100, par exemple R3/PT1H");
    else
      say(msg, size, "nombre de répétitions manquant ou illisible après R : " CYCLE_HELP);
    goto done;
  }
  int repeat = 0;
  for (i = 1; i < digits_end; i++)
    if (repeat <= 100) repeat = repeat * 10 + (s[i] - '0');
  if (repeat < 1 || repeat > 100) {
    fragment(frag, s + 1, digits_end - 1);
    say(msg, size, "nombre de répétitions %s hors limites : de 1 à 100, par exemple R3/PT1H", frag);
    goto done;
  }
  if (digits_end == n || s[digits_end] != '/') {
    say(msg, size, "il manque « / » entre le nombre de répétitions et la période : " CYCLE_HELP);
    goto done;
  }
  const char *period = s + digits_end + 1;
  size_t len = n - digits_end - 1;
  int dated = len >= 5 && is_digit(period[0]) && is_digit(period[1]) && is_digit(period[2]) &&
              is_digit(period[3]) && period[4] == '-';
  if (memchr(period, '/', len) || dated) {
    say(msg, size, "les cycles avec une date de début ou de fin ne sont pas acceptés (un cycle commence "
                   "quand le minuteur est armé) : " CYCLE_HELP);
    goto done;
  }
  if (parse_duration(t, period, len, why, sizeof why)) {
    say(msg, size, "période du cycle : %s", why);
    goto done;
  }
  if (!t->years && !t->months && !t->weeks && !t->days && !t->ms) {
    say(msg, size, "la période d'un cycle ne peut pas être nulle : " CYCLE_HELP);
    goto done;
  }
  t->repeat = repeat;
  rc = 0;
done:
  return rc;
}

/* Parses the variable path s[0..n) (after "=" and spaces) into path[128].
 * Returns 0, or -1 with the reason in msg. */
static int parse_path(char path[128], const char *s, size_t n, char *msg, size_t size) {
  static const char *const reserved[] = {"and", "or", "not", "in", "true", "false", "null"};
  int rc = -1;
  size_t i = 0;
  if (n >= 128) {
    say(msg, size, "nom de variable trop long (127 caractères au plus), par exemple =relance.delai");
    goto done;
  }
  for (;;) {
    size_t start = i;
    if (i >= n || !is_letter(s[i])) {
      say(msg, size, PATH_HELP);
      goto done;
    }
    while (i < n && (is_letter(s[i]) || is_digit(s[i]) || s[i] == '_')) i++;
    for (size_t k = 0; k < sizeof reserved / sizeof reserved[0]; k++)
      if (strlen(reserved[k]) == i - start && memcmp(reserved[k], s + start, i - start) == 0) {
        say(msg, size, "« %s » est un mot réservé, pas un nom de variable : par exemple =relance.delai",
            reserved[k]);
        goto done;
      }
    if (i == n) break;
    if (s[i] != '.') {
      say(msg, size, PATH_HELP);
      goto done;
    }
    i++;
  }
  memcpy(path, s, n);
  path[n] = 0;
  rc = 0;
done:
  return rc;
}

int timer_parse(struct timer_spec *out, enum timer_kind kind, const char *text, char *err, size_t size) {
  assert(out && (kind == TIMER_DURATION || kind == TIMER_DATE || kind == TIMER_CYCLE));
  struct timer_spec t;
  char msg[256];
  int rc = 0;
  const char *s = text ? text : "";
  size_t n = strlen(s);
  memset(&t, 0, sizeof t);
  t.kind = kind;
  while (n && is_space(*s)) s++, n--;
  while (n && is_space(s[n - 1])) n--;
  if (n && s[0] == '=') {
    size_t k = 1;
    while (k < n && is_space(s[k])) k++;
    t.from_path = 1;
    rc = parse_path(t.path, s + k, n - k, msg, sizeof msg);
  } else if (kind == TIMER_DURATION) {
    rc = parse_duration(&t, s, n, msg, sizeof msg);
  } else if (kind == TIMER_DATE) {
    rc = parse_date(&t.date_ms, s, n, msg, sizeof msg);
  } else {
    rc = parse_cycle(&t, s, n, msg, sizeof msg);
  }
  if (rc) {
    rc = err_set(ERR_INVALID, NULL, "%s", msg);
    if (err && size) snprintf(err, size, "%s", msg);
    goto done;
  }
  *out = t;
done:
  return rc;
}

/* Number of days of `month` in `year`. */
static int month_length(int year, int month) {
  int64_t first = clock_days_from_civil(year, month, 1);
  int64_t next = month == 12 ? clock_days_from_civil(year + 1, 1, 1) : clock_days_from_civil(year, month + 1, 1);
  return (int)(next - first);
}

int64_t timer_add(int64_t from, const struct timer_spec *s) {
  assert(s && !s->from_path);
  int64_t due = from;
  if (s->years || s->months || s->weeks || s->days) {
    struct civil c;
    clock_paris(from, &c);
    int ms = (int)(from - floordiv(from, 1000) * 1000);
    int64_t month_index = (int64_t)c.year * 12 + (c.month - 1) + (int64_t)s->years * 12 + s->months;
    int y = (int)floordiv(month_index, 12);
    int m = (int)(month_index - (int64_t)y * 12) + 1;
    int d = c.day;
    int last = month_length(y, m);
    if (d > last) d = last;
    int64_t days = clock_days_from_civil(y, m, d) + (int64_t)s->weeks * 7 + s->days;
    clock_civil_from_days(days, &y, &m, &d);
    due = clock_paris_to_utc(y, m, d, c.hour, c.minute, c.second, ms);
  }
  return due + s->ms;
}

int64_t timer_first_due(const struct timer_spec *s, int64_t now) {
  assert(s && !s->from_path);
  return s->kind == TIMER_DATE ? s->date_ms : timer_add(now, s);
}

int64_t timer_next_due(const struct timer_spec *s, int64_t scheduled, int64_t now) {
  assert(s && !s->from_path && s->kind == TIMER_CYCLE);
  int64_t next = timer_add(scheduled, s);
  return next > now ? next : timer_add(now, s);
}
