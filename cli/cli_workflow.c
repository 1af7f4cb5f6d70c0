/* cli_workflow — `appui workflow …`: validate, publish, list, log, show,
 * reconcile, diff, instances, tasks, complete, message, incidents, retry,
 * migrate, tick (see commands.h). */
#include "bpmn.h"
#include "buf.h"
#include "clock.h"
#include "commands.h"
#include "db.h"
#include "engine.h"
#include "err.h"
#include "match.h"
#include "migrate.h"
#include "rule.h"
#include "store.h"
#include "timer.h"
#include "workflow.h"
#include "action.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *str(json_t *o, const char *k) {
  const char *s = json_string_value(json_object_get(o, k));
  return s ? s : "";
}

/* Reads a whole file (at most 16 MiB, so that oversize definitions get
 * their own clear refusal). */
static int read_file(struct buf *out, const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return err_set(ERR_IO, "file", "impossible de lire %s : %s", path, strerror(errno));
  char chunk[65536];
  size_t n;
  int rc = 0;
  while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0) {
    rc = buf_append(out, chunk, n);
    if (!rc && out->len > 16u * 1024 * 1024) rc = err_set(ERR_TOOLARGE, "file", "%s : fichier trop volumineux", path);
  }
  if (!rc && ferror(f)) rc = err_set(ERR_IO, "file", "lecture de %s impossible", path);
  fclose(f);
  return rc;
}

static void print_report(const char *file, const struct bpmn_report *r) {
  for (int i = 0; i < r->n; i++)
    fprintf(stderr, "%s : %s%s%s%s%s\n", file, r->items[i].error ? "erreur" : "avertissement",
            r->items[i].element[0] ? " [" : "", r->items[i].element, r->items[i].element[0] ? "] " : " ",
            r->items[i].message);
}

static int open_store(struct store **s, struct cli *c) {
  char path[4096];
  int rc = cli_db(c);
  if (rc) return rc;
  workflow_repository(path, sizeof path, c->data_dir);
  return store_open(s, path, 0);
}

/* --var k=v (repeatable) as a JSON object: v as JSON when it parses, else a string. */
static json_t *vars_of(struct cli *c, int *bad) {
  const char *vals[64];
  int n = cli_opts(c, "var", vals, 64);
  json_t *o = json_object();
  *bad = 0;
  for (int i = 0; i < n; i++) {
    const char *eq = strchr(vals[i], '=');
    if (!eq || eq == vals[i]) {
      cli_usage(c, "--var : NOM=VALEUR attendu, reçu « %s »", vals[i]);
      *bad = 1;
      break;
    }
    char key[128];
    snprintf(key, sizeof key, "%.*s", (int)(eq - vals[i]), vals[i]);
    json_t *v = json_loads(eq + 1, JSON_DECODE_ANY, NULL);
    json_object_set_new(o, key, v ? v : json_string(eq + 1));
  }
  return o;
}

int cli_workflow_validate(struct cli *c) {
  int bad = 0;
  for (int i = 0; i < c->n_pos; i++) {
    struct buf xml = BUF_INIT;
    struct bpmn_model *m = NULL;
    struct bpmn_report r = {0};
    struct bpmn_options opt = {NULL, action_known};
    int rc = read_file(&xml, c->pos[i]);
    if (!rc) rc = bpmn_compile(&m, &r, buf_str(&xml), xml.len, &opt);
    print_report(c->pos[i], &r);
    if (rc) {
      if (!r.n) fprintf(stderr, "%s : %s\n", c->pos[i], err_msg());
      printf("%s : refusé (%d erreur(s))\n", c->pos[i], r.errors ? r.errors : 1);
      bad = 1;
    } else {
      printf("%s : valide, processus %s, %d éléments (%d avertissement(s))\n", c->pos[i], m->process_id, m->n_elements,
             r.warnings);
    }
    bpmn_free(m);
    bpmn_report_free(&r);
    buf_free(&xml);
  }
  return bad ? EXIT_REFUSED : EXIT_OK;
}

