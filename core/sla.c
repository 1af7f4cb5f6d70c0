/* sla — deadlines of requests in business days (see sla.h). A request's
 * row is read into a struct, changed, and written back together with the
 * copy of its earliest unmet deadline kept in request.due_at for the
 * board. */
#include "sla.h"
#include "calendar.h"
#include "clock.h"
#include "db.h"
#include "err.h"
#include "journal.h"
#include <stdio.h>
#include <string.h>

#define DAY_MS 86400000LL

static const char *const target_names[] = {"ack", "take", "resolve"};
static const char *const target_labels[] = {"Accusé de réception", "Prise en charge", "Résolution"};

const char *sla_target_label(enum sla_target t) { return target_labels[t]; }

/* One row of table sla; 0 stands for NULL in times, -1 in days. */
struct row {
  int64_t request;
  int days[3];
  int64_t due[3], met[3];
  int64_t paused_since, paused_ms;
  int overdue;
};

static int64_t col_i64(sqlite3_stmt *st, int i) {
  return sqlite3_column_type(st, i) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, i);
}

/* Reads the row of `request`. Returns 0, ERR_NOTFOUND or a storage error. */
static int load(struct row *r, struct db *db, int64_t request) {
  sqlite3_stmt *st;
  int rc = db_prepare(&st, db,
                      "SELECT ack_days, take_days, resolve_days, ack_due, take_due, resolve_due, acked_at, taken_at, "
                      "resolved_at, paused_since, paused_ms, overdue FROM sla WHERE request = ?");
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, request);
  int s = sqlite3_step(st);
  if (s == SQLITE_ROW) {
    memset(r, 0, sizeof *r);
    r->request = request;
    for (int t = 0; t < 3; t++) {
      r->days[t] = sqlite3_column_type(st, t) == SQLITE_NULL ? -1 : sqlite3_column_int(st, t);
      r->due[t] = col_i64(st, 3 + t);
      r->met[t] = col_i64(st, 6 + t);
    }
    r->paused_since = col_i64(st, 9);
    r->paused_ms = col_i64(st, 10);
    r->overdue = sqlite3_column_int(st, 11);
  } else if (s == SQLITE_DONE) {
    rc = err_set(ERR_NOTFOUND, "request", "pas de délais pour la demande %lld", (long long)request);
  } else {
    rc = db_fail(db, s, "lecture des délais");
  }
  db_done(st);
  return rc;
}

/* The earliest deadline not met (and, with `unflagged`, not yet
 * journaled), 0 when none or paused. */
static int64_t earliest(const struct row *r, int unflagged) {
  int64_t best = 0;
  if (r->paused_since) return 0;
  for (int t = 0; t < 3; t++)
    if (r->due[t] && !r->met[t] && !(unflagged && (r->overdue & (1 << t))) && (!best || r->due[t] < best))
      best = r->due[t];
  return best;
}

static void bind_time(sqlite3_stmt *st, int i, int64_t v) {
  if (v) sqlite3_bind_int64(st, i, v);
  else sqlite3_bind_null(st, i);
}

/* Writes the row back with its derived deadlines, and request.due_at. */
static int store(struct db *db, const struct row *r) {
  sqlite3_stmt *st;
  int rc = db_prepare(&st, db,
                      "UPDATE sla SET ack_days = ?2, take_days = ?3, resolve_days = ?4, ack_due = ?5, take_due = ?6, "
                      "resolve_due = ?7, acked_at = ?8, taken_at = ?9, resolved_at = ?10, paused_since = ?11, "
                      "paused_ms = ?12, overdue = ?13, due_at = ?14, escalate_at = ?15 WHERE request = ?1");
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, r->request);
  for (int t = 0; t < 3; t++) {
    if (r->days[t] >= 0) sqlite3_bind_int(st, 2 + t, r->days[t]);
    bind_time(st, 5 + t, r->due[t]);
    bind_time(st, 8 + t, r->met[t]);
  }
  bind_time(st, 11, r->paused_since);
  sqlite3_bind_int64(st, 12, r->paused_ms);
  sqlite3_bind_int(st, 13, r->overdue);
  bind_time(st, 14, earliest(r, 0));
  bind_time(st, 15, earliest(r, 1));
  int s = sqlite3_step(st);
  db_done(st);
  if (s != SQLITE_DONE) return db_fail(db, s, "enregistrement des délais");
  if ((rc = db_prepare(&st, db, "UPDATE request SET due_at = ?2 WHERE id = ?1 AND due_at IS NOT ?2"))) return rc;
  sqlite3_bind_int64(st, 1, r->request);
  bind_time(st, 2, earliest(r, 0));
  s = sqlite3_step(st);
  db_done(st);
  return s == SQLITE_DONE ? 0 : db_fail(db, s, "enregistrement de l'échéance");
}

