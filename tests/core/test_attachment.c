/* Tests of core/attachment.c (and the blob store of core/blob.c under it):
 * a document is stored once per content under blobs/ab/cdef…, identical
 * uploads share one file, and every refusal — too large, empty, declared
 * type not matching the content, type not accepted, bad file name, request
 * not accessible — changes neither the base nor the blob store.
 *
 * The group setup builds one base (Haute-Garonne, accounts, two requests);
 * each test works on a copy with its own empty blob directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "attachment.h"
#include "blob.h"
#include "db.h"
#include "err.h"
#include "fixture.h"
#include "request.h"
#include "user.h"
#include <dirent.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static struct {
  char template_dir[256], dir[256], blobs[320];
  struct db *template, *db;
  struct user admin, maire, toulouse, coord;
  char agassac[REQUEST_REF_SIZE], toulouse_ref[REQUEST_REF_SIZE];
  int64_t agassac_id;
} g;

static const char pdf[] = "%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n";
static const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
static const char jpeg[] = "\xff\xd8\xff\xe0\0\x10JFIF";
static const char zip[] = "PK\x03\x04\x14\0\0\0";
static const char csv[] = "commune;population\nAgassac;115\n";

static int group_setup(void **state) {
  (void)state;
  struct db *db = g.template = fixture_db(g.template_dir);
  fixture_territory(db);
  user_system(&g.admin, "test");
  int64_t id;
  struct user_new users[] = {
      {"maire@agassac.example", "Maire d'Agassac", "requester", "31001", NULL, NULL},
      {"mairie@toulouse.example", "Mairie de Toulouse", "requester", "31555", NULL, NULL},
      {"coordination@appui.example", "Coordination", "coordinator", NULL, NULL, NULL},
  };
  for (size_t i = 0; i < sizeof users / sizeof users[0]; i++)
    if (user_add(&id, db, &g.admin, &users[i])) return -1;
  if (user_get_by_email(&g.maire, db, "maire@agassac.example") ||
      user_get_by_email(&g.toulouse, db, "mairie@toulouse.example") ||
      user_get_by_email(&g.coord, db, "coordination@appui.example"))
    return -1;
  const char *themes[] = {"voirie"};
  struct request_new n = {NULL, "Réfection du chemin", "Chemin raviné.", themes, 1, NULL, -1, NULL};
  if (request_file(g.agassac, &g.agassac_id, db, &g.maire, &n)) return -1;
  n.collectivity = "31555";
  if (request_file(g.toulouse_ref, NULL, db, &g.coord, &n)) return -1;
  return 0;
}

static int group_teardown(void **state) {
  (void)state;
  db_close(g.template);
  fixture_rmdir(g.template_dir);
  return 0;
}

static int setup(void **state) {
  (void)state;
  g.db = fixture_clone(g.template, g.dir);
  snprintf(g.blobs, sizeof g.blobs, "%s/blobs", g.dir);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  db_close(g.db);
  fixture_rmdir(g.dir);
  return 0;
}

/* Number of files under `dir` (recursively); 0 if it does not exist. */
static int count_files(const char *dir) {
  DIR *d = opendir(dir);
  int n = 0;
  if (!d) return 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    char path[1024];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    assert_int_equal(lstat(path, &st), 0);
    if (S_ISDIR(st.st_mode)) n += count_files(path);
    else n++;
  }
  closedir(d);
  return n;
}

static int add(int64_t *id, const struct user *u, const char *ref, const char *name, const char *type,
               const void *data, size_t size) {
  return attachment_add(id, g.db, u, g.blobs, ref, name, type, data, size);
}

/* Asserts a refusal that leaves the base and the blob store unchanged. */
#define REFUSED(call, code, field, needle)                   \
  do {                                                        \
    int files_ = count_files(g.blobs);                        \
    assert_refused(g.db, (call), (code), (field), (needle));  \
    assert_int_equal(count_files(g.blobs), files_);           \
  } while (0)