int cli_workflow_publish(struct cli *c) {
  const char *author = cli_need(c, "author");
  if (!author) return EXIT_USAGE;
  struct buf xml = BUF_INIT;
  struct store *s = NULL;
  struct store_version v;
  struct bpmn_report r = {0};
  int rc = read_file(&xml, c->pos[0]);
  if (!rc) rc = cli_actor(c);
  if (!rc) rc = open_store(&s, c);
  if (!rc) rc = store_publish(&v, &r, s, c->db, &c->actor, buf_str(&xml), xml.len, author, cli_opt(c, "message"));
  print_report(c->pos[0], &r);
  bpmn_report_free(&r);
  store_close(s);
  buf_free(&xml);
  if (rc) return cli_fail(rc);
  if (v.created) printf("%s v%d (%.7s) publiée\n", v.process, v.version, v.commit);
  else printf("%s inchangé : la version v%d (%.7s) reste la dernière\n", v.process, v.version, v.commit);
  return EXIT_OK;
}

static int print_versions(struct cli *c, const char *process) {
  json_t *o;
  int rc = cli_db(c);
  if (!rc) rc = store_list(&o, c->db, process);
  if (rc) return cli_fail(rc);
  if (process && !json_array_size(o)) {
    json_decref(o);
    return cli_fail(err_set(ERR_NOTFOUND, "process", "circuit inconnu : « %s »", process));
  }
  if (cli_flag(c, "json")) return cli_print_json(o);
  size_t i;
  json_t *x;
  json_array_foreach(o, i, x) printf("%-26s v%-3lld %.7s  %s  %-40s %lld instance(s) active(s)%s\n", str(x, "process"),
                                     (long long)json_integer_value(json_object_get(x, "version")), str(x, "commit"),
                                     str(x, "published_at"), str(x, "author"),
                                     (long long)json_integer_value(json_object_get(x, "instances")),
                                     json_is_true(json_object_get(x, "active")) ? "" : " (sans nouvelle instance)");
  json_decref(o);
  return EXIT_OK;
}

int cli_workflow_list(struct cli *c) { return print_versions(c, NULL); }
int cli_workflow_log(struct cli *c) { return print_versions(c, c->pos[0]); }

int cli_workflow_show(struct cli *c) {
  long number = 0;
  if (cli_int(c, "version", 1, 1000000, &number)) return EXIT_USAGE;
  int64_t id;
  struct bpmn_model *m = NULL;
  int rc = cli_db(c);
  if (!rc) rc = store_version_id(&id, c->db, c->pos[0], (int)number);
  if (!rc) rc = store_model(&m, c->db, id);
  if (rc) return cli_fail(rc);
  json_t *elements = json_array();
  for (int i = 0; i < m->n_elements; i++) {
    const struct bpmn_element *e = &m->elements[i];
    json_t *o = json_pack("{s:s, s:s, s:s?, s:s?}", "id", e->id, "type", bpmn_kind_name(e->kind), "name", e->name,
                          "scope", e->scope >= 0 ? m->elements[e->scope].id : NULL);
    if (bpmn_property(e, "statut")) json_object_set_new(o, "statut", json_string(bpmn_property(e, "statut")));
    if (e->job_type) json_object_set_new(o, "action", json_string(e->job_type));
    if (e->timer_text) json_object_set_new(o, "timer", json_string(e->timer_text));
    if (e->message) json_object_set_new(o, "message", json_string(e->message));
    if (e->candidate_groups) json_object_set_new(o, "candidate_groups", json_string(e->candidate_groups));
    if (e->assignee) json_object_set_new(o, "assignee", json_string(e->assignee));
    json_array_append_new(elements, o);
  }
  json_t *out = json_pack("{s:s, s:s?, s:o}", "process", m->process_id, "name", m->name, "elements", elements);
  bpmn_free(m);
  if (cli_flag(c, "json")) return cli_print_json(out);
  printf("%s — %s\n", str(out, "process"), str(out, "name"));
  size_t i;
  json_t *x;
  json_array_foreach(elements, i, x) {
    printf("  %-28s %-32s %s", str(x, "id"), str(x, "type"), str(x, "name"));
    if (*str(x, "statut")) printf("  [statut : %s]", str(x, "statut"));
    if (*str(x, "timer")) printf("  [minuteur %s]", str(x, "timer"));
    if (*str(x, "action")) printf("  [action %s]", str(x, "action"));
    printf("\n");
  }
  json_decref(out);
  return EXIT_OK;
}

