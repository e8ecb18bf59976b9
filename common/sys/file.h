// Files: whole reads, atomic writes, exclusive publication, flock guards.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/sys/fd.h"
#include "common/sys/syscall.h"

namespace zos::sys {

// Whole file as a string; nullopt when it does not exist.
std::optional<std::string> read_file(const std::string& path);
// The rest of an open file (`path` names it in errors).
std::string read_all(const Fd& fd, const std::string& path);

// How far a write must survive:
//   kDurable    a power loss too: fsync of the file and of its folder
//   kCrashSafe  a killed process (kill -9, OOM): the file is whole or absent,
//               but a power loss may take the last writes back. For state
//               that describes kernel objects (veths, leases of containers),
//               which do not survive a power loss either.
enum class Sync { kDurable, kCrashSafe };

// Write a file atomically: a temporary file beside it, then rename over the
// target. A killed writer leaves the old content (and at most a stray
// "<name>.tmp-<pid>" that clean_temp_files() removes).
void write_file_atomic(const std::string& path, const std::string& data, unsigned mode = 0644,
                       Sync sync = Sync::kDurable);

// write_file_atomic() unless the file holds exactly `data` already (a
// re-run that changes nothing writes nothing); makes the missing folders of
// `path`. True when it wrote.
bool write_if_changed(const std::string& path, const std::string& data, unsigned mode = 0644,
                      Sync sync = Sync::kDurable);

// Publish a file only if the name is free: write a temporary file, then
// link() it to `path`. Returns false when `path` already exists. Either the
// whole content is there under `path`, or nothing is.
bool create_file_exclusive(const std::string& path, const std::string& data, unsigned mode = 0644,
                           Sync sync = Sync::kDurable);

// Removes a file; false when it was already gone.
bool remove_if_exists(const std::string& path);

// Removes the "*.tmp-<pid>" leftovers of killed writers in `dir`: those
// whose pid no longer runs (a live writer's file stays, so no lock is
// needed; a recycled pid only delays the cleanup).
void clean_temp_files(const std::string& dir);
// The rule of clean_temp_files() for one name, for a caller that lists the
// folder anyway: true for a leftover to remove.
bool is_temp_leftover(const std::string& name);

// mkdir -p with `mode` for the folders it creates.
void make_dirs(const std::string& path, unsigned mode = 0755);

// Runs `make`, which creates something in `dir`; when that fails for want
// of the folder (ENOENT), makes it (make_dirs) and runs `make` again. The
// usual call, into a folder that is there, costs no mkdir and no stat.
template <typename F>
decltype(auto) in_dir(const std::string& dir, unsigned mode, F&& make) {
  try {
    return make();
  } catch (const SysError& e) {
    if (e.err() != ENOENT) throw;
  }
  make_dirs(dir, mode);
  return make();
}

// Names in a directory (no "." / ".."); empty when it does not exist.
std::vector<std::string> list_dir(const std::string& dir);

// An exclusive flock on a lock file, held for the guard's lifetime. The
// kernel drops it when the process dies, so a killed holder never leaves a
// lock behind.
class FileLock {
 public:
  enum class Mode { kExclusive, kShared };
  explicit FileLock(const std::string& path, Mode mode = Mode::kExclusive);
  // Converts the lock in place (not atomically: another process may take
  // the exclusive lock in between a downgrade).
  void set_mode(Mode mode);
  FileLock(FileLock&&) = default;
  FileLock& operator=(FileLock&&) = default;
  ~FileLock() = default;  // closing the fd releases the lock

 private:
  Fd fd_;
};

}  // namespace zos::sys
