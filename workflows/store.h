/* store — the git repository of process definitions (DATA/workflows.git,
 * bare, libgit2) and the registry of published versions in SQLite.
 *
 * Publishing validates a definition, commits it as processes/<id>.bpmn on
 * `main` with the publishing person as author and the platform as
 * committer (compare-and-swap of `main`), registers the version (process
 * id, number never reused, blob id, commit id, copy of the XML) and pins it
 * with refs/deployed/<id>/v<N>. An unchanged file creates no version.
 * Commits pushed with plain `git` are picked up by store_reconcile(),
 * validated the same way. Routing rules (rules/<name>.rules, core/rule.h)
 * are published and reconciled alike into ruleset_version. One `struct store` per thread. */
#ifndef APPUI_STORE_H
#define APPUI_STORE_H
#include "bpmn.h"
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct db;
struct embed_file;
struct rule_error;
struct store;
struct user;

/* The name of the platform as committer. */
#define STORE_COMMITTER_NAME "Plateforme appui"
#define STORE_COMMITTER_EMAIL "plateforme@appui.invalid"

/* Opens the bare repository at `path`, creating it when `create` is 1.
 * Returns 0 and the store in *out (free with store_close()), ERR_NOTFOUND
 * (absent and not created) or ERR_IO. */
int store_open(struct store **out, const char *path, int create);

/* Closes the repository. NULL is a no-op. */
void store_close(struct store *s);

struct store_version {
  int64_t id;           /* process_version row */
  char process[128];
  int version;          /* number */
  char blob[41], commit[41];
  int created;          /* 1 if this call created the version, 0 if the file was unchanged */
};

/* Publishes the `len` bytes of `xml`, authored by `author` ("Name
 * <email>"), with `message` as commit summary (NULL: a default one). The
 * problems found go to *report (free with bpmn_report_free()). Returns 0
 * and the version in *out; ERR_INVALID / ERR_TOOLARGE (refused: nothing
 * published), ERR_CONFLICT (main moved meanwhile, retried once then
 * reported), ERR_IO or a storage error. */
int store_publish(struct store_version *out, struct bpmn_report *report, struct store *s, struct db *db,
                  const struct user *actor, const char *xml, size_t len, const char *author,
                  const char *message);

/* Publishes the definitions `files` (count n, embedded in the program), in
 * order. Returns 0, or the first error (its message names the file).
 * *created counts the versions created. */
int store_publish_files(int *created, struct store *s, struct db *db, const struct user *actor,
                        const struct embed_file *files, size_t n, const char *author);

/* Publishes the routing rules `text` (`len` bytes, core/rule.h format) as
 * rules/<name>.rules, the same way as store_publish(): checked first (syntax
 * and every org named must exist; *err gets the line and column of the
 * first problem), committed by `author`, registered in ruleset_version
 * (number never reused), pinned as refs/deployed/rules/<name>/v<N>; an
 * unchanged file creates no version. out->process is "rules/<name>".
 * Admins and coordinators. Returns 0, ERR_INVALID / ERR_NOTFOUND /
 * ERR_TOOLARGE (refused: nothing published), ERR_FORBIDDEN, ERR_CONFLICT,
 * ERR_IO or a storage error. */
int store_publish_rules(struct store_version *out, struct rule_error *err, struct store *s, struct db *db,
                        const struct user *actor, const char *name, const char *text, size_t len, const char *author,
                        const char *message);

/* Versions of every ruleset (name NULL) or of one, as a JSON array of
 * {name, version, blob, commit, author, published_at}. */
int store_rules_list(json_t **out, struct db *db, const char *name);

/* The text of version `number` (0: the latest) of ruleset `name` (free()),
 * its number in *version (may be NULL). Returns 0, ERR_NOTFOUND or a
 * storage error. */
int store_rules_text(char **out, int *version, struct db *db, const char *name, int number);

struct store_reconcile {
  int versions;   /* versions created from commits pushed with git */
  int rejected;   /* invalid files found (recorded once per blob) */
};

/* Compares the tree of `main` with the registered versions: a changed
 * valid file becomes a new version (author of the commit that last changed
 * it), an invalid one is recorded in process_rejection and journaled once,
 * not activated. Returns 0 or an error. */
int store_reconcile(struct store_reconcile *out, struct store *s, struct db *db, const struct user *actor);

/* The latest active version of `process` (its id in *id, number in
 * *version). Returns 0, ERR_NOTFOUND or a storage error. */
int store_latest(int64_t *id, int *version, struct db *db, const char *process);

/* Compiles version `id` from its SQLite copy. Returns 0 and a model (free
 * with bpmn_free()), ERR_NOTFOUND or ERR_INVALID. */
int store_model(struct bpmn_model **out, struct db *db, int64_t id);

/* The BPMN XML of version `number` of `process` (number 0: the latest),
 * malloc'ed and NUL-terminated, its length in *len. Returns 0,
 * ERR_NOTFOUND or a storage error. */
int store_xml(char **xml, size_t *len, struct db *db, const char *process, int number);

/* Versions of every process (process NULL) or of one, as a JSON array of
 * {process, version, blob, commit, author, published_at, active,
 * instances}. Returns 0 or a storage error. */
int store_list(json_t **out, struct db *db, const char *process);

/* The id of version `number` of `process` (number 0: the latest).
 * Returns 0, ERR_NOTFOUND or a storage error. */
int store_version_id(int64_t *id, struct db *db, const char *process, int number);

/* git's text diff of processes/<process>.bpmn between versions v1 and v2
 * (free()). Returns 0, ERR_NOTFOUND or ERR_IO. */
int store_patch(char **out, struct store *s, struct db *db, const char *process, int v1, int v2);

/* Semantic diff of two versions by element id: added, removed and changed
 * elements (type, name, condition, assignment, timer, action), as a JSON
 * object {added:[…], removed:[…], changed:[{id, what:[…]}], instances:{…}}.
 * Returns 0, ERR_NOTFOUND or ERR_INVALID. */
int store_diff(json_t **out, struct db *db, const char *process, int v1, int v2);

#endif
