/* cli_admin — help, init, demo and journal commands (see commands.h). */
#include "commands.h"
#include "db.h"
#include "demo.h"
#include "err.h"
#include "journal.h"
#include "match.h"
#include "rule.h"
#include "store.h"
#include "request.h"
#include "user.h"
#include "workflow.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_admin_help(struct cli *c) {
  char name[128] = "";
  for (int i = 0; i < c->n_pos; i++)
    snprintf(name + strlen(name), sizeof name - strlen(name), "%s%s", i ? " " : "", c->pos[i]);
  return cli_help(c->n_pos ? name : NULL);
}

int cli_admin_init(struct cli *c) {
  int published = 0;
  int rc = cli_actor(c);
  if (!rc) rc = workflow_init(&published, c->db, c->data_dir, &c->actor, CLI_PLATFORM_AUTHOR);
  if (rc) return cli_fail(rc);
  printf("Base prête : %s/appui.db (schéma %d)\nCircuits : %s/workflows.git (%d version(s) publiée(s) par cet appel)\n",
         c->data_dir, db_schema_version(), c->data_dir, published);
  return EXIT_OK;
}

static int publish_demo_rules(struct cli *c, const struct user *sys) {
  size_t len;
  const char *text = demo_rules(&len);
  if (!text) return 0;
  char path[4096];
  struct store *s = NULL;
  struct store_version v;
  struct rule_error e;
  workflow_repository(path, sizeof path, c->data_dir);
  int rc = store_open(&s, path, 0);
  if (!rc) rc = store_publish_rules(&v, &e, s, c->db, sys, MATCH_RULESET, text, len, CLI_PLATFORM_AUTHOR, NULL);
  store_close(s);
  return rc;
}

int cli_admin_demo(struct cli *c) {
  struct demo_result r;
  struct user sys;
  int started = 0;
  user_system(&sys, "démo");
  int rc = cli_engine(c);
  if (!rc) rc = demo_create(&r, c->db, cli_opt(c, "source"), cli_progress());
  /* The demo's routing rules, published like any rules file. */
  if (!rc && r.created) rc = publish_demo_rules(c, &sys);
  /* Demo requests follow their process like any other. */
  if (!rc && r.created) rc = workflow_start_missing(&started, c->engine, &sys);
  if (rc) return cli_fail(rc);
  if (!r.created) {
    printf("Les données de démonstration existent déjà dans %s : rien à faire.\n", c->data_dir);
    return EXIT_OK;
  }
  printf("Données de démonstration créées dans %s :\n"
         "  territoire : %lld communes, %lld EPCI\n"
         "  catalogue : %lld structures, %lld offres, %lld adhésions\n"
         "  demandes : %lld (%d instance(s) de circuit démarrée(s))\n",
         c->data_dir, (long long)r.territory.communes, (long long)r.territory.epcis, (long long)r.orgs,
         (long long)r.offers, (long long)r.memberships, (long long)r.requests, started);
  if (r.n_accounts) {
    printf("\nComptes de démonstration (mots de passe affichés une seule fois ; "
           "« appui user password --email … » pour les changer) :\n");
    for (int i = 0; i < r.n_accounts; i++)
      printf("  %-12s %-32s %s\n", r.accounts[i].role, r.accounts[i].email, r.accounts[i].password);
  }
  return EXIT_OK;
}

int cli_admin_journal(struct cli *c) {
  long after = 0, limit = 100;
  if (cli_int(c, "after", 0, 0x7fffffffL, &after) || cli_int(c, "limit", 1, 100000, &limit)) return EXIT_USAGE;
  int rc = cli_actor(c);
  int64_t request = 0;
  const char *ref = cli_opt(c, "request");
  if (!rc && ref) rc = request_access(&request, c->db, &c->actor, ref, PERM_READ);
  if (!rc && !ref && !user_coordinates(&c->actor))
    rc = err_set(ERR_FORBIDDEN, NULL, "le journal complet est réservé à l'administration et à la coordination");
  json_t *events = NULL;
  if (!rc) rc = journal_list(&events, c->db, request, after, (int)limit);
  if (rc) return cli_fail(rc);
  if (cli_flag(c, "json")) return cli_print_json(events);
  size_t i;
  json_t *e;
  json_array_foreach(events, i, e) {
    const char *r = json_string_value(json_object_get(e, "request"));
    char *data = json_dumps(json_object_get(e, "data"), JSON_COMPACT);
    printf("%-6lld %s  %-26s %-12s %s %s\n", (long long)json_integer_value(json_object_get(e, "id")),
           json_string_value(json_object_get(e, "at")), json_string_value(json_object_get(e, "type")),
           r ? r : "-", json_string_value(json_object_get(e, "actor")), data ? data : "");
    free(data);
  }
  json_decref(events);
  return EXIT_OK;
}
