/* cli_board — the cross-service board, its exports and the statistics
 * (see commands.h): appui board, appui stats. */
#include "board.h"
#include "commands.h"
#include "err.h"
#include "export.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *str(json_t *o, const char *k) {
  const char *s = json_string_value(json_object_get(o, k));
  return s ? s : "";
}

/* The filters of the command line. */
static struct board_filter filter_of(struct cli *c, long limit) {
  struct board_filter f = {cli_opt(c, "status"), cli_opt(c, "theme"), cli_opt(c, "org"), cli_opt(c, "part-state"),
                           cli_opt(c, "agent"), cli_opt(c, "collectivity"), cli_opt(c, "epci"), cli_opt(c, "late"),
                           cli_opt(c, "cursor"), (int)limit};
  return f;
}

int cli_board_show(struct cli *c) {
  long limit = 50;
  int64_t now;
  if (cli_int(c, "limit", 1, 200, &limit) || cli_now(c, &now)) return EXIT_USAGE;
  const char *csv = cli_opt(c, "csv"), *xlsx = cli_opt(c, "xlsx");
  if (csv && xlsx) return cli_usage(c, "--csv ou --xlsx, pas les deux");
  struct board_filter f = filter_of(c, limit);
  int rc = cli_actor(c);
  if (!rc) rc = board_filter_check(&f);
  if (rc) return cli_fail(rc);
  if (csv || xlsx) {
    int64_t rows = 0;
    rc = board_export(&rows, csv ? csv : xlsx, NULL, csv ? EXPORT_CSV : EXPORT_XLSX, c->db, &c->actor, &f, now,
                      cli_progress());
    if (rc) return cli_fail(rc);
    printf("%lld ligne(s) écrite(s) dans %s\n", (long long)rows, csv ? csv : xlsx);
    return EXIT_OK;
  }
  json_t *counts = NULL, *items = NULL;
  char *next = NULL;
  rc = board_counts(&counts, c->db, &c->actor, &f, now);
  if (!rc) rc = board_list(&items, &next, c->db, &c->actor, &f, now);
  if (rc) {
    json_decref(counts);
    return cli_fail(rc);
  }
  if (cli_flag(c, "json")) {
    json_t *o = json_pack("{s:o, s:o, s:s?}", "counts", counts, "items", items, "next_cursor", next);
    free(next);
    return cli_print_json(o);
  }
  size_t i;
  json_t *x;
  printf("%lld demande(s) :", (long long)json_integer_value(json_object_get(counts, "total")));
  json_array_foreach(json_object_get(counts, "columns"), i, x)
    printf("%s %s %lld", i ? " ·" : "", str(x, "label"), (long long)json_integer_value(json_object_get(x, "count")));
  printf("\n");
  json_array_foreach(items, i, x) {
    char status[96], coll[96], lead[96];
    const char *late = str(x, "late");
    printf("%-12s %s %s %s %s%s\n", str(x, "ref"), cli_cell(status, sizeof status, str(x, "status_label"), 16),
           cli_cell(coll, sizeof coll, str(json_object_get(x, "collectivity"), "name"), 22),
           cli_cell(lead, sizeof lead, str(json_object_get(x, "lead"), "slug"), 14), str(x, "title"),
           !strcmp(late, "yes") ? "  [en retard]" : !strcmp(late, "soon") ? "  [bientôt en retard]" : "");
  }
  if (next) printf("\nSuite : appui board --cursor %s\n", next);
  free(next);
  json_decref(counts);
  json_decref(items);
  return EXIT_OK;
}

int cli_board_stats(struct cli *c) {
  int64_t now;
  if (cli_now(c, &now)) return EXIT_USAGE;
  struct board_filter f = filter_of(c, 0);
  json_t *o;
  int rc = cli_actor(c);
  if (!rc) rc = board_filter_check(&f);
  if (!rc) rc = board_stats(&o, c->db, &c->actor, &f, now);
  if (rc) return cli_fail(rc);
  if (!cli_flag(c, "json")) {
    /* The document is nested and long: JSON is its one form; say so. */
    fprintf(stderr, "appui : statistiques au format JSON (--json pour ne plus voir ce message)\n");
  }
  return cli_print_json(o);
}