int cli_workflow_reconcile(struct cli *c) {
  struct store *s = NULL;
  struct store_reconcile r;
  int rc = cli_actor(c);
  if (!rc) rc = open_store(&s, c);
  if (!rc) rc = store_reconcile(&r, s, c->db, &c->actor);
  store_close(s);
  if (rc) return cli_fail(rc);
  printf("Réconciliation : %d version(s) nouvelle(s), %d fichier(s) refusé(s)\n", r.versions, r.rejected);
  return EXIT_OK;
}

int cli_workflow_diff(struct cli *c) {
  long v1, v2;
  char *end;
  v1 = strtol(c->pos[1], &end, 10);
  if (*end || v1 < 1) return cli_usage(c, "V1 : un numéro de version est attendu, reçu « %s »", c->pos[1]);
  v2 = strtol(c->pos[2], &end, 10);
  if (*end || v2 < 1) return cli_usage(c, "V2 : un numéro de version est attendu, reçu « %s »", c->pos[2]);
  int rc = cli_db(c);
  if (rc) return cli_fail(rc);
  if (cli_flag(c, "patch")) {
    struct store *s = NULL;
    char *patch = NULL;
    rc = open_store(&s, c);
    if (!rc) rc = store_patch(&patch, s, c->db, c->pos[0], (int)v1, (int)v2);
    store_close(s);
    if (rc) return cli_fail(rc);
    fputs(patch, stdout);
    free(patch);
    return EXIT_OK;
  }
  json_t *d;
  if ((rc = store_diff(&d, c->db, c->pos[0], (int)v1, (int)v2))) return cli_fail(rc);
  if (cli_flag(c, "json")) return cli_print_json(d);
  size_t i;
  json_t *x;
  printf("%s : v%ld → v%ld\n", c->pos[0], v1, v2);
  json_array_foreach(json_object_get(d, "added"), i, x) printf("  + %s (%s)\n", str(x, "id"), str(x, "type"));
  json_array_foreach(json_object_get(d, "removed"), i, x) printf("  - %s (%s)\n", str(x, "id"), str(x, "type"));
  json_array_foreach(json_object_get(d, "changed"), i, x) {
    printf("  ~ %s :", str(x, "id"));
    size_t k;
    json_t *w;
    json_array_foreach(json_object_get(x, "what"), k, w) printf("%s %s", k ? "," : "", json_string_value(w));
    printf("\n");
  }
  const char *key;
  json_t *n;
  json_object_foreach(json_object_get(d, "waiting"), key, n)
      printf("  instances de v%ld en attente sur %s : %lld\n", v1, key, (long long)json_integer_value(n));
  json_decref(d);
  return EXIT_OK;
}

