#include "common/sys/secret.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "common/sys/fd.h"

namespace zos::sys {

std::string read_secret_file(const std::string& path, const SecretRules& rules) {
  int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | (rules.follow_symlink ? 0 : O_NOFOLLOW);
  Fd fd(::open(path.c_str(), flags));
  if (!fd) {
    if (errno == ELOOP)
      throw std::runtime_error(path + " is a symbolic link (a symlink is never followed to a secret): name the file itself");
    throw std::runtime_error(path + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw std::runtime_error(path + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw std::runtime_error(path + " is not a regular file");
  unsigned mode = st.st_mode & 07777;
  if (mode != 0600 && !(rules.allow_read_only && mode == 0400)) {
    char m[8];
    std::snprintf(m, sizeof m, "%04o", mode);
    throw std::runtime_error(path + " has mode " + m + ": it must be 0600" +
                             (rules.allow_read_only ? " or 0400" : "") + " (chmod 600 " + path + ")");
  }
  if (rules.owner_root_or_self && st.st_uid != 0 && st.st_uid != ::geteuid())
    throw std::runtime_error(path + " is owned by uid " + std::to_string(st.st_uid) +
                             ": it must belong to root or to the user reading it (chown root " + path + ")");
  if (rules.owner_root && st.st_uid != 0)
    throw std::runtime_error(path + " belongs to uid " + std::to_string(st.st_uid) +
                             ", not root: only root may hold it (chown root " + path + ")");
  std::string data;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error(path + ": " + std::strerror(errno));
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
    if (data.size() > (1 << 20)) throw std::runtime_error(path + " is larger than 1 MiB: not a key file");
  }
  ::explicit_bzero(buf, sizeof buf);
  return data;
}

}  // namespace zos::sys