/* Sets the targets of offer `offer` on `r` (filed at `filed`) where none is
 * set; returns 0 or an error. */
static int take_targets(struct row *r, struct db *db, int64_t offer, int64_t filed) {
  sqlite3_stmt *st;
  int rc = db_prepare(&st, db, "SELECT sla_ack_days, sla_take_days, sla_resolve_days FROM offer WHERE id = ?");
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, offer);
  if (sqlite3_step(st) == SQLITE_ROW)
    for (int t = 0; t < 3 && !rc; t++)
      if (r->days[t] < 0 && sqlite3_column_type(st, t) != SQLITE_NULL) {
        r->days[t] = sqlite3_column_int(st, t);
        int64_t due;
        if (!(rc = calendar_due(&due, filed, r->days[t]))) {
          /* A pause already taken pushes a new deadline as well. */
          if (r->paused_ms) rc = calendar_add_business_ms(&due, due, r->paused_ms);
          r->due[t] = due;
        }
      }
  db_done(st);
  return rc;
}

int sla_start_tx(struct db *db, int64_t request, int64_t offer, int64_t filed_at) {
  sqlite3_stmt *st;
  int rc = db_prepare(&st, db, "INSERT INTO sla (request) VALUES (?)");
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, request);
  int s = sqlite3_step(st);
  db_done(st);
  if (s != SQLITE_DONE) return db_fail(db, s, "création des délais");
  if (!offer) return 0;
  struct row r;
  if ((rc = load(&r, db, request))) return rc;
  if ((rc = take_targets(&r, db, offer, filed_at))) return rc;
  return store(db, &r);
}

int sla_adopt_tx(struct db *db, int64_t request, int64_t offer) {
  struct row r;
  int64_t filed = 0;
  int rc = load(&r, db, request);
  if (rc) return rc;
  if (r.days[0] >= 0 || r.days[1] >= 0 || r.days[2] >= 0) return 0;
  sqlite3_stmt *st;
  if ((rc = db_prepare(&st, db, "SELECT filed_at FROM request WHERE id = ?"))) return rc;
  sqlite3_bind_int64(st, 1, request);
  if (sqlite3_step(st) == SQLITE_ROW) filed = sqlite3_column_int64(st, 0);
  db_done(st);
  if ((rc = take_targets(&r, db, offer, filed))) return rc;
  return store(db, &r);
}

int sla_met_tx(struct db *db, int64_t request, enum sla_target t, int64_t now) {
  struct row r;
  int rc = load(&r, db, request);
  if (rc) return rc == ERR_NOTFOUND ? 0 : rc;
  if (r.met[t]) return 0;
  r.met[t] = now;
  /* Taking charge or resolving acknowledges too. */
  for (int u = 0; u < (int)t; u++)
    if (!r.met[u]) r.met[u] = now;
  return store(db, &r);
}

/* Restarts the clock of `r` at `now`: the business time paused is added to
 * every deadline not yet met. */
static int resume(struct row *r, int64_t now) {
  int64_t paused = calendar_business_ms(r->paused_since, now);
  r->paused_since = 0;
  r->paused_ms += paused;
  for (int t = 0; t < 3; t++)
    if (r->due[t] && !r->met[t] && paused > 0) {
      int rc = calendar_add_business_ms(&r->due[t], r->due[t], paused);
      if (rc) return rc;
      /* A deadline pushed past `now` may pass again later. */
      if (r->due[t] > now) r->overdue &= ~(1 << t);
    }
  return 0;
}

