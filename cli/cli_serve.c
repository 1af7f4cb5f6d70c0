/* cli_serve — `appui serve`: runs the HTTP server and the workflow
 * scheduler (timers, jobs, reconcile) until SIGINT or SIGTERM, then stops
 * cleanly (see commands.h). */
#include "commands.h"
#include "db.h"
#include "asset.h"
#include "err.h"
#include "page.h"
#include "scheduler.h"
#include "server.h"
#include <pthread.h>
#include <signal.h>
#include <stdio.h>

int cli_serve_run(struct cli *c) {
  long threads = 0;
  if (cli_int(c, "threads", 1, 256, &threads)) return EXIT_USAGE;
  const char *listen = cli_opt(c, "listen") ? cli_opt(c, "listen") : "127.0.0.1:8080";
  const char *assets = cli_opt(c, "assets");
  if (assets) {
    char dir[4096];
    int rc = 0;
    snprintf(dir, sizeof dir, "%s/static", assets);
    if (!rc) rc = asset_set_dir(dir);
    snprintf(dir, sizeof dir, "%s/templates", assets);
    if (!rc) rc = page_set_dir(dir);
    if (rc) return cli_fail(rc);
    fprintf(stderr, "Mode développement : gabarits et fichiers statiques lus dans %s à chaque requête.\n", assets);
  }
  int rc = cli_db(c); /* creates or migrates the schema before workers open it */
  if (rc) return cli_fail(rc);
  db_close(c->db);
  c->db = NULL;
  /* Block the signals before the server's threads start, so that they
   * inherit the mask and only this thread receives them. */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  struct server_options o = {listen, c->data_dir, (int)threads};
  struct server *s;
  struct scheduler *sched;
  if ((rc = server_start(&s, &o))) return cli_fail(rc);
  if ((rc = scheduler_start(&sched, c->data_dir, 1000, 60))) {
    server_stop(s);
    return cli_fail(rc);
  }
  fprintf(stderr, "appui sert %s sur http://%s (port %u). Ctrl-C pour arrêter.\n", c->data_dir, listen,
          (unsigned)server_port(s));
  sigdelset(&set, SIGPIPE);
  int sig = 0;
  while (sigwait(&set, &sig) != 0 || (sig != SIGINT && sig != SIGTERM)) {
  }
  fprintf(stderr, "Arrêt demandé (%s) : fermeture des connexions…\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
  server_stop(s);
  scheduler_stop(sched);
  fprintf(stderr, "Serveur arrêté.\n");
  return EXIT_OK;
}
