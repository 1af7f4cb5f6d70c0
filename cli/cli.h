/* cli — what every command handler shares: its parsed arguments, the data
 * directory and database, the acting user, and printing helpers. Only cli/
 * prints for the user or exits. */
#ifndef APPUI_CLI_H
#define APPUI_CLI_H
#include "user.h"
#include <jansson.h>
#include <stdint.h>

struct db;
struct engine;
struct progress;

enum { EXIT_OK = 0, EXIT_REFUSED = 1, EXIT_USAGE = 2 };

/* Author of the definitions published by the platform itself. */
#define CLI_PLATFORM_AUTHOR "Plateforme appui <plateforme@appui.invalid>"

enum opt_kind {
  OPT_FLAG,   /* --json */
  OPT_VALUE,  /* --title TEXT (last one wins) */
  OPT_MULTI   /* --theme T (repeatable) */
};

struct cli_opt {
  const char *name;   /* without the leading dashes */
  enum opt_kind kind;
  const char *arg;    /* name of the value in help ("CODE"), NULL for flags */
  const char *help;   /* one line, French */
};

#define CLI_MAX_OPTS 16
#define CLI_MAX_VALUES 64
#define CLI_MAX_POS 64

struct cli;

struct cli_command {
  const char *name;       /* "territory import" */
  int (*run)(struct cli *c);
  const char *pos;        /* positional arguments in help ("CODE"), or NULL */
  int min_pos, max_pos;
  const char *summary;    /* one line, French */
  struct cli_opt opts[CLI_MAX_OPTS];
};

struct cli {
  const struct cli_command *cmd;
  const char *data_dir;
  const char *as;                 /* --as EMAIL, or NULL */
  const char *pos[CLI_MAX_POS];
  int n_pos;
  struct {
    const char *name, *value;
  } vals[CLI_MAX_VALUES];
  int n_vals;
  struct db *db;                  /* opened by cli_db() */
  struct engine *engine;          /* made by cli_engine() */
  struct user actor;              /* set by cli_actor() */
};

/* The value of option `name` (last given), or NULL. */
const char *cli_opt(const struct cli *c, const char *name);

/* 1 if flag `name` was given. */
int cli_flag(const struct cli *c, const char *name);

/* All values of a repeatable option, in order, into `out` (at most max);
 * returns their count. */
int cli_opts(const struct cli *c, const char *name, const char **out, int max);

/* Reads integer option `name` in [min, max] into *out (unchanged if absent).
 * Returns 0, or prints a usage error and returns ERR_USAGE. */
int cli_int(const struct cli *c, const char *name, long min, long max, long *out);

/* Requires option `name`: returns its value or prints a usage error and
 * returns NULL. */
const char *cli_need(const struct cli *c, const char *name);

/* Opens (creating and migrating if needed) the database of the data
 * directory into c->db; the first time, also creates the repository of
 * definitions and publishes the default processes (workflow_init()).
 * Returns 0 or an error code (message printed by cli_fail()). */
int cli_db(struct cli *c);

/* Makes c->engine over c->db (opening it). Returns 0 or an error code. */
int cli_engine(struct cli *c);

/* Sets c->actor: the platform ("cli") or, with --as, that user. Opens the
 * database. Returns 0 or an error code. */
int cli_actor(struct cli *c);

/* Path of the blob store of the data directory, into out (size bytes). */
void cli_blobs(const struct cli *c, char *out, size_t size);

/* Prints the last error as "appui : message" on standard error and returns
 * the exit status for `rc` (2 for usage errors, 1 otherwise). */
int cli_fail(int rc);

/* Prints a usage error for the current command and returns EXIT_USAGE. */
int cli_usage(const struct cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints `o` as indented JSON on standard output and releases it.
 * Returns EXIT_OK. */
int cli_print_json(json_t *o);

/* A progress hook that draws on standard error when it is a terminal and
 * stays quiet otherwise. */
const struct progress *cli_progress(void);

/* Reads all of standard input (free(); NUL-terminated), removing one final
 * newline. Returns NULL on error (message printed). */
char *cli_read_stdin(size_t max);

/* Copies `s` into `out` (size bytes) padded with spaces or cut to exactly
 * `width` characters (UTF-8 code points), for aligned columns. Returns out. */
char *cli_cell(char *out, size_t size, const char *s, int width);

/* Formats an integer with spaces between thousands ("514 819"). */
void cli_thousands(char out[32], long long n);

/* The current time, or the instant of option --at (RFC 3339 with an
 * offset) into *now. Returns 0, or prints a usage error and returns
 * ERR_USAGE. */
int cli_now(struct cli *c, int64_t *now);

/* Runs the jobs a move made due (the service tasks that follow it) as the
 * platform, and tells processes that wait for parts already closed
 * (dispatch_sweep()), so that a command leaves the process where serve's
 * scheduler would. Returns 0 or an error code. */
int cli_run_jobs(struct cli *c, int64_t now);

/* The command table and its length (defined in command.c). */
const struct cli_command *cli_commands(size_t *n);

#endif