static void stored_by_content(void **state) {
  (void)state;
  int64_t id = 0;
  assert_int_equal(add(&id, &g.maire, g.agassac, "photos du chemin.pdf", "application/pdf", pdf, sizeof pdf - 1), 0);
  assert_true(id > 0);
  /* The file is blobs/<2 hex>/<62 hex> of its SHA-256, with the content. */
  unsigned char d[crypto_hash_sha256_BYTES];
  char hex[65], path[512], expected[512];
  crypto_hash_sha256(d, (const unsigned char *)pdf, sizeof pdf - 1);
  sodium_bin2hex(hex, sizeof hex, d, sizeof d);
  snprintf(expected, sizeof expected, "%s/%.2s/%s", g.blobs, hex, hex + 2);
  assert_int_equal(blob_path(path, sizeof path, g.blobs, hex), 0);
  assert_string_equal(path, expected);
  FILE *f = fopen(expected, "rb");
  assert_non_null(f);
  char buf[256];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  assert_int_equal(n, sizeof pdf - 1);
  assert_memory_equal(buf, pdf, n);
  assert_int_equal(count_files(g.blobs), 1);
  /* The row, the listing and the event. */
  json_t *list;
  json_t *shown;
  assert_int_equal(request_show(&shown, g.db, &g.maire, g.agassac, 0), 0);
  list = json_incref(json_object_get(shown, "attachments"));
  json_decref(shown);
  assert_int_equal(json_array_size(list), 1);
  json_t *a = json_array_get(list, 0);
  assert_int_equal(json_integer_value(json_object_get(a, "id")), id);
  assert_string_equal(json_string_value(json_object_get(a, "name")), "photos du chemin.pdf");
  assert_string_equal(json_string_value(json_object_get(a, "media_type")), "application/pdf");
  assert_int_equal(json_integer_value(json_object_get(a, "size")), sizeof pdf - 1);
  assert_string_equal(json_string_value(json_object_get(a, "sha256")), hex);
  json_decref(list);
  char sql[400];
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM event WHERE type = 'attachment.added' AND request = %lld AND actor_user = %lld "
           "AND json_extract(data, '$.sha256') = '%s' AND json_extract(data, '$.size') = %zu",
           (long long)g.agassac_id, (long long)g.maire.id, hex, sizeof pdf - 1);
  assert_int_equal(fixture_int(g.db, sql), 1);
  json_t *o;
  assert_int_equal(request_show(&o, g.db, &g.maire, g.agassac, 0), 0);
  assert_int_equal(json_array_size(json_object_get(o, "attachments")), 1);
  json_decref(o);
  /* Malformed digests have no path. */
  assert_int_equal(blob_path(path, sizeof path, g.blobs, "../../etc/passwd"), ERR_INVALID);
}

static void identical_uploads_share_one_file(void **state) {
  (void)state;
  int64_t a, b, c;
  assert_int_equal(add(&a, &g.maire, g.agassac, "plan.pdf", "application/pdf", pdf, sizeof pdf - 1), 0);
  assert_int_equal(add(&b, &g.coord, g.toulouse_ref, "copie du plan.pdf", "application/pdf", pdf, sizeof pdf - 1), 0);
  assert_int_equal(add(&c, &g.maire, g.agassac, "plan.pdf", "application/pdf", pdf, sizeof pdf - 1), 0);
  assert_true(a != b && b != c);
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM attachment"), 3);
  assert_int_equal(fixture_int(g.db, "SELECT count(DISTINCT sha256) FROM attachment"), 1);
  assert_int_equal(count_files(g.blobs), 1); /* and no temporary file left */
  /* Another content, another file. */
  assert_int_equal(add(&c, &g.maire, g.agassac, "population.csv", "text/csv", csv, sizeof csv - 1), 0);
  assert_int_equal(count_files(g.blobs), 2);
}