int sla_status_tx(struct db *db, int64_t request, const char *status, int64_t now) {
  /* The status as a code of table status when it is one (by code or label). */
  char code[32] = "";
  sqlite3_stmt *st;
  int rc = db_prepare(&st, db, "SELECT code FROM status WHERE code = ?1 OR label = ?1");
  if (rc) return rc;
  db_bind_text(st, 1, status);
  if (sqlite3_step(st) == SQLITE_ROW) snprintf(code, sizeof code, "%s", db_col_text(st, 0));
  db_done(st);
  struct row r;
  if ((rc = load(&r, db, request))) return rc == ERR_NOTFOUND ? 0 : rc;
  int resolved = !strcmp(code, "closed") || !strcmp(code, "cancelled");
  if (strcmp(code, "filed") != 0 && !r.met[SLA_ACK]) r.met[SLA_ACK] = now;
  if (!strcmp(code, "waiting") && !r.paused_since && !resolved) r.paused_since = now;
  else if (strcmp(code, "waiting") != 0 && r.paused_since && (rc = resume(&r, now))) return rc;
  if (resolved) /* every target still open ends now (late if past due) */
    for (int t = 0; t < 3; t++)
      if (!r.met[t]) r.met[t] = now;
  return store(db, &r);
}

struct sweep {
  const struct user *actor;
  int64_t now;
  int limit, escalated;
};

static int sweep_tx(struct db *db, void *arg) {
  struct sweep *w = arg;
  sqlite3_stmt *st;
  int64_t ids[256];
  int n = 0, rc = db_prepare(&st, db, "SELECT request FROM sla WHERE escalate_at < ? ORDER BY escalate_at LIMIT ?");
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, w->now);
  sqlite3_bind_int(st, 2, w->limit < 256 ? w->limit : 256);
  while (sqlite3_step(st) == SQLITE_ROW) ids[n++] = sqlite3_column_int64(st, 0);
  db_done(st);
  w->escalated = 0;
  for (int i = 0; i < n && !rc; i++) {
    struct row r;
    if ((rc = load(&r, db, ids[i]))) break;
    for (int t = 0; t < 3 && !rc; t++) {
      if (!r.due[t] || r.met[t] || (r.overdue & (1 << t)) || r.due[t] >= w->now) continue;
      char due[32];
      clock_format(r.due[t], due);
      json_t *data = json_pack("{s:s, s:s, s:s, s:i}", "target", target_names[t], "label", target_labels[t], "due_at",
                               due, "days", r.days[t]);
      rc = journal_append_at(db, w->actor, r.request, "sla.overdue", data, w->now);
      json_decref(data);
      r.overdue |= 1 << t;
      w->escalated++;
    }
    if (!rc) rc = store(db, &r);
  }
  return rc;
}

int sla_sweep(int *escalated, struct db *db, const struct user *actor, int64_t now, int limit) {
  struct sweep w = {actor, now, limit > 0 ? limit : 256, 0};
  int rc = db_write(db, sweep_tx, &w);
  if (escalated) *escalated = rc ? 0 : w.escalated;
  return rc;
}

int64_t sla_soon_limit(int64_t now) {
  int64_t out = now + DAY_MS;
  calendar_add_business_ms(&out, now, DAY_MS);
  return out;
}

int sla_show(json_t **out, struct db *db, int64_t request, int64_t now) {
  struct row r;
  int rc = load(&r, db, request);
  if (rc) return rc;
  int64_t soon = sla_soon_limit(now);
  json_t *targets = json_array();
  int late = 0, near = 0;
  for (int t = 0; t < 3; t++) {
    const char *state, *label;
    if (!r.due[t]) state = "none", label = "Pas d'objectif";
    else if (r.met[t]) state = r.met[t] <= r.due[t] ? "met" : "met_late",
                       label = r.met[t] <= r.due[t] ? "Tenu" : "Tenu en retard";
    else if (r.paused_since) state = "paused", label = "Suspendu (en attente de la collectivité)";
    else if (r.due[t] < now) state = "late", label = "En retard", late = 1;
    else if (r.due[t] < soon) state = "soon", label = "Bientôt en retard", near = 1;
    else state = "running", label = "Dans les délais";
    char due[32] = "", met[32] = "";
    if (r.due[t]) clock_format(r.due[t], due);
    if (r.met[t]) clock_format(r.met[t], met);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "target", target_names[t], "label", target_labels[t], "state", state,
                          "state_label", label);
    json_object_set_new(o, "days", r.days[t] >= 0 ? json_integer(r.days[t]) : json_null());
    json_object_set_new(o, "due_at", r.due[t] ? json_string(due) : json_null());
    json_object_set_new(o, "met_at", r.met[t] ? json_string(met) : json_null());
    json_array_append_new(targets, o);
  }
  *out = json_pack("{s:b, s:b, s:b, s:I, s:o}", "paused", r.paused_since != 0, "late", late, "soon", near,
                   "paused_business_ms", (json_int_t)r.paused_ms, "targets", targets);
  return 0;
}
