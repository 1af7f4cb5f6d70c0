/* blob — content-addressed file store (see blob.h). */
#include "blob.h"
#include "err.h"
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int sync_dir(const char *path) {
  int fd = open(path, O_RDONLY | O_DIRECTORY);
  if (fd < 0) return -1;
  int r = fsync(fd);
  close(fd);
  return r;
}

static int ensure_dir(const char *path) {
  if (mkdir(path, 0750) == 0 || errno == EEXIST) return 0;
  return err_set(ERR_IO, NULL, "impossible de créer le dossier %s : %s", path, strerror(errno));
}

int blob_path(char *out, size_t size, const char *dir, const char *hex) {
  if (strlen(hex) != 64 || strspn(hex, "0123456789abcdef") != 64)
    return err_set(ERR_INVALID, "sha256", "empreinte de fichier invalide");
  snprintf(out, size, "%s/%.2s/%s", dir, hex, hex + 2);
  return 0;
}

int blob_put(char hex[65], const char *dir, const void *data, size_t n) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  char sub[4096], path[4096], tmp[4200];
  int rc = 0, fd = -1;
  if (sodium_init() < 0) return err_set(ERR_INTERNAL, NULL, "libsodium indisponible");
  crypto_hash_sha256(digest, data, n);
  sodium_bin2hex(hex, 65, digest, sizeof digest);
  snprintf(sub, sizeof sub, "%s/%.2s", dir, hex);
  blob_path(path, sizeof path, dir, hex);
  if (access(path, F_OK) == 0) return 0;
  if ((rc = ensure_dir(dir)) || (rc = ensure_dir(sub))) return rc;
  unsigned char r[8];
  char rhex[17];
  randombytes_buf(r, sizeof r);
  sodium_bin2hex(rhex, sizeof rhex, r, sizeof r);
  snprintf(tmp, sizeof tmp, "%s/.tmp-%s", sub, rhex);
  fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) {
    rc = err_set(ERR_IO, NULL, "impossible d'écrire %s : %s", tmp, strerror(errno));
    goto done;
  }
  const char *p = data;
  size_t left = n;
  while (left) {
    ssize_t w = write(fd, p, left);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      rc = err_set(ERR_IO, NULL, "écriture de %s : %s", tmp, strerror(errno));
      goto done;
    }
    p += w;
    left -= (size_t)w;
  }
  if (fsync(fd) != 0) {
    rc = err_set(ERR_IO, NULL, "synchronisation de %s : %s", tmp, strerror(errno));
    goto done;
  }
  close(fd);
  fd = -1;
  if (rename(tmp, path) != 0) {
    rc = err_set(ERR_IO, NULL, "impossible de ranger %s : %s", path, strerror(errno));
    goto done;
  }
  if (sync_dir(sub) != 0) rc = err_set(ERR_IO, NULL, "synchronisation de %s : %s", sub, strerror(errno));
done:
  if (fd >= 0) close(fd);
  if (rc) unlink(tmp);
  return rc;
}
