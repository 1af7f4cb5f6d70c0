/* cli_dispatch — matching, parts, deadlines and routing rules of requests
 * (see commands.h): appui match, appui part …, appui sla …. */
#include "clock.h"
#include "commands.h"
#include "dispatch.h"
#include "err.h"
#include "match.h"
#include "part.h"
#include "request.h"
#include "sla.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *str(json_t *o, const char *k) {
  const char *s = json_string_value(json_object_get(o, k));
  return s ? s : "";
}

/* Prints a match in French: ranked offers with their reasons, or why
 * nothing suits; with `explain`, the exclusions and the rules. */
static void print_match(json_t *m, int explain) {
  json_t *coll = json_object_get(m, "collectivity");
  printf("Orientation pour %s (%s)%s%s\n", str(coll, "name"), str(coll, "code"), json_object_get(m, "ref") ? " — demande " : "",
         str(m, "ref"));
  size_t i, k;
  json_t *o, *r;
  json_array_foreach(json_object_get(m, "offers"), i, o) {
    json_t *c = json_object_get(o, "components");
    printf("%2d. %5.1f  %s — %s\n", (int)json_integer_value(json_object_get(o, "rank")),
           json_number_value(json_object_get(o, "score")), str(json_object_get(o, "org"), "name"),
           str(json_object_get(o, "offer"), "title"));
    printf("           thématiques %.2f · texte %.2f · historique %.2f · charge %.2f · continuité %.2f\n",
           json_number_value(json_object_get(c, "theme")), json_number_value(json_object_get(c, "text")),
           json_number_value(json_object_get(c, "history")), json_number_value(json_object_get(c, "load")),
           json_number_value(json_object_get(c, "continuity")));
    json_array_foreach(json_object_get(o, "reasons"), k, r) printf("           - %s\n", json_string_value(r));
  }
  if (json_is_string(json_object_get(m, "summary"))) printf("%s\n", str(m, "summary"));
  json_t *lead = json_object_get(json_object_get(m, "proposal"), "lead");
  if (json_is_object(lead))
    printf("Proposition : %s pilote%s%s%s\n", str(lead, "org"), json_object_get(lead, "rule") ? " (règle « " : "",
           str(lead, "rule"), json_object_get(lead, "rule") ? " »)" : "");
  json_array_foreach(json_object_get(json_object_get(m, "proposal"), "contributors"), i, o)
    printf("              %s contributeur (règle « %s »)\n", str(o, "org"), str(o, "rule"));
  if (!explain) return;
  json_t *n = json_object_get(m, "excluded_counts");
  printf("Écartées : %lld hors périmètre, %lld autre public, %lld réservées aux adhérents, %lld critère d'éligibilité, "
         "%lld par une règle, %lld sans rapport\n",
         (long long)json_integer_value(json_object_get(n, "perimeter")),
         (long long)json_integer_value(json_object_get(n, "audience")),
         (long long)json_integer_value(json_object_get(n, "membership")),
         (long long)json_integer_value(json_object_get(n, "eligibility")),
         (long long)json_integer_value(json_object_get(n, "rule")),
         (long long)json_integer_value(json_object_get(n, "unrelated")));
  json_array_foreach(json_object_get(m, "excluded"), i, o)
    printf("  × %s — %s : %s\n", str(json_object_get(o, "org"), "name"), str(json_object_get(o, "offer"), "title"),
           str(o, "reason"));
  json_t *rules = json_object_get(m, "rules");
  if (json_is_object(rules)) {
    printf("Règles d'orientation :\n");
    json_array_foreach(json_object_get(rules, "rules"), i, o)
      printf("  ligne %-4lld %-40s %s%s%s\n", (long long)json_integer_value(json_object_get(o, "line")), str(o, "name"),
             str(o, "outcome"), json_object_get(o, "why") ? " : " : "", str(o, "why"));
    json_array_foreach(json_object_get(rules, "ignored"), i, o) printf("  ignorée : %s\n", str(o, "reason"));
  } else {
    printf("Règles d'orientation : aucune publiée\n");
  }
}

