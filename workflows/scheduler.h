/* scheduler — the background thread of `appui serve` that fires due timers
 * and runs due jobs (engine_tick) every period, and reconciles the
 * repository of definitions with commits pushed with git every
 * `reconcile_s` seconds, when it also deletes expired browser sessions
 * (session_purge). It has its own database connection and engine. */
#ifndef APPUI_SCHEDULER_H
#define APPUI_SCHEDULER_H

struct scheduler;

/* Starts the thread over data directory `dir`. Returns 0 and the scheduler
 * in *out, or an error (database or repository cannot be opened). */
int scheduler_start(struct scheduler **out, const char *dir, int period_ms, int reconcile_s);

/* Asks the thread to stop, waits for it and frees everything. NULL is a
 * no-op. */
void scheduler_stop(struct scheduler *s);

#endif
