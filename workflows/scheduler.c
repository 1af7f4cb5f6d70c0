/* scheduler — timers, jobs and reconcile in the background (see
 * scheduler.h). */
#include "scheduler.h"
#include "clock.h"
#include "db.h"
#include "dispatch.h"
#include "engine.h"
#include "err.h"
#include "log.h"
#include "session.h"
#include "sla.h"
#include "store.h"
#include "user.h"
#include "workflow.h"
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct scheduler {
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t wake;
  int stopping;
  int period_ms, reconcile_s;
  struct db *db;
  struct engine *engine;
  struct store *store;
};

static void *run(void *arg) {
  struct scheduler *s = arg;
  struct user sys;
  int64_t last_reconcile = 0;
  user_system(&sys, "planificateur");
  pthread_mutex_lock(&s->lock);
  while (!s->stopping) {
    pthread_mutex_unlock(&s->lock);
    int64_t now = clock_now_ms();
    int timers = 0, jobs = 0;
    if (engine_tick(&timers, &jobs, s->engine, &sys, now))
      log_error("planificateur : %s", err_msg());
    else if (timers || jobs)
      log_info("planificateur : %d minuteur(s), %d travail(s)", timers, jobs);
    int overdue = 0;
    if (sla_sweep(&overdue, s->db, &sys, now, 256)) log_error("délais : %s", err_msg());
    else if (overdue) log_info("délais : %d dépassement(s) signalé(s)", overdue);
    if (now - last_reconcile >= (int64_t)s->reconcile_s * 1000) {
      int told = 0;
      if (dispatch_sweep(&told, s->engine, 256)) log_error("mises en relation closes : %s", err_msg());
      else if (told) log_info("%d circuit(s) informé(s) de mises en relation déjà closes", told);
      struct store_reconcile r;
      if (store_reconcile(&r, s->store, s->db, &sys)) log_error("réconciliation des circuits : %s", err_msg());
      else if (r.versions || r.rejected)
        log_info("réconciliation : %d version(s) nouvelle(s), %d fichier(s) refusé(s)", r.versions, r.rejected);
      /* Expired browser sessions and spent login-failure counters. */
      int purged = 0;
      if (session_purge(&purged, s->db, now)) log_error("sessions expirées : %s", err_msg());
      else if (purged) log_debug("%d session(s) ou compteur(s) d'échecs expiré(s) supprimé(s)", purged);
      last_reconcile = now;
    }
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += s->period_ms / 1000;
    until.tv_nsec += (long)(s->period_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
      until.tv_sec++;
      until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->lock);
    while (!s->stopping && pthread_cond_timedwait(&s->wake, &s->lock, &until) != ETIMEDOUT) {
    }
  }
  pthread_mutex_unlock(&s->lock);
  return NULL;
}

static void release(struct scheduler *s) {
  engine_free(s->engine);
  store_close(s->store);
  db_close(s->db);
  pthread_cond_destroy(&s->wake);
  pthread_mutex_destroy(&s->lock);
  free(s);
}

int scheduler_start(struct scheduler **out, const char *dir, int period_ms, int reconcile_s) {
  char path[4096];
  *out = NULL;
  struct scheduler *s = calloc(1, sizeof *s);
  if (!s) return err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
  pthread_mutex_init(&s->lock, NULL);
  pthread_cond_init(&s->wake, NULL);
  s->period_ms = period_ms > 0 ? period_ms : 1000;
  s->reconcile_s = reconcile_s > 0 ? reconcile_s : 60;
  snprintf(path, sizeof path, "%s/appui.db", dir);
  int rc = db_open(&s->db, path, 0);
  if (!rc) rc = engine_new(&s->engine, s->db);
  workflow_repository(path, sizeof path, dir);
  if (!rc) rc = store_open(&s->store, path, 0);
  if (!rc && pthread_create(&s->thread, NULL, run, s) != 0)
    rc = err_set(ERR_INTERNAL, NULL, "impossible de démarrer le planificateur");
  if (rc) {
    release(s);
    return rc;
  }
  *out = s;
  return 0;
}

void scheduler_stop(struct scheduler *s) {
  if (!s) return;
  pthread_mutex_lock(&s->lock);
  s->stopping = 1;
  pthread_cond_signal(&s->wake);
  pthread_mutex_unlock(&s->lock);
  pthread_join(s->thread, NULL);
  release(s);
}
