/* embed — lookup in tables of embedded files (see embed.h). */
#include "embed.h"
#include <string.h>

const struct embed_file *embed_find(const struct embed_file *files, size_t n,
                                    const char *name) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(files[i].name, name) == 0) return &files[i];
  return NULL;
}
