/* workflow — what the rest of the platform asks of the workflow library:
 * setting up the repository of definitions (publishing the default
 * processes embedded in the program), filing a request together with the
 * start of its process in one transaction (with its document, if any),
 * adding a document that may answer the process's request for documents,
 * and where a request's process stands (active elements, diagram). */
#ifndef APPUI_WORKFLOW_H
#define APPUI_WORKFLOW_H
#include <stddef.h>
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

/* A document given with a filing or in answer to a request for documents.
 * Borrowed. */
struct workflow_document {
  const char *name;       /* file name as given */
  const char *media_type; /* announced media type (checked against the content), or NULL */
  const void *data;
  size_t size;
};

/* Files a request like workflow_file() and adds its document `doc` (may be
 * NULL; stored under `blobs` by attachment_add), all or nothing: a refused
 * document (ERR_TOOLARGE, ERR_MEDIATYPE, ERR_INVALID) leaves no request,
 * no process and no journal line. Returns 0 or the first error. */
int workflow_file_with(char ref[16], int64_t *id, struct engine *e, const struct user *actor,
                       const struct request_new *n, const char *blobs, const struct workflow_document *doc);

/* The message a process waits for when it asked the requester for
 * documents (demande-appui, sub-process attente_pieces). */
#define WORKFLOW_DOCUMENTS_MESSAGE "pieces-recues"

/* Where the process of a request stands. */
struct workflow_state {
  int64_t instance;      /* the request's latest instance, 0 when none */
  int active;            /* that instance is running */
  int waiting_documents; /* it waits for WORKFLOW_DOCUMENTS_MESSAGE */
  char elements[512];    /* ids of the elements its tokens are at, comma-separated */
};

/* Reads where the process of request `request` (id) stands into *out
 * (zeroed when it has no instance). Read only. Returns 0 or a storage
 * error. */
int workflow_state(struct workflow_state *out, struct db *db, int64_t request);

/* Adds document `doc` to request `ref` (attachment_add: permission, size,
 * media type) and, when `answer` is set and the request's process waits for
 * the requester's documents, delivers WORKFLOW_DOCUMENTS_MESSAGE to it with
 * {"pieces": [name]}, all or nothing. *answered (may be NULL) tells whether
 * the process was told (a process no longer waiting keeps the document
 * alone). Returns 0 and the document's id, or the first error. */
int workflow_add_document(int64_t *id, int *answered, struct engine *e, const struct user *actor, const char *blobs,
                          const char *ref, const struct workflow_document *doc, int answer);

/* The BPMN XML of the process version run by the latest instance of
 * request `request` (id), malloc'ed and NUL-terminated, its length in
 * *len. Returns 0, ERR_NOTFOUND when the request has no process yet, or a
 * storage error. */
int workflow_diagram(char **xml, size_t *len, struct db *db, int64_t request);

/* Runs the jobs due now (at most 32), as the platform, like the scheduler
 * of `appui serve` would a moment later: after a step completed from a
 * page, the next page shows where the request went. *ran (may be NULL)
 * counts them. Returns 0 or an error. */
int workflow_run_due(int *ran, struct engine *e, int64_t now);

/* Starts an instance for every request that has none (requests filed
 * before their process existed, demo data), each pinned to the latest
 * version of its offer's process, in one transaction. *started (may be
 * NULL) counts them. Returns 0 or an error. */
int workflow_start_missing(int *started, struct engine *e, const struct user *actor);

#endif
