/* Tests of workflows/store.c: publishing into the bare git repository
 * (every accept/ file of the corpus publishes, every reject/ file is
 * refused with nothing published), authorship, pinned refs, idempotence,
 * reconcile of commits pushed with plain git (valid and invalid), and the
 * semantic and textual diffs. Uses the `git` command as a user would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "db.h"
#include "err.h"
#include "fixture.h"
#include "store.h"
#include "user.h"
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CORPUS APPUI_SHARED_DIR "/testdata/bpmn"

static struct {
  char dir[256], git[320];
  struct db *db;
  struct store *store;
  struct user admin;
} g;

static int setup(void **state) {
  (void)state;
  g.db = fixture_db(g.dir);
  snprintf(g.git, sizeof g.git, "%s/workflows.git", g.dir);
  if (store_open(&g.store, g.git, 1)) return -1;
  user_system(&g.admin, "test");
  return 0;
}

static int teardown(void **state) {
  (void)state;
  store_close(g.store);
  db_close(g.db);
  fixture_rmdir(g.dir);
  return 0;
}

static int publish_file(struct store_version *v, const char *path, const char *author) {
  size_t len;
  char *xml = fixture_read(path, &len);
  struct bpmn_report r;
  int rc = store_publish(v, &r, g.store, g.db, &g.admin, xml, len, author, NULL);
  bpmn_report_free(&r);
  free(xml);
  return rc;
}

static void accept_corpus_publishes_and_reject_corpus_does_not(void **state) {
  (void)state;
  char out[8192];
  DIR *d = opendir(CORPUS "/accept");
  struct dirent *ent;
  int published = 0;
  while ((ent = readdir(d))) {
    if (!strstr(ent->d_name, ".bpmn")) continue;
    char path[600];
    struct store_version v;
    snprintf(path, sizeof path, CORPUS "/accept/%s", ent->d_name);
    if (publish_file(&v, path, "Camille Coordination <coordination@appui.example>"))
      fail_msg("%s: %s", ent->d_name, err_msg());
    assert_true(v.created);
    published++;
  }
  closedir(d);
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM process_version"), published);
  int64_t before = fixture_int(g.db, "SELECT count(*) FROM process_version");
  fixture_sh(out, sizeof out, "git --git-dir=%s rev-parse main", g.git);
  char tip[64];
  snprintf(tip, sizeof tip, "%.41s", out);
  d = opendir(CORPUS "/reject");
  while ((ent = readdir(d))) {
    if (!strstr(ent->d_name, ".bpmn")) continue;
    char path[600];
    struct store_version v;
    snprintf(path, sizeof path, CORPUS "/reject/%s", ent->d_name);
    int rc = publish_file(&v, path, "Camille Coordination <coordination@appui.example>");
    if (rc != ERR_INVALID) fail_msg("%s: expected a refusal, got %d", ent->d_name, rc);
  }
  closedir(d);
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM process_version"), before);
  fixture_sh(out, sizeof out, "git --git-dir=%s rev-parse main", g.git);
  assert_memory_equal(out, tip, 41); /* nothing committed */
  /* The history shows each publication with its author; the repository is sound. */
  fixture_sh(out, sizeof out, "git --git-dir=%s log --format='%%an <%%ae>|%%cn' main | sort | uniq -c", g.git);
  assert_non_null(strstr(out, "Camille Coordination <coordination@appui.example>|" STORE_COMMITTER_NAME));
  assert_int_equal(fixture_sh(out, sizeof out, "git --git-dir=%s fsck --strict 2>&1", g.git), 0);
  fixture_sh(out, sizeof out, "git --git-dir=%s for-each-ref --format='%%(refname)' refs/deployed | wc -l", g.git);
  assert_int_equal(atoi(out), published);
  /* Two files share a process id: versions 1 and 2 of it. */
  assert_int_equal(fixture_int(g.db, "SELECT max(version) FROM process_version WHERE process = 'hello-world-process-id'"), 2);
}