int cli_dispatch_match(struct cli *c) {
  long limit = 10;
  int64_t now;
  if (cli_int(c, "limit", 1, 200, &limit) || cli_now(c, &now)) return EXIT_USAGE;
  const char *coll = cli_opt(c, "collectivity");
  if (c->n_pos && coll) return cli_usage(c, "donnez une référence de demande ou --collectivity, pas les deux");
  if (!c->n_pos && !coll) return cli_usage(c, "donnez une référence de demande, ou --collectivity et --theme pour un essai");
  int flags = cli_flag(c, "explain") ? MATCH_EXPLAIN : 0;
  json_t *m = NULL;
  int rc = cli_actor(c);
  if (!rc && c->n_pos) {
    rc = match_request(&m, c->db, &c->actor, c->pos[0], flags, (int)limit, now);
  } else if (!rc) {
    const char *themes[16];
    struct match_query q = {coll, themes, cli_opts(c, "theme", themes, 16), cli_opt(c, "text"), 0, NULL, -1, NULL};
    rc = match_run(&m, c->db, &q, flags, (int)limit, now);
  }
  if (rc) return cli_fail(rc);
  if (cli_flag(c, "json")) return cli_print_json(m);
  print_match(m, flags & MATCH_EXPLAIN);
  json_decref(m);
  return EXIT_OK;
}

static void print_parts(json_t *parts) {
  size_t i;
  json_t *p;
  if (!json_array_size(parts)) printf("Aucune mise en relation.\n");
  json_array_foreach(parts, i, p) {
    char org[160], state[64];
    json_t *agent = json_object_get(p, "agent");
    printf("%-12s %s %s %s%s%s\n", str(p, "role_label"), cli_cell(org, sizeof org, str(json_object_get(p, "org"), "name"), 40),
           cli_cell(state, sizeof state, str(p, "state_label"), 10), json_is_object(agent) ? str(agent, "email") : "",
           json_is_string(json_object_get(p, "reason")) ? " — motif : " : "", str(p, "reason"));
  }
}

int cli_dispatch_part_list(struct cli *c) {
  int64_t id;
  json_t *parts;
  int rc = cli_actor(c);
  if (!rc) rc = request_access(&id, c->db, &c->actor, c->pos[0], PERM_READ);
  if (!rc) rc = part_list(&parts, c->db, id);
  if (rc) return cli_fail(rc);
  if (cli_flag(c, "json")) return cli_print_json(parts);
  print_parts(parts);
  json_decref(parts);
  return EXIT_OK;
}

int cli_dispatch_part_propose(struct cli *c) {
  const char *role = cli_opt(c, "role");
  int rc = cli_actor(c);
  if (!rc) rc = cli_engine(c);
  if (!rc) rc = dispatch_propose(c->engine, &c->actor, c->pos[0], c->pos[1], cli_opt(c, "offer"), role ? role : "lead");
  if (rc) return cli_fail(rc);
  printf("%s proposée sur %s\n", c->pos[1], c->pos[0]);
  return EXIT_OK;
}

/* accept, decline, start, done, cancel: the operation is the command's last word. */
int cli_dispatch_part_move(struct cli *c) {
  const char *word = strrchr(c->cmd->name, ' ') + 1;
  enum part_op op;
  if (part_op_parse(&op, word)) return cli_fail(ERR_INVALID);
  struct part_tally t;
  int rc = cli_actor(c);
  if (!rc) rc = cli_engine(c);
  if (!rc) rc = dispatch_move(&t, c->engine, &c->actor, c->pos[0], c->pos[1], op, cli_opt(c, "reason"));
  if (!rc && t.settled) rc = cli_run_jobs(c, clock_now_ms());
  if (rc) return cli_fail(rc);
  printf("%s sur %s : %s\n", c->pos[1], c->pos[0], part_op_name(op));
  if (t.settled)
    printf("Toutes les mises en relation sont closes (%d terminée(s), %d déclinée(s), %d annulée(s)) : le circuit en est "
           "informé\n",
           t.done, t.declined, t.cancelled);
  return EXIT_OK;
}

int cli_dispatch_part_assign(struct cli *c) {
  const char *agent = cli_opt(c, "agent");
  int rc = cli_actor(c);
  if (!rc) rc = cli_engine(c);
  if (!rc) rc = dispatch_assign(c->engine, &c->actor, c->pos[0], c->pos[1], agent);
  if (rc) return cli_fail(rc);
  if (agent) printf("%s assigné·e sur %s (%s)\n", agent, c->pos[0], c->pos[1]);
  else printf("Plus personne n'est assigné sur %s (%s)\n", c->pos[0], c->pos[1]);
  return EXIT_OK;
}