int cli_workflow_instances(struct cli *c) {
  json_t *o;
  int rc = cli_db(c);
  if (!rc) rc = engine_instances(&o, c->db, cli_opt(c, "process"));
  if (rc) return cli_fail(rc);
  if (cli_flag(c, "json")) return cli_print_json(o);
  size_t i;
  json_t *x;
  json_array_foreach(o, i, x) {
    printf("%-6lld %-24s v%-3lld %-12s %-10s", (long long)json_integer_value(json_object_get(x, "id")), str(x, "process"),
           (long long)json_integer_value(json_object_get(x, "version")), str(x, "request"), str(x, "state"));
    size_t k;
    json_t *w;
    json_array_foreach(json_object_get(x, "waiting"), k, w) printf("%s %s", k ? "," : " en attente :", json_string_value(w));
    if (json_integer_value(json_object_get(x, "incidents")))
      printf("  (%lld incident(s))", (long long)json_integer_value(json_object_get(x, "incidents")));
    printf("\n");
  }
  json_decref(o);
  return EXIT_OK;
}

int cli_workflow_tasks(struct cli *c) {
  long instance = 0;
  if (cli_int(c, "instance", 1, 0x7fffffffL, &instance)) return EXIT_USAGE;
  json_t *o;
  int rc = cli_db(c);
  if (!rc) rc = engine_tasks(&o, c->db, instance);
  if (rc) return cli_fail(rc);
  if (cli_flag(c, "json")) return cli_print_json(o);
  size_t i;
  json_t *x;
  json_array_foreach(o, i, x) printf("%-6lld %-12s %-24s %-36s %s%s%s\n", (long long)json_integer_value(json_object_get(x, "id")),
                                     str(x, "request"), str(x, "element"), str(x, "name"),
                                     *str(x, "assignee") ? str(x, "assignee") : str(x, "candidate_groups"),
                                     *str(x, "statut") ? "  statut : " : "", str(x, "statut"));
  if (!json_array_size(o)) printf("Aucune tâche ouverte.\n");
  json_decref(o);
  return EXIT_OK;
}

static int parse_id(struct cli *c, const char *text, const char *what, int64_t *out) {
  char *end;
  long long v = strtoll(text, &end, 10);
  if (!*text || *end || v < 1) return cli_usage(c, "%s : un numéro est attendu, reçu « %s »", what, text);
  *out = v;
  return 0;
}

int cli_workflow_complete(struct cli *c) {
  int64_t task = 0, now = 0;
  int bad;
  if (parse_id(c, c->pos[0], "TÂCHE", &task) || cli_now(c, &now)) return EXIT_USAGE;
  json_t *vars = vars_of(c, &bad);
  if (bad) {
    json_decref(vars);
    return EXIT_USAGE;
  }
  int rc = cli_actor(c);
  if (!rc) rc = cli_engine(c);
  if (!rc) rc = engine_complete_task(c->engine, &c->actor, task, vars, now);
  if (!rc) rc = cli_run_jobs(c, now);
  json_decref(vars);
  if (rc) return cli_fail(rc);
  printf("Tâche %lld terminée\n", (long long)task);
  return EXIT_OK;
}

int cli_workflow_message(struct cli *c) {
  int64_t instance = 0, now = 0;
  int bad;
  if (parse_id(c, c->pos[0], "INSTANCE", &instance) || cli_now(c, &now)) return EXIT_USAGE;
  json_t *vars = vars_of(c, &bad);
  if (bad) {
    json_decref(vars);
    return EXIT_USAGE;
  }
  int rc = cli_actor(c);
  if (!rc) rc = cli_engine(c);
  if (!rc) rc = engine_deliver(c->engine, &c->actor, instance, c->pos[1], vars, now);
  if (!rc) rc = cli_run_jobs(c, now);
  json_decref(vars);
  if (rc) return cli_fail(rc);
  printf("Message « %s » remis à l'instance %lld\n", c->pos[1], (long long)instance);
  return EXIT_OK;
}

