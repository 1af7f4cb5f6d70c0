/* workflow — what the rest of the platform asks of the workflow library:
 * setting up the repository of definitions (publishing the default
 * processes embedded in the program), and filing a request together with
 * the start of its process, in one transaction. */
#ifndef APPUI_WORKFLOW_H
#define APPUI_WORKFLOW_H
#include <stdint.h>

struct db;
struct engine;
struct request_new;
struct user;

/* Id of the process run for requests whose offer names none. Static. */
const char *workflow_default_process(void);

/* Path of the repository of definitions in data directory `dir`, into `out`
 * (`size` bytes). */
void workflow_repository(char *out, unsigned long size, const char *dir);

/* Creates DATA/workflows.git if needed, publishes the default definitions
 * (an unchanged one creates no version) as `author`, then reconciles
 * commits pushed with git. *published (may be NULL) counts the versions
 * created. Returns 0 or an error. */
int workflow_init(int *published, struct db *db, const char *data_dir, const struct user *actor, const char *author);

/* Files a request and starts an instance of its offer's process (or the
 * default one), pinned to the latest active version, in one transaction.
 * The instance's variables describe the request (variable "demande": ref,
 * themes, budget, offre, collectivite {code, kind, population, epci,
 * departement}). Returns what request_file() returns, or ERR_NOTFOUND when
 * the process has no published version (message says to run appui init). */
int workflow_file(char ref[16], int64_t *id, struct engine *e, const struct user *actor,
                  const struct request_new *n);

/* Starts an instance for every request that has none (requests filed
 * before their process existed, demo data), each pinned to the latest
 * version of its offer's process, in one transaction. *started (may be
 * NULL) counts them. Returns 0 or an error. */
int workflow_start_missing(int *started, struct engine *e, const struct user *actor);

#endif