int cli_dispatch_part_handover(struct cli *c) {
  const char *to = cli_need(c, "to");
  if (!to) return EXIT_USAGE;
  int rc = cli_actor(c);
  if (!rc) rc = cli_engine(c);
  if (!rc) rc = dispatch_handover(c->engine, &c->actor, c->pos[0], c->pos[1], to, cli_opt(c, "offer"));
  if (rc) return cli_fail(rc);
  printf("%s passe la main à %s sur %s\n", c->pos[1], to, c->pos[0]);
  return EXIT_OK;
}

int cli_dispatch_part_reassign(struct cli *c) {
  const char *from = cli_need(c, "from");
  if (!from) return EXIT_USAGE;
  const char *to = cli_opt(c, "to");
  int moved = 0;
  int rc = cli_actor(c);
  if (!rc) rc = part_bulk_reassign(&moved, c->db, &c->actor, from, to);
  if (rc) return cli_fail(rc);
  printf("%d mise(s) en relation de %s %s%s\n", moved, from, to ? "confiée(s) à " : "sans agent désormais", to ? to : "");
  return EXIT_OK;
}

int cli_dispatch_part_queue(struct cli *c) {
  long limit = 50;
  if (cli_int(c, "limit", 1, 500, &limit)) return EXIT_USAGE;
  json_t *q;
  int rc = cli_actor(c);
  if (!rc) rc = part_queue(&q, c->db, &c->actor, cli_opt(c, "org"), cli_opt(c, "state"), (int)limit);
  if (rc) return cli_fail(rc);
  if (cli_flag(c, "json")) return cli_print_json(q);
  size_t i;
  json_t *x;
  if (!json_array_size(q)) printf("File vide.\n");
  json_array_foreach(q, i, x) {
    json_t *p = json_object_get(x, "part");
    char coll[96], state[64];
    printf("%-12s %s %s %s %s\n", str(x, "ref"), cli_cell(state, sizeof state, str(p, "state_label"), 10),
           cli_cell(coll, sizeof coll, str(json_object_get(x, "collectivity"), "name"), 24), str(x, "title"),
           json_is_string(json_object_get(x, "due_at")) ? str(x, "due_at") : "");
  }
  json_decref(q);
  return EXIT_OK;
}

int cli_dispatch_sla_show(struct cli *c) {
  int64_t id, now;
  if (cli_now(c, &now)) return EXIT_USAGE;
  json_t *o;
  int rc = cli_actor(c);
  if (!rc) rc = request_access(&id, c->db, &c->actor, c->pos[0], PERM_READ);
  if (!rc) rc = sla_show(&o, c->db, id, now);
  if (rc) return cli_fail(rc);
  if (cli_flag(c, "json")) return cli_print_json(o);
  size_t i;
  json_t *t;
  json_array_foreach(json_object_get(o, "targets"), i, t) {
    char label[96], days[32] = "pas d'objectif";
    json_t *d = json_object_get(t, "days");
    if (json_is_integer(d)) snprintf(days, sizeof days, "%lld jour(s) ouvré(s)", (long long)json_integer_value(d));
    printf("%s %-20s échéance %-25s %s%s%s\n", cli_cell(label, sizeof label, str(t, "label"), 20), days,
           json_is_string(json_object_get(t, "due_at")) ? str(t, "due_at") : "—", str(t, "state_label"),
           json_is_string(json_object_get(t, "met_at")) ? " le " : "", str(t, "met_at"));
  }
  json_decref(o);
  return EXIT_OK;
}

int cli_dispatch_sla_sweep(struct cli *c) {
  int64_t now;
  if (cli_now(c, &now)) return EXIT_USAGE;
  int total = 0, n = 0, rc = cli_actor(c);
  do {
    if (!rc) rc = sla_sweep(&n, c->db, &c->actor, now, 256);
    total += n;
  } while (!rc && n > 0);
  if (rc) return cli_fail(rc);
  printf("%d dépassement(s) de délai signalé(s)\n", total);
  return EXIT_OK;
}