int cli_workflow_incidents(struct cli *c) {
  json_t *o;
  int rc = cli_db(c);
  if (!rc) rc = engine_incidents(&o, c->db);
  if (rc) return cli_fail(rc);
  if (cli_flag(c, "json")) return cli_print_json(o);
  size_t i;
  json_t *x;
  json_array_foreach(o, i, x) printf("%-6lld instance %-6lld %-12s %-24s %-10s %s\n",
                                     (long long)json_integer_value(json_object_get(x, "id")),
                                     (long long)json_integer_value(json_object_get(x, "instance")), str(x, "request"),
                                     str(x, "element"), str(x, "kind"), str(x, "message"));
  if (!json_array_size(o)) printf("Aucun incident ouvert.\n");
  json_decref(o);
  return EXIT_OK;
}

int cli_workflow_retry(struct cli *c) {
  int64_t incident = 0, now = 0;
  if (parse_id(c, c->pos[0], "INCIDENT", &incident) || cli_now(c, &now)) return EXIT_USAGE;
  int rc = cli_actor(c);
  if (!rc) rc = cli_engine(c);
  if (!rc) rc = engine_retry(c->engine, &c->actor, incident, now);
  if (rc) return cli_fail(rc);
  printf("Incident %lld relancé\n", (long long)incident);
  return EXIT_OK;
}

int cli_workflow_tick(struct cli *c) {
  int64_t now = 0;
  int timers = 0, jobs = 0;
  if (cli_now(c, &now)) return EXIT_USAGE;
  int rc = cli_actor(c);
  if (!rc) rc = cli_engine(c);
  if (!rc) rc = engine_tick(&timers, &jobs, c->engine, &c->actor, now);
  if (rc) return cli_fail(rc);
  printf("%d minuteur(s) déclenché(s), %d travail(s) exécuté(s)\n", timers, jobs);
  return EXIT_OK;
}

int cli_workflow_migrate(struct cli *c) {
  const char *process = cli_need(c, "process");
  long to = 0, from = 0;
  if (!process || cli_int(c, "to", 1, 1000000, &to) || cli_int(c, "from", 1, 1000000, &from)) return EXIT_USAGE;
  if (!to) return cli_usage(c, "l'option --to est obligatoire");
  const char *maps[256], *ids[4096];
  int n_maps = cli_opts(c, "map", maps, 256), n_ids = cli_opts(c, "instance", ids, 4096);
  json_t *mapping = json_object();
  for (int i = 0; i < n_maps; i++) {
    const char *eq = strchr(maps[i], '=');
    if (!eq || eq == maps[i] || !eq[1]) {
      json_decref(mapping);
      return cli_usage(c, "--map : SOURCE=CIBLE attendu, reçu « %s »", maps[i]);
    }
    char key[256];
    snprintf(key, sizeof key, "%.*s", (int)(eq - maps[i]), maps[i]);
    if (json_object_get(mapping, key)) {
      json_decref(mapping);
      return cli_usage(c, "--map : %s est associé deux fois (une source n'a qu'une cible)", key);
    }
    json_object_set_new(mapping, key, json_string(eq + 1));
  }
  int64_t target, now = clock_now_ms();
  int rc = cli_actor(c);
  if (!rc) rc = cli_engine(c);
  if (!rc) rc = store_version_id(&target, c->db, process, (int)to);
  /* The instances: those given, or every active one of the process (of --from). */
  json_t *list = json_array();
  if (!rc && n_ids) {
    for (int i = 0; i < n_ids && !rc; i++) {
      int64_t id = 0;
      if (parse_id(c, ids[i], "--instance", &id)) rc = ERR_USAGE;
      else json_array_append_new(list, json_integer(id));
    }
  } else if (!rc) {
    json_t *all;
    if (!(rc = engine_instances(&all, c->db, process))) {
      size_t i;
      json_t *x;
      json_array_foreach(all, i, x) if (strcmp(str(x, "state"), "active") == 0 &&
                                        (!from || json_integer_value(json_object_get(x, "version")) == from) &&
                                        json_integer_value(json_object_get(x, "version")) != to)
          json_array_append(list, json_object_get(x, "id"));
      json_decref(all);
    }
  }
  int refused = 0;
  size_t i;
  json_t *x, *reports = json_array();
  json_array_foreach(list, i, x) {
    if (rc) break;
    json_t *report = NULL;
    int r = migrate_instance(&report, c->engine, &c->actor, json_integer_value(x), target, mapping,
                             cli_flag(c, "dry-run"), now);
    if (r && r != ERR_INVALID && r != ERR_CONFLICT) rc = r;
    if (r) refused++;
    if (!cli_flag(c, "json")) {
      printf("instance %lld : %s\n", (long long)json_integer_value(x),
             r ? "refusée" : cli_flag(c, "dry-run") ? "acceptée (essai, rien de changé)" : "migrée");
      size_t k;
      json_t *p;
      json_array_foreach(json_object_get(report, "problems"), k, p) printf("  - %s\n", json_string_value(p));
      if (r && !json_array_size(json_object_get(report, "problems"))) printf("  - %s\n", err_msg());
    }
    if (report) json_array_append_new(reports, report);
  }
  json_decref(mapping);
  json_decref(list);
  if (rc) {
    json_decref(reports);
    return rc == ERR_USAGE ? EXIT_USAGE : cli_fail(rc);
  }
  if (cli_flag(c, "json")) cli_print_json(reports);
  else {
    printf("%zu instance(s) examinée(s), %d refusée(s)\n", json_array_size(reports), refused);
    json_decref(reports);
  }
  return refused ? EXIT_REFUSED : EXIT_OK;
}

