/* blob — content-addressed file store for attachments: a content is kept
 * once, as <dir>/<first 2 hex digits>/<remaining 62> of its SHA-256. */
#ifndef APPUI_BLOB_H
#define APPUI_BLOB_H
#include <stddef.h>

/* Stores `n` bytes at `data` under `dir` (created if needed) and writes
 * their hex SHA-256 into `hex`. Durable when it returns 0: written to a
 * temporary file, synced, renamed, directory synced. Storing an existing
 * content does nothing more. Returns 0 or ERR_IO. */
int blob_put(char hex[65], const char *dir, const void *data, size_t n);

/* Writes the path of blob `hex` under `dir` into `out` (`size` bytes).
 * Returns 0, or ERR_INVALID if `hex` is not 64 lower-case hex digits. */
int blob_path(char *out, size_t size, const char *dir, const char *hex);

#endif
