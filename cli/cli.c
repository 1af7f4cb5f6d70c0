/* cli — shared helpers of command handlers (see cli.h). */
#include "cli.h"
#include "db.h"
#include "dispatch.h"
#include "engine.h"
#include "workflow.h"
#include "err.h"
#include "progress.h"
#include "clock.h"
#include "timer.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *cli_opt(const struct cli *c, const char *name) {
  const char *v = NULL;
  for (int i = 0; i < c->n_vals; i++)
    if (strcmp(c->vals[i].name, name) == 0) v = c->vals[i].value;
  return v;
}

int cli_flag(const struct cli *c, const char *name) { return cli_opt(c, name) != NULL; }

int cli_opts(const struct cli *c, const char *name, const char **out, int max) {
  int n = 0;
  for (int i = 0; i < c->n_vals && n < max; i++)
    if (strcmp(c->vals[i].name, name) == 0) out[n++] = c->vals[i].value;
  return n;
}

int cli_usage(const struct cli *c, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "appui : ");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  if (c && c->cmd) fprintf(stderr, "\nAide : appui %s --help\n", c->cmd->name);
  else fprintf(stderr, "\nAide : appui help\n");
  return EXIT_USAGE;
}

int cli_int(const struct cli *c, const char *name, long min, long max, long *out) {
  const char *v = cli_opt(c, name);
  if (!v) return 0;
  char *end;
  errno = 0;
  long n = strtol(v, &end, 10);
  if (!*v || *end || errno || n < min || n > max) {
    cli_usage(c, "--%s : un entier entre %ld et %ld est attendu, reçu « %s »", name, min, max, v);
    return ERR_USAGE;
  }
  *out = n;
  return 0;
}

const char *cli_need(const struct cli *c, const char *name) {
  const char *v = cli_opt(c, name);
  if (!v) cli_usage(c, "l'option --%s est obligatoire", name);
  return v;
}

int cli_db(struct cli *c) {
  if (c->db) return 0;
  if (mkdir(c->data_dir, 0750) != 0 && errno != EEXIST)
    return err_set(ERR_IO, NULL, "impossible de créer le dossier de données %s : %s", c->data_dir, strerror(errno));
  char path[4096];
  snprintf(path, sizeof path, "%s/appui.db", c->data_dir);
  int rc = db_open(&c->db, path, DB_MIGRATE);
  if (rc) return rc;
  workflow_repository(path, sizeof path, c->data_dir);
  if (access(path, F_OK) != 0) {
    struct user sys;
    user_system(&sys, "cli");
    rc = workflow_init(NULL, c->db, c->data_dir, &sys, CLI_PLATFORM_AUTHOR);
  }
  return rc;
}

int cli_engine(struct cli *c) {
  if (c->engine) return 0;
  int rc = cli_db(c);
  return rc ? rc : engine_new(&c->engine, c->db);
}

int cli_actor(struct cli *c) {
  int rc = cli_db(c);
  if (rc) return rc;
  if (!c->as) {
    user_system(&c->actor, "cli");
    return 0;
  }
  rc = user_get_by_email(&c->actor, c->db, c->as);
  if (rc == ERR_NOTFOUND) err_set(ERR_NOTFOUND, "as", "--as : aucun compte actif pour « %s »", c->as);
  return rc;
}

void cli_blobs(const struct cli *c, char *out, size_t size) { snprintf(out, size, "%s/blobs", c->data_dir); }

int cli_fail(int rc) {
  if (rc == ERR_USAGE) return EXIT_USAGE;
  fprintf(stderr, "appui : %s\n", err_msg()[0] ? err_msg() : "échec");
  return EXIT_REFUSED;
}

int cli_print_json(json_t *o) {
  char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  if (s) {
    puts(s);
    free(s);
  }
  json_decref(o);
  return EXIT_OK;
}

static void draw(void *ctx, const char *label, int64_t done, int64_t total) {
  (void)ctx;
  if (total > 0)
    fprintf(stderr, "\r%s : %lld / %lld (%d %%)\033[K", label, (long long)done, (long long)total,
            (int)(done * 100 / total));
  else
    fprintf(stderr, "\r%s : %lld\033[K", label, (long long)done);
  if (total > 0 && done >= total) fputc('\n', stderr);
  fflush(stderr);
}

const struct progress *cli_progress(void) {
  static const struct progress on_tty = {draw, NULL};
  return isatty(STDERR_FILENO) ? &on_tty : NULL;
}

char *cli_read_stdin(size_t max) {
  size_t cap = 4096, len = 0;
  char *p = malloc(cap);
  while (p) {
    if (len + 1 >= cap) {
      if (cap > max) {
        fprintf(stderr, "appui : entrée standard trop longue (%zu octets au plus)\n", max);
        free(p);
        return NULL;
      }
      char *q = realloc(p, cap * 2);
      if (!q) break;
      p = q;
      cap *= 2;
    }
    size_t n = fread(p + len, 1, cap - len - 1, stdin);
    len += n;
    if (n == 0) break;
  }
  if (!p) {
    fprintf(stderr, "appui : mémoire insuffisante\n");
    return NULL;
  }
  p[len] = 0;
  if (len && p[len - 1] == '\n') p[--len] = 0;
  if (len && p[len - 1] == '\r') p[--len] = 0;
  return p;
}

void cli_thousands(char out[32], long long n) {
  char digits[24];
  int len = snprintf(digits, sizeof digits, "%lld", n < 0 ? -n : n), k = 0;
  if (n < 0) out[k++] = '-';
  for (int i = 0; i < len; i++) {
    if (i && (len - i) % 3 == 0) out[k++] = ' ';
    out[k++] = digits[i];
  }
  out[k] = 0;
}

char *cli_cell(char *out, size_t size, const char *s, int width) {
  size_t k = 0;
  int chars = 0;
  if (!s) s = "";
  while (*s && chars < width) {
    size_t len = 1;
    while ((((unsigned char)s[len]) & 0xc0) == 0x80) len++;
    if (k + len + 1 > size) break;
    memcpy(out + k, s, len);
    k += len;
    s += len;
    chars++;
  }
  while (chars < width && k + 2 <= size) {
    out[k++] = ' ';
    chars++;
  }
  out[k] = 0;
  return out;
}

int cli_now(struct cli *c, int64_t *now) {
  const char *at = cli_opt(c, "at");
  *now = clock_now_ms();
  if (!at) return 0;
  struct timer_spec t;
  char why[256];
  if (timer_parse(&t, TIMER_DATE, at, why, sizeof why) || t.from_path) {
    cli_usage(c, "--at : %s", why);
    return ERR_USAGE;
  }
  *now = t.date_ms;
  return 0;
}

int cli_run_jobs(struct cli *c, int64_t now) {
  struct user platform;
  user_system(&platform, "système");
  int ran = 0, told = 0, rc = cli_engine(c);
  if (!rc) rc = engine_run_jobs(&ran, c->engine, &platform, now, 1000);
  /* Parts closed before the process came to wait for that news. */
  if (!rc) rc = dispatch_sweep(&told, c->engine, 256);
  if (!rc && told) rc = engine_run_jobs(&ran, c->engine, &platform, now, 1000);
  return rc;
}