static void unchanged_file_creates_no_version(void **state) {
  (void)state;
  struct store_version v1, v2;
  assert_int_equal(publish_file(&v1, CORPUS "/accept/01-nitram-lib-bpmn-engine--simple-user-task.bpmn", "A <a@b.fr>"), 0);
  assert_int_equal(publish_file(&v2, CORPUS "/accept/01-nitram-lib-bpmn-engine--simple-user-task.bpmn", "B <b@c.fr>"), 0);
  assert_true(v1.created);
  assert_false(v2.created);
  assert_int_equal(v2.version, 1);
  assert_string_equal(v1.commit, v2.commit);
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM process_version"), 1);
  char out[256];
  fixture_sh(out, sizeof out, "git --git-dir=%s rev-list --count main", g.git);
  assert_int_equal(atoi(out), 1);
  /* A bad author is refused before anything is written. */
  struct store_version v3;
  assert_int_equal(publish_file(&v3, CORPUS "/accept/02-nitram-lib-bpmn-engine--user-tasks-with-assignments.bpmn", "personne"),
                   ERR_INVALID);
  struct user requester;
  user_system(&requester, "maire");
  requester.role = ROLE_REQUESTER;
  size_t len;
  char *xml = fixture_read(CORPUS "/accept/02-nitram-lib-bpmn-engine--user-tasks-with-assignments.bpmn", &len);
  struct bpmn_report r;
  assert_int_equal(store_publish(&v3, &r, g.store, g.db, &requester, xml, len, "A <a@b.fr>", NULL), ERR_FORBIDDEN);
  free(xml);
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM process_version"), 1);
}

static void pushed_commits_are_reconciled(void **state) {
  (void)state;
  char out[8192], work[400];
  struct store_version v;
  assert_int_equal(publish_file(&v, CORPUS "/accept/11-nitram-lib-bpmn-engine--simple_task.bpmn", "A <a@b.fr>"), 0);
  snprintf(work, sizeof work, "%s/clone", g.dir);
  /* A coordinator with git access pushes v2 of the process, then an invalid file. */
  int rc = fixture_sh(out, sizeof out,
              "export GIT_AUTHOR_NAME='Dominique Git' GIT_AUTHOR_EMAIL=dg@appui.example GIT_COMMITTER_NAME=x "
              "GIT_COMMITTER_EMAIL=x@x.fr; git clone -q %s %s && cd %s && "
              "cp " CORPUS "/accept/12-nitram-lib-bpmn-engine--simple_task_v2.bpmn processes/hello-world-process-id.bpmn && "
              "git commit -qam v2 && "
              "cp " CORPUS "/reject/25-camunda-bpm-platform--CallActivity.testCallSimpleSubProcess.bpmn processes/callSimpleSubProcess.bpmn && "
              "git add -A && git commit -qm invalide && git push -q origin main 2>&1",
              g.git, work, work);
  if (rc) fail_msg("git: %s", out);
  struct store_reconcile rec;
  assert_int_equal(store_reconcile(&rec, g.store, g.db, &g.admin), 0);
  assert_int_equal(rec.versions, 1);
  assert_int_equal(rec.rejected, 1);
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM process_version WHERE process = 'hello-world-process-id' AND "
                                     "version = 2 AND author = 'Dominique Git <dg@appui.example>'"),
                   1);
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM process_version WHERE process = 'callSimpleSubProcess'"), 0);
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM process_rejection WHERE process = 'callSimpleSubProcess' AND "
                                     "message LIKE '%callActivity%'"),
                   1);
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM event WHERE type = 'workflow.rejected'"), 1);
  /* Reconciling again changes nothing and reports the invalid file once. */
  assert_int_equal(store_reconcile(&rec, g.store, g.db, &g.admin), 0);
  assert_int_equal(rec.versions + rec.rejected, 0);
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM event WHERE type = 'workflow.rejected'"), 1);
  fixture_sh(out, sizeof out, "git --git-dir=%s rev-parse refs/deployed/hello-world-process-id/v2", g.git);
  assert_int_equal(strlen(out), 41);
  /* Diffs between the two versions. */
  json_t *d;
  assert_int_equal(store_diff(&d, g.db, "hello-world-process-id", 1, 2), 0);
  /* v1: start → hello-world → end; v2: start → hello → world → other end. */
  assert_int_equal(json_array_size(json_object_get(d, "added")), 3);
  assert_int_equal(json_array_size(json_object_get(d, "removed")), 2);
  assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(d, "changed"), 0), "id")),
                      "StartEvent_1"); /* its outgoing flow now leads to hello */
  json_decref(d);
  char *patch;
  assert_int_equal(store_patch(&patch, g.store, g.db, "hello-world-process-id", 1, 2), 0);
  assert_non_null(strstr(patch, "+++ b/processes/hello-world-process-id.bpmn"));
  free(patch);
  assert_int_equal(store_diff(&d, g.db, "hello-world-process-id", 1, 9), ERR_NOTFOUND);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(accept_corpus_publishes_and_reject_corpus_does_not),
      T(unchanged_file_creates_no_version),
      T(pushed_commits_are_reconciled),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
