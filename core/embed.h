/* embed — data files compiled into the binary by cmake/embed.cmake
 * (SQL migrations, JSON documents). Read-only, static storage. */
#ifndef APPUI_EMBED_H
#define APPUI_EMBED_H
#include <stddef.h>

struct embed_file {
  const char *name; /* base name of the source file */
  const char *data; /* contents, followed by a NUL byte */
  size_t size;      /* length of data, without the NUL */
};

/* Returns the entry named `name` in `files` (count `n`), or NULL. */
const struct embed_file *embed_find(const struct embed_file *files, size_t n,
                                    const char *name);

#endif
