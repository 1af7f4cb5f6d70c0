/* text — checks and small transformations of user-supplied text (UTF-8
 * validity, lengths in characters, identifiers, e-mail addresses). */
#ifndef APPUI_TEXT_H
#define APPUI_TEXT_H
#include <stddef.h>

/* 1 if the `n` bytes at `s` are valid UTF-8 without NUL, DEL or C0 control
 * characters other than tab, line feed and carriage return; else 0. */
int text_valid_utf8(const char *s, size_t n);

/* Number of UTF-8 code points in the NUL-terminated string `s`. */
size_t text_chars(const char *s);

/* 1 if `s` is a slug: 2–40 characters from a-z, 0-9 and '-', not starting
 * or ending with '-'; else 0. */
int text_is_slug(const char *s);

/* 1 if `s` looks like an e-mail address (local@domain.tld, ≤ 254 bytes,
 * no spaces or controls); else 0. */
int text_is_email(const char *s);

/* A copy of `s` without leading and trailing white space (free()), or NULL
 * when out of memory. NULL input gives NULL. */
char *text_trim_dup(const char *s);

/* Checks a required user text field: present, valid UTF-8, not blank, at
 * most `max_chars` characters. Returns 0, or ERR_INVALID with a French
 * message naming `field` (its French `label`). */
int text_check_field(const char *s, const char *field, const char *label, size_t max_chars);

#endif
