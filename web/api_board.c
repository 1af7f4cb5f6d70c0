/* api_board — the cross-service board, its exports and the statistics over
 * HTTP (see api.h); the queries are core/board's. */
#include "api.h"
#include "board.h"
#include "buf.h"
#include "clock.h"
#include "err.h"
#include "export.h"
#include <stdlib.h>
#include <string.h>

/* The filters of the query string. */
static int filter_of(struct board_filter *f, const struct http_req *req) {
  memset(f, 0, sizeof *f);
  f->status = http_query(req, "status");
  f->theme = http_query(req, "theme");
  f->org = http_query(req, "org");
  f->part_state = http_query(req, "part_state");
  f->agent = http_query(req, "agent");
  f->collectivity = http_query(req, "collectivity");
  f->epci = http_query(req, "epci");
  f->late = http_query(req, "late");
  f->cursor = http_query(req, "cursor");
  const char *limit = http_query(req, "limit");
  if (limit) {
    char *end;
    long n = strtol(limit, &end, 10);
    if (!*limit || *end || n < 1 || n > 200)
      return err_set(ERR_INVALID, "limit", "limit : un entier de 1 à 200 est attendu, reçu « %s »", limit);
    f->limit = (int)n;
  }
  return board_filter_check(f);
}

int api_board_show(struct http_req *req, struct http_resp *resp) {
  struct board_filter f;
  json_t *counts = NULL, *items = NULL;
  char *next = NULL;
  int64_t now = clock_now_ms();
  int rc = filter_of(&f, req);
  if (!rc) rc = board_counts(&counts, req->db, &req->user, &f, now);
  if (!rc) rc = board_list(&items, &next, req->db, &req->user, &f, now);
  if (rc) {
    json_decref(counts);
    return rc;
  }
  json_t *o = json_pack("{s:o, s:o, s:s?}", "counts", counts, "items", items, "next_cursor", next);
  free(next);
  return http_json(resp, 200, o);
}

int api_board_export(struct http_req *req, struct http_resp *resp) {
  struct board_filter f;
  enum export_format fmt;
  struct buf out = BUF_INIT;
  int64_t rows = 0;
  const char *name = http_query(req, "format");
  int rc = filter_of(&f, req);
  if (!rc) rc = export_format_parse(&fmt, name ? name : "csv");
  if (!rc) rc = board_export(&rows, NULL, &out, fmt, req->db, &req->user, &f, clock_now_ms(), NULL);
  if (rc) {
    buf_free(&out);
    return rc;
  }
  snprintf(resp->disposition, sizeof resp->disposition, "attachment; filename=\"tableau-de-bord.%s\"",
           fmt == EXPORT_CSV ? "csv" : "xlsx");
  /* The response takes the buffer's bytes. */
  return http_take(resp, 200, export_media_type(fmt), out.data, out.len);
}

int api_board_stats(struct http_req *req, struct http_resp *resp) {
  struct board_filter f;
  json_t *o;
  int rc = filter_of(&f, req);
  if (!rc) rc = board_stats(&o, req->db, &req->user, &f, clock_now_ms());
  return rc ? rc : http_json(resp, 200, o);
}
