/* template — the server-side template engine of the HTML pages: Mustache
 * templates rendered from a JSON view model (jansson).
 *
 * A template set is filled once at start-up (template_add, or
 * template_add_files for the embedded *.mustache files); each template is
 * parsed once into a compact program, and rendering only walks that program
 * and the view. After loading, a set is read-only: any number of threads
 * may render from it at the same time (rendering keeps its state on the
 * caller's stack and never writes to the set or to the view).
 *
 * Supported Mustache:
 *   {{name}}          the value, HTML-ESCAPED: & < > " ' ` = become entities,
 *                     so the output is inert in element content and in quoted
 *                     or unquoted attribute values. This is the default and
 *                     what every user-supplied value must go through.
 *   {{{name}}}        the value, RAW, NOT ESCAPED. Same as {{& name}}.
 *   {{& name}}        ┌──────────────────────────────────────────────────────┐
 *                     │ DANGER: raw tags are for trusted HTML produced by    │
 *                     │ the program itself (a pre-rendered fragment, a       │
 *                     │ constant). NEVER for anything a user typed or an     │
 *                     │ external system sent: that is a cross-site scripting │
 *                     │ hole. When in doubt, use {{name}}.                   │
 *                     └──────────────────────────────────────────────────────┘
 *   {{#name}}…{{/name}}  section: skipped when the value is missing, false,
 *                     null, an empty array or an empty string; rendered once
 *                     per item of a non-empty array (the item pushed on the
 *                     context stack); once with the value pushed otherwise
 *                     (object, true, any number — 0 included —, non-empty
 *                     string).
 *   {{^name}}…{{/name}}  inverted section: rendered once exactly when the
 *                     section above would be skipped.
 *   {{! comment }}    ignored; may span several lines.
 *   {{> partial}}     another template of the same set, rendered with the
 *                     current context; found at render time; at most
 *                     TEMPLATE_PARTIAL_DEPTH partials deep (recursion ends
 *                     with an error beyond that).
 *   {{.}}             the current context (top of the stack).
 *   a.b.c             dotted names: `a` is looked up from the top of the
 *                     context stack down (the first object having the key
 *                     wins, even when its value is null), then `b` within it,
 *                     then `c`; a broken chain gives a missing value.
 * A line holding only a section, inverted, closing, comment or partial tag
 * (and spaces or tabs) disappears with its line ending, as in the Mustache
 * specification; a standalone partial's indentation is prepended to each
 * line of the partial.
 * Values: strings as they are; integers in decimal; reals in the shortest
 * %g form that reads back to the same double (1.5, 0.1, 2, 1e+21); true and
 * false as "true" and "false"; null, missing values, arrays and objects as
 * nothing.
 * Not supported: lambdas, template inheritance ({{< }} {{$ }}) and changing
 * the delimiters ({{= }}), all refused with an error when parsing.
 * Syntax errors are ERR_INVALID with a French message naming the template,
 * the line and the column (1-based, in characters) of the offending tag. */
#ifndef APPUI_TEMPLATE_H
#define APPUI_TEMPLATE_H
#include "buf.h"
#include "embed.h"
#include <jansson.h>
#include <stddef.h>

/* Partials nested deeper than this fail to render with ERR_INVALID. */
#define TEMPLATE_PARTIAL_DEPTH 16

struct template_set;

/* Creates an empty set in *out (free with template_set_free). Returns 0 or
 * ERR_NOMEM. Allocates. */
int template_set_new(struct template_set **out);

/* Frees the set and all its templates. NULL is a no-op. */
void template_set_free(struct template_set *ts);

/* Parses the `len` bytes of `text` (need not be NUL-terminated) and adds
 * them to `ts` as template `name`. Both are copied; the caller keeps its
 * own. Returns 0, ERR_INVALID for a syntax error (message with name, line
 * and column) or an empty name, ERR_CONFLICT when `name` is already in the
 * set, ERR_TOOLARGE beyond 16 MiB, or ERR_NOMEM. On error the set is
 * unchanged. Not thread-safe: load the set before rendering from it. */
int template_add(struct template_set *ts, const char *name, const char *text, size_t len);

/* Adds every file of `files` (count `n`) whose name ends in ".mustache",
 * under its name without that extension ("demande.mustache" → "demande");
 * other files are ignored. Returns 0 or the first error of template_add
 * (templates added before it stay in the set). */
int template_add_files(struct template_set *ts, const struct embed_file *files, size_t n);

/* Renders template `name` of `ts` with `view` (borrowed; NULL renders as
 * an empty context) and appends the result to `out`. Returns 0,
 * ERR_NOTFOUND for an unknown template, ERR_INVALID for an unknown partial,
 * partials nested deeper than TEMPLATE_PARTIAL_DEPTH or contexts nested too
 * deep (message with template, line and column), or ERR_NOMEM. On error
 * `out` is restored to its previous length. Allocates only by growing
 * `out`; safe to call from several threads on the same set. */
int template_render(struct buf *out, const struct template_set *ts, const char *name, const json_t *view);

#endif
