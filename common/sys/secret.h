// Reading a file that holds a secret (a private key, an identity seed):
// opened without following a symlink at its last component, then checked
// on the open descriptor (fstat), so the file checked is the file read.
#pragma once

#include <string>

namespace zos::sys {

struct SecretRules {
  bool follow_symlink = false;  // false: O_NOFOLLOW
  bool owner_root = false;      // the file must belong to root (uid 0)
  bool owner_root_or_self = false;  // root or the user this process runs as
  bool allow_read_only = false;  // 0400 is accepted beside 0600
};

// The whole content. std::runtime_error saying what is wrong (missing, a
// symlink, not a regular file, mode other than 0600, wrong owner) and how
// to fix it, for the caller to prefix with the file's role.
std::string read_secret_file(const std::string& path, const SecretRules& rules);

}  // namespace zos::sys
