/* err — error codes and the one-line message of the last failure.
 *
 * Functions that can fail return 0 or one of the negative codes below and
 * record a message (French, for the user) with err_set(); callers read it
 * with err_msg(). The record is per thread. Lower layers' errors are passed
 * up unchanged: a caller returns the code it received without calling
 * err_set() again. */
#ifndef APPUI_ERR_H
#define APPUI_ERR_H

enum {
  ERR_OK = 0,
  ERR_INVALID = -1,     /* a field is invalid (HTTP 422); err_field() names it */
  ERR_NOTFOUND = -2,    /* the thing does not exist (404) */
  ERR_FORBIDDEN = -3,   /* the actor may not do this (403) */
  ERR_CONFLICT = -4,    /* already exists / state does not allow it (409) */
  ERR_TOOLARGE = -5,    /* size limit exceeded (413) */
  ERR_MALFORMED = -6,   /* input cannot be parsed (400) */
  ERR_UNAUTH = -7,      /* no or bad credentials (401) */
  ERR_MEDIATYPE = -8,   /* unsupported media type (415) */
  ERR_DB = -9,          /* storage failure (500) */
  ERR_IO = -10,         /* file system failure (500) */
  ERR_NOMEM = -11,      /* out of memory (500) */
  ERR_BUSY = -12,       /* database busy after retries (503) */
  ERR_USAGE = -13,      /* wrong command-line usage (exit status 2) */
  ERR_INTERNAL = -14,   /* bug or unexpected state (500) */
  ERR_TOOMANY = -15     /* too many attempts: wait and retry (429) */
};

/* Records `code`, the offending `field` (may be NULL) and a printf-style
 * message for this thread; returns `code` so callers can `return err_set()`.
 * The message is truncated to 511 bytes. */
int err_set(int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Changes the code of the last recorded error to `code`, keeping its
 * message and field (e.g. an unknown reference inside a submitted form is
 * invalid input, not a missing page). Returns `code`. */
int err_recode(int code);

/* The last recorded message of this thread ("" if none). Static storage,
 * valid until the next err_set() on this thread. */
const char *err_msg(void);

/* The field named by the last error ("" if none). */
const char *err_field(void);

/* The code of the last recorded error (0 if none). */
int err_code(void);

/* Forgets the last error of this thread. */
void err_clear(void);

/* A stable machine-readable name for `code` ("invalid", "not_found"…). */
const char *err_name(int code);

#endif
