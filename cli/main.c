/* main — entry point of `appui`: global options, command lookup in the
 * command table, option parsing, exit status (0 done, 1 refused or failed,
 * 2 usage error). */
#include "cli.h"
#include "commands.h"
#include "db.h"
#include "engine.h"
#include "err.h"
#include "log.h"
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct cli_command *find(const char *const *argv, int argc, int *words) {
  size_t n;
  const struct cli_command *t = cli_commands(&n);
  char two[128];
  if (argc >= 2) {
    snprintf(two, sizeof two, "%s %s", argv[0], argv[1]);
    for (size_t i = 0; i < n; i++)
      if (strcmp(t[i].name, two) == 0) {
        *words = 2;
        return &t[i];
      }
  }
  for (size_t i = 0; i < n; i++)
    if (strcmp(t[i].name, argv[0]) == 0) {
      *words = 1;
      return &t[i];
    }
  return NULL;
}

static const struct cli_opt *find_opt(const struct cli_command *k, const char *name) {
  for (int i = 0; i < CLI_MAX_OPTS && k->opts[i].name; i++)
    if (strcmp(k->opts[i].name, name) == 0) return &k->opts[i];
  return NULL;
}

/* Parses argv (after the command words) into c. Returns 0, 1 when help was
 * printed, or EXIT_USAGE. */
static int parse(struct cli *c, int argc, char **argv) {
  int only_pos = 0;
  for (int i = 0; i < argc; i++) {
    char *a = argv[i];
    if (only_pos || a[0] != '-' || a[1] != '-' || (strcmp(a, "-") == 0)) {
      if (c->n_pos == CLI_MAX_POS || c->n_pos == c->cmd->max_pos)
        return cli_usage(c, "argument en trop : « %s »", a);
      c->pos[c->n_pos++] = a;
      continue;
    }
    if (strcmp(a, "--") == 0) {
      only_pos = 1;
      continue;
    }
    if (strcmp(a, "--help") == 0) {
      cli_help(c->cmd->name);
      return 1;
    }
    char name[64];
    const char *value = NULL;
    const char *eq = strchr(a + 2, '=');
    size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
    if (len >= sizeof name) return cli_usage(c, "option inconnue : %s", a);
    memcpy(name, a + 2, len);
    name[len] = 0;
    if (eq) value = eq + 1;
    const struct cli_opt *o = find_opt(c->cmd, name);
    int global = strcmp(name, "data") == 0 || (strcmp(name, "as") == 0 && !o);
    if (!o && !global) return cli_usage(c, "option inconnue pour « %s » : --%s", c->cmd->name, name);
    if (o && o->kind == OPT_FLAG) {
      if (eq) return cli_usage(c, "l'option --%s ne prend pas de valeur", name);
      value = "1";
    } else if (!value) {
      if (i + 1 >= argc) return cli_usage(c, "l'option --%s attend une valeur", name);
      value = argv[++i];
    }
    if (strcmp(name, "data") == 0) {
      c->data_dir = value;
      continue;
    }
    if (strcmp(name, "as") == 0) {
      if (!o) return cli_usage(c, "la commande « %s » ne prend pas --as", c->cmd->name);
      c->as = value;
      continue;
    }
    if (o->kind != OPT_MULTI && cli_opt(c, name))
      return cli_usage(c, "l'option --%s est donnée deux fois", name);
    if (c->n_vals == CLI_MAX_VALUES) return cli_usage(c, "trop d'options");
    c->vals[c->n_vals].name = o->name;
    c->vals[c->n_vals].value = value;
    c->n_vals++;
  }
  if (c->n_pos < c->cmd->min_pos)
    return cli_usage(c, "argument manquant : %s", c->cmd->pos ? c->cmd->pos : "");
  return 0;
}

int main(int argc, char **argv) {
  struct cli c;
  memset(&c, 0, sizeof c);
  log_init();
  if (sodium_init() < 0) {
    fprintf(stderr, "appui : libsodium n'a pas pu s'initialiser\n");
    return EXIT_REFUSED;
  }
  c.data_dir = getenv("APPUI_DATA");
  if (!c.data_dir || !*c.data_dir) c.data_dir = "./appui-data";
  int i = 1;
  while (i < argc && strncmp(argv[i], "--", 2) == 0) {
    if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) {
      c.data_dir = argv[i + 1];
      i += 2;
    } else if (strncmp(argv[i], "--data=", 7) == 0) {
      c.data_dir = argv[i] + 7;
      i++;
    } else if (strcmp(argv[i], "--help") == 0) {
      return cli_help(NULL);
    } else if (strcmp(argv[i], "--version") == 0) {
      printf("appui 0.1.0 (schéma %d)\n", db_schema_version());
      return EXIT_OK;
    } else {
      return cli_usage(NULL, "option générale inconnue : %s", argv[i]);
    }
  }
  if (i >= argc) {
    cli_help(NULL);
    return EXIT_USAGE;
  }
  int words = 0;
  c.cmd = find((const char *const *)argv + i, argc - i, &words);
  if (!c.cmd) {
    /* A group name alone ("appui territory") lists its commands. */
    if (cli_help(argv[i]) == EXIT_OK) return EXIT_USAGE;
    return EXIT_USAGE;
  }
  int rc = parse(&c, argc - i - words, argv + i + words);
  if (rc == 1) return EXIT_OK;
  if (rc) return rc;
  rc = c.cmd->run(&c);
  engine_free(c.engine);
  db_close(c.db);
  return rc;
}
