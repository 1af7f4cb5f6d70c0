/* attachment — documents of a request (see attachment.h). */
#include "attachment.h"
#include "blob.h"
#include "clock.h"
#include "db.h"
#include "err.h"
#include "journal.h"
#include "request.h"
#include "text.h"
#include "user.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Accepted media types and the signature their content must start with
 * (NULL: text, checked as UTF-8; "PK": a ZIP container). */
static const struct {
  const char *type, *magic;
  size_t magic_len;
} types[] = {
    {"application/pdf", "%PDF-", 5},
    {"image/png", "\x89PNG\r\n\x1a\n", 8},
    {"image/jpeg", "\xff\xd8\xff", 3},
    {"text/plain", NULL, 0},
    {"text/csv", NULL, 0},
    {"application/vnd.oasis.opendocument.text", "PK\x03\x04", 4},
    {"application/vnd.oasis.opendocument.spreadsheet", "PK\x03\x04", 4},
    {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "PK\x03\x04", 4},
    {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "PK\x03\x04", 4},
    {"application/zip", "PK\x03\x04", 4},
};

const char *attachment_types(void) {
  return "application/pdf, image/png, image/jpeg, text/plain, text/csv, OpenDocument (odt, ods), "
         "Office Open XML (docx, xlsx), application/zip";
}

static int check_type(const char *media_type, const void *data, size_t size) {
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
    if (!media_type || strcmp(types[i].type, media_type) != 0) continue;
    if (types[i].magic) {
      if (size < types[i].magic_len || memcmp(data, types[i].magic, types[i].magic_len) != 0)
        return err_set(ERR_MEDIATYPE, "media_type", "le contenu du fichier ne correspond pas au type déclaré (%s)",
                       media_type);
    } else if (!text_valid_utf8(data, size)) {
      return err_set(ERR_MEDIATYPE, "media_type", "le fichier n'est pas un texte UTF-8 (%s déclaré)", media_type);
    }
    return 0;
  }
  return err_set(ERR_MEDIATYPE, "media_type", "type de fichier non accepté : « %s » (acceptés : %s)",
                 media_type ? media_type : "", attachment_types());
}

static int check_name(const char *name) {
  int rc = text_check_field(name, "name", "nom du fichier", 200);
  if (rc) return rc;
  if (strchr(name, '/') || strchr(name, '\\') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
      strpbrk(name, "\t\r\n"))
    return err_set(ERR_INVALID, "name", "nom du fichier invalide : « %s » (sans dossier ni retour à la ligne)", name);
  return 0;
}

struct add_ctx {
  const struct user *actor;
  const char *ref, *name, *media_type, *sha;
  size_t size;
  int64_t id;
};

static int add_tx(struct db *db, void *arg) {
  struct add_ctx *c = arg;
  int64_t request;
  int rc = request_access(&request, db, c->actor, c->ref, PERM_WRITE);
  if (rc) return rc;
  sqlite3_stmt *st;
  if ((rc = db_prepare(&st, db, "INSERT INTO attachment (request, sha256, name, media_type, size, uploaded_by, "
                                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")))
    return rc;
  sqlite3_bind_int64(st, 1, request);
  db_bind_text(st, 2, c->sha);
  db_bind_text(st, 3, c->name);
  db_bind_text(st, 4, c->media_type);
  sqlite3_bind_int64(st, 5, (sqlite3_int64)c->size);
  if (c->actor->id) sqlite3_bind_int64(st, 6, c->actor->id);
  sqlite3_bind_int64(st, 7, clock_now_ms());
  int s = sqlite3_step(st);
  db_done(st);
  if (s != SQLITE_DONE) return db_fail(db, s, "enregistrement du document");
  c->id = sqlite3_last_insert_rowid(db_sqlite(db));
  json_t *data = json_pack("{s:I, s:s, s:s, s:I, s:s}", "attachment", (json_int_t)c->id, "name", c->name,
                           "media_type", c->media_type, "size", (json_int_t)c->size, "sha256", c->sha);
  rc = journal_append(db, c->actor, request, "attachment.added", data);
  json_decref(data);
  return rc;
}

int attachment_add(int64_t *id, struct db *db, const struct user *actor, const char *blobs,
                   const char *ref, const char *name, const char *media_type, const void *data,
                   size_t size) {
  int64_t request;
  int rc;
  if (size > ATTACHMENT_MAX)
    return err_set(ERR_TOOLARGE, "file", "fichier trop volumineux : %zu octets, %u Mio au plus", size,
                   ATTACHMENT_MAX / (1024 * 1024));
  if (size == 0) return err_set(ERR_INVALID, "file", "le fichier est vide");
  if ((rc = check_name(name))) return rc;
  if ((rc = check_type(media_type, data, size))) return rc;
  /* Refuse early, before writing anything, when the actor may not write. */
  if ((rc = request_access(&request, db, actor, ref, PERM_WRITE))) return rc;
  char sha[65];
  if ((rc = blob_put(sha, blobs, data, size))) return rc;
  struct add_ctx c = {actor, ref, name, media_type, sha, size, 0};
  rc = db_write(db, add_tx, &c);
  if (!rc && id) *id = c.id;
  return rc;
}

int attachment_read(struct attachment_file *out, struct db *db, const char *blobs, int64_t request, int64_t id) {
  sqlite3_stmt *st;
  char sha[65] = "", path[1024];
  memset(out, 0, sizeof *out);
  int rc = db_prepare(&st, db, "SELECT sha256, name, media_type FROM attachment WHERE id = ? AND request = ?");
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, id);
  sqlite3_bind_int64(st, 2, request);
  int s = sqlite3_step(st);
  if (s == SQLITE_ROW) {
    snprintf(sha, sizeof sha, "%s", db_col_text(st, 0) ? db_col_text(st, 0) : "");
    snprintf(out->name, sizeof out->name, "%s", db_col_text(st, 1) ? db_col_text(st, 1) : "document");
    snprintf(out->media_type, sizeof out->media_type, "%s", db_col_text(st, 2) ? db_col_text(st, 2) : "");
    out->type = "application/octet-stream";
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
      if (!strcmp(types[i].type, out->media_type)) out->type = types[i].type;
  } else if (s == SQLITE_DONE) {
    rc = err_set(ERR_NOTFOUND, NULL, "document inconnu sur cette demande");
  } else {
    rc = db_fail(db, s, "lecture d'un document");
  }
  db_done(st);
  if (rc) return rc;
  if ((rc = blob_path(path, sizeof path, blobs, sha))) return rc;
  FILE *f = fopen(path, "rb");
  if (!f) return err_set(ERR_IO, NULL, "document illisible sur le serveur : %s", path);
  long len = -1;
  if (!fseek(f, 0, SEEK_END) && (len = ftell(f)) >= 0 && !fseek(f, 0, SEEK_SET)) {
    out->data = malloc((size_t)len + 1);
    if (out->data && fread(out->data, 1, (size_t)len, f) != (size_t)len) {
      free(out->data);
      out->data = NULL;
    }
  }
  fclose(f);
  if (!out->data) return err_set(ERR_IO, NULL, "document illisible sur le serveur : %s", path);
  out->data[len] = 0;
  out->size = (size_t)len;
  return 0;
}