static void accepted_types(void **state) {
  (void)state;
  int64_t id;
  assert_int_equal(add(&id, &g.maire, g.agassac, "photo.png", "image/png", png, sizeof png - 1), 0);
  assert_int_equal(add(&id, &g.maire, g.agassac, "photo.jpg", "image/jpeg", jpeg, sizeof jpeg - 1), 0);
  assert_int_equal(add(&id, &g.maire, g.agassac, "notes.txt", "text/plain", "Réunion du 3 mars.\n", strlen("Réunion du 3 mars.\n")), 0);
  assert_int_equal(add(&id, &g.maire, g.agassac, "devis.odt", "application/vnd.oasis.opendocument.text", zip,
                       sizeof zip - 1),
                   0);
  assert_int_equal(add(&id, &g.maire, g.agassac, "budget.xlsx",
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", zip, sizeof zip - 1),
                   0);
  assert_int_equal(add(&id, &g.maire, g.agassac, "archive.zip", "application/zip", zip, sizeof zip - 1), 0);
  /* Odd but harmless names. */
  assert_int_equal(add(&id, &g.maire, g.agassac, "rapport..final (v2).pdf", "application/pdf", pdf, sizeof pdf - 1), 0);
  assert_int_equal(add(&id, &g.maire, g.agassac, "été 2025 — plan.pdf", "application/pdf", pdf, sizeof pdf - 1), 0);
  assert_int_equal(add(&id, &g.maire, g.agassac, ".plan.pdf", "application/pdf", pdf, sizeof pdf - 1), 0);
  assert_non_null(strstr(attachment_types(), "application/pdf"));
}

static void size_limits(void **state) {
  (void)state;
  int64_t id = 0;
  size_t big = ATTACHMENT_MAX + 1;
  char *data = calloc(1, big);
  assert_non_null(data);
  memcpy(data, pdf, sizeof pdf - 1);
  REFUSED(add(&id, &g.maire, g.agassac, "gros.pdf", "application/pdf", data, big), ERR_TOOLARGE, "file", "10 Mio");
  REFUSED(add(&id, &g.maire, g.agassac, "vide.pdf", "application/pdf", data, 0), ERR_INVALID, "file", "vide");
  assert_int_equal(id, 0);
  /* Exactly the limit is accepted. */
  assert_int_equal(add(&id, &g.maire, g.agassac, "limite.pdf", "application/pdf", data, ATTACHMENT_MAX), 0);
  assert_int_equal(fixture_int(g.db, "SELECT size FROM attachment"), ATTACHMENT_MAX);
  free(data);
}

static void types_must_match_and_be_accepted(void **state) {
  (void)state;
  int64_t id = 0;
  /* Disguised contents. */
  REFUSED(add(&id, &g.maire, g.agassac, "plan.pdf", "application/pdf", png, sizeof png - 1), ERR_MEDIATYPE,
          "media_type", "application/pdf");
  REFUSED(add(&id, &g.maire, g.agassac, "photo.png", "image/png", pdf, sizeof pdf - 1), ERR_MEDIATYPE, "media_type",
          "image/png");
  REFUSED(add(&id, &g.maire, g.agassac, "photo.jpg", "image/jpeg", csv, sizeof csv - 1), ERR_MEDIATYPE, "media_type",
          "image/jpeg");
  REFUSED(add(&id, &g.maire, g.agassac, "notes.txt", "text/plain", png, sizeof png - 1), ERR_MEDIATYPE, "media_type",
          "UTF-8");
  REFUSED(add(&id, &g.maire, g.agassac, "devis.docx",
              "application/vnd.openxmlformats-officedocument.wordprocessingml.document", pdf, sizeof pdf - 1),
          ERR_MEDIATYPE, "media_type", NULL);
  REFUSED(add(&id, &g.maire, g.agassac, "court.pdf", "application/pdf", "%PD", 3), ERR_MEDIATYPE, "media_type", NULL);
  /* Types not accepted. */
  REFUSED(add(&id, &g.maire, g.agassac, "setup.exe", "application/x-msdownload", "MZ\x90\0", 4), ERR_MEDIATYPE,
          "media_type", "application/x-msdownload");
  REFUSED(add(&id, &g.maire, g.agassac, "plan.svg", "image/svg+xml", "<svg/>", 6), ERR_MEDIATYPE, "media_type",
          "acceptés");
  REFUSED(add(&id, &g.maire, g.agassac, "plan.pdf", NULL, pdf, sizeof pdf - 1), ERR_MEDIATYPE, "media_type", NULL);
  REFUSED(add(&id, &g.maire, g.agassac, "plan.pdf", "", pdf, sizeof pdf - 1), ERR_MEDIATYPE, "media_type", NULL);
  assert_int_equal(id, 0);
  assert_int_equal(count_files(g.blobs), 0);
}

static void bad_names(void **state) {
  (void)state;
  int64_t id = 0;
  char long_name[256];
  memset(long_name, 'a', 197);
  strcpy(long_name + 197, ".pdf"); /* 201 characters */
  static const char *const bad[] = {"../../etc/passwd", "dossier/plan.pdf", "/plan.pdf", "..", ".", "c:\\plan.pdf",
                                    "plan\n.pdf", "plan\r.pdf", "plan\t.pdf", "", "   ", "plan\x01.pdf", "pl\xe9.pdf"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    REFUSED(add(&id, &g.maire, g.agassac, bad[i], "application/pdf", pdf, sizeof pdf - 1), ERR_INVALID, "name",
            "nom du fichier");
  REFUSED(add(&id, &g.maire, g.agassac, "dossier/plan.pdf", "application/pdf", pdf, sizeof pdf - 1), ERR_INVALID,
          "name", "dossier/plan.pdf");
  REFUSED(add(&id, &g.maire, g.agassac, NULL, "application/pdf", pdf, sizeof pdf - 1), ERR_INVALID, "name",
          "obligatoire");
  REFUSED(add(&id, &g.maire, g.agassac, long_name, "application/pdf", pdf, sizeof pdf - 1), ERR_INVALID, "name",
          "201");
  assert_int_equal(id, 0);
  assert_int_equal(count_files(g.blobs), 0);
}

static void permission_is_checked_before_storing(void **state) {
  (void)state;
  int64_t id = 0;
  REFUSED(add(&id, &g.toulouse, g.agassac, "plan.pdf", "application/pdf", pdf, sizeof pdf - 1), ERR_FORBIDDEN, NULL,
          g.agassac);
  REFUSED(add(&id, &g.maire, g.toulouse_ref, "plan.pdf", "application/pdf", pdf, sizeof pdf - 1), ERR_FORBIDDEN, NULL,
          g.toulouse_ref);
  struct user agent = g.coord;
  agent.role = ROLE_AGENT;
  agent.org = 1;
  REFUSED(add(&id, &agent, g.agassac, "plan.pdf", "application/pdf", pdf, sizeof pdf - 1), ERR_FORBIDDEN, NULL, NULL);
  REFUSED(add(&id, &g.maire, "2020-999999", "plan.pdf", "application/pdf", pdf, sizeof pdf - 1), ERR_NOTFOUND, "ref",
          "2020-999999");
  assert_int_equal(id, 0);
  assert_int_equal(count_files(g.blobs), 0);
  /* The coordination may add to any request. */
  assert_int_equal(add(&id, &g.coord, g.agassac, "plan.pdf", "application/pdf", pdf, sizeof pdf - 1), 0);
}

static void storage_failure_records_nothing(void **state) {
  (void)state;
  int64_t id = 0;
  /* The blob directory cannot be created: a file is in the way. */
  FILE *f = fopen(g.blobs, "w");
  assert_non_null(f);
  fclose(f);
  assert_refused(g.db, add(&id, &g.maire, g.agassac, "plan.pdf", "application/pdf", pdf, sizeof pdf - 1), ERR_IO, NULL,
                 g.blobs);
  assert_int_equal(id, 0);
}

static void read_back(void **state) {
  (void)state;
  int64_t id = 0;
  assert_int_equal(add(&id, &g.maire, g.agassac, "devis.pdf", "application/pdf", pdf, sizeof pdf - 1), 0);
  struct attachment_file f;
  assert_int_equal(attachment_read(&f, g.db, g.blobs, g.agassac_id, id), 0);
  assert_string_equal(f.name, "devis.pdf");
  assert_string_equal(f.media_type, "application/pdf");
  assert_string_equal(f.type, "application/pdf");
  assert_int_equal(f.size, sizeof pdf - 1);
  assert_memory_equal(f.data, pdf, f.size);
  free(f.data);
  /* A recorded type no longer accepted is sent back as bytes. */
  char sql[64];
  snprintf(sql, sizeof sql, "UPDATE attachment SET media_type = 'text/html' WHERE id = %lld", (long long)id);
  assert_int_equal(db_exec(g.db, sql), 0);
  assert_int_equal(attachment_read(&f, g.db, g.blobs, g.agassac_id, id), 0);
  assert_string_equal(f.media_type, "text/html");
  assert_string_equal(f.type, "application/octet-stream");
  free(f.data);
  /* Another request's id, an unknown id: not found, nothing allocated. */
  assert_refused(g.db, attachment_read(&f, g.db, g.blobs, g.agassac_id + 1000, id), ERR_NOTFOUND, NULL, "inconnu");
  assert_null(f.data);
  assert_refused(g.db, attachment_read(&f, g.db, g.blobs, g.agassac_id, id + 1000), ERR_NOTFOUND, NULL, "inconnu");
  /* Content gone from the store: an I/O error, said so. */
  char other[400];
  snprintf(other, sizeof other, "%s-ailleurs", g.blobs);
  assert_refused(g.db, attachment_read(&f, g.db, other, g.agassac_id, id), ERR_IO, NULL, "illisible");
  assert_null(f.data);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(stored_by_content),
      T(read_back),
      T(identical_uploads_share_one_file),
      T(accepted_types),
      T(size_limits),
      T(types_must_match_and_be_accepted),
      T(bad_names),
      T(permission_is_checked_before_storing),
      T(storage_failure_records_nothing),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