int cli_workflow_rules_publish(struct cli *c) {
  const char *author = cli_need(c, "author");
  if (!author) return EXIT_USAGE;
  const char *name = cli_opt(c, "name");
  struct buf text = BUF_INIT;
  struct store *s = NULL;
  struct store_version v;
  struct rule_error e = {0};
  int rc = read_file(&text, c->pos[0]);
  if (!rc) rc = cli_actor(c);
  if (!rc) rc = open_store(&s, c);
  if (!rc)
    rc = store_publish_rules(&v, &e, s, c->db, &c->actor, name ? name : MATCH_RULESET, buf_str(&text), text.len, author,
                             cli_opt(c, "message"));
  store_close(s);
  buf_free(&text);
  if (rc && e.line) {
    fprintf(stderr, "%s:%d:%d: %s\n", c->pos[0], e.line, e.column, e.message);
    return rc == ERR_USAGE ? EXIT_USAGE : EXIT_REFUSED;
  }
  if (rc) return cli_fail(rc);
  if (v.created) printf("%s v%d (%.7s) publiées\n", v.process, v.version, v.commit);
  else printf("%s inchangées : la version v%d reste la dernière\n", v.process, v.version);
  return EXIT_OK;
}

int cli_workflow_rules_list(struct cli *c) {
  json_t *o;
  int rc = cli_db(c);
  if (!rc) rc = store_rules_list(&o, c->db, c->n_pos ? c->pos[0] : NULL);
  if (rc) return cli_fail(rc);
  if (cli_flag(c, "json")) return cli_print_json(o);
  size_t i;
  json_t *x;
  if (!json_array_size(o)) printf("Aucune règle publiée.\n");
  json_array_foreach(o, i, x)
    printf("%-20s v%-3lld %.7s  %s  %s\n", str(x, "name"), (long long)json_integer_value(json_object_get(x, "version")),
           str(x, "commit"), str(x, "published_at"), str(x, "author"));
  json_decref(o);
  return EXIT_OK;
}

int cli_workflow_rules_show(struct cli *c) {
  long number = 0;
  if (cli_int(c, "version", 1, 1000000, &number)) return EXIT_USAGE;
  char *text = NULL;
  int version = 0;
  int rc = cli_db(c);
  if (!rc) rc = store_rules_text(&text, &version, c->db, c->n_pos ? c->pos[0] : MATCH_RULESET, (int)number);
  if (rc) return cli_fail(rc);
  fputs(text, stdout);
  free(text);
  return EXIT_OK;
}
