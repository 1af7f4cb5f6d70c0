/* text — user text checks (see text.h). */
#include "text.h"
#include "err.h"
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

int text_valid_utf8(const char *str, size_t n) {
  const unsigned char *s = (const unsigned char *)str;
  size_t i = 0;
  while (i < n) {
    unsigned c = s[i];
    if (c < 0x80) {
      if (c == 0 || (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) return 0;
      i++;
      continue;
    }
    size_t len;
    unsigned cp;
    if ((c & 0xe0) == 0xc0) { len = 2; cp = c & 0x1f; }
    else if ((c & 0xf0) == 0xe0) { len = 3; cp = c & 0x0f; }
    else if ((c & 0xf8) == 0xf0) { len = 4; cp = c & 0x07; }
    else return 0;
    if (i + len > n) return 0;
    for (size_t k = 1; k < len; k++) {
      if ((s[i + k] & 0xc0) != 0x80) return 0;
      cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
      return 0;
    i += len;
  }
  return 1;
}

size_t text_chars(const char *s) {
  size_t n = 0;
  for (; *s; s++)
    if (((unsigned char)*s & 0xc0) != 0x80) n++;
  return n;
}

int text_is_slug(const char *s) {
  size_t n = s ? strlen(s) : 0;
  if (n < 2 || n > 40 || s[0] == '-' || s[n - 1] == '-') return 0;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-')) return 0;
  return 1;
}

int text_is_email(const char *s) {
  if (!s) return 0;
  size_t n = strlen(s);
  if (n < 6 || n > 254) return 0;
  const char *at = strchr(s, '@');
  if (!at || at == s || strchr(at + 1, '@')) return 0;
  const char *dot = strrchr(at, '.');
  if (!dot || dot == at + 1 || dot[1] == 0 || strlen(dot + 1) < 2) return 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == '"' || c == ',' || c == ';') return 0;
  }
  return 1;
}

char *text_trim_dup(const char *s) {
  if (!s) return NULL;
  while (*s && isspace((unsigned char)*s)) s++;
  size_t n = strlen(s);
  while (n && isspace((unsigned char)s[n - 1])) n--;
  char *p = malloc(n + 1);
  if (!p) return NULL;
  memcpy(p, s, n);
  p[n] = 0;
  return p;
}

/* Length in bytes of the white-space character starting at `p` in valid
 * UTF-8 (ASCII white space, no-break and typographic spaces, line and
 * paragraph separators), 0 if there is none. */
static size_t space_len(const unsigned char *p) {
  if (*p == ' ' || (*p >= '\t' && *p <= '\r')) return 1;
  if (p[0] == 0xc2 && p[1] == 0xa0) return 2;                                  /* U+00A0 */
  if (p[0] == 0xe1 && p[1] == 0x9a && p[2] == 0x80) return 3;                  /* U+1680 */
  if (p[0] == 0xe2 && p[1] == 0x80 &&
      (p[2] <= 0x8a || p[2] == 0xa8 || p[2] == 0xa9 || p[2] == 0xaf))          /* U+2000–200A, 2028, 2029, 202F */
    return 3;
  if (p[0] == 0xe2 && p[1] == 0x81 && p[2] == 0x9f) return 3;                  /* U+205F */
  if (p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80) return 3;                  /* U+3000 */
  return 0;
}

int text_check_field(const char *s, const char *field, const char *label, size_t max_chars) {
  if (!s) return err_set(ERR_INVALID, field, "%s : champ obligatoire", label);
  if (!text_valid_utf8(s, strlen(s)))
    return err_set(ERR_INVALID, field, "%s : texte invalide (UTF-8 attendu, sans caractère de contrôle)", label);
  const unsigned char *p = (const unsigned char *)s;
  size_t k;
  while ((k = space_len(p))) p += k;
  if (!*p) return err_set(ERR_INVALID, field, "%s : ne doit pas être vide", label);
  size_t n = text_chars(s);
  if (n > max_chars)
    return err_set(ERR_INVALID, field, "%s : %zu caractères, %zu au plus", label, n, max_chars);
  return 0;
}
