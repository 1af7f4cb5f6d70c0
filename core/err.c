/* err — per-thread record of the last error (see err.h). */
#include "err.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local struct {
  int code;
  char field[64];
  char msg[512];
} last;

int err_set(int code, const char *field, const char *fmt, ...) {
  va_list ap;
  last.code = code;
  snprintf(last.field, sizeof last.field, "%s", field ? field : "");
  va_start(ap, fmt);
  vsnprintf(last.msg, sizeof last.msg, fmt, ap);
  va_end(ap);
  return code;
}

int err_recode(int code) {
  last.code = code;
  return code;
}

const char *err_msg(void) { return last.msg; }
const char *err_field(void) { return last.field; }
int err_code(void) { return last.code; }

void err_clear(void) {
  last.code = 0;
  last.field[0] = 0;
  last.msg[0] = 0;
}

const char *err_name(int code) {
  switch (code) {
  case ERR_OK: return "ok";
  case ERR_INVALID: return "invalid";
  case ERR_NOTFOUND: return "not_found";
  case ERR_FORBIDDEN: return "forbidden";
  case ERR_CONFLICT: return "conflict";
  case ERR_TOOLARGE: return "too_large";
  case ERR_MALFORMED: return "malformed";
  case ERR_UNAUTH: return "unauthenticated";
  case ERR_MEDIATYPE: return "unsupported_media_type";
  case ERR_DB: return "storage";
  case ERR_IO: return "io";
  case ERR_NOMEM: return "out_of_memory";
  case ERR_BUSY: return "busy";
  case ERR_USAGE: return "usage";
  case ERR_TOOMANY: return "too_many_requests";
  default: return "internal";
  }
}
