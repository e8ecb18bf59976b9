#include "common/sys/json_state.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <ctime>

#include "common/log/log.h"
#include "common/sys/file.h"
#include "common/sys/syscall.h"

namespace zos::sys {

namespace {

std::string message(const std::string& path, const std::string& kept) {
  return "state file " + path + " is corrupt (not a JSON object): " +
         (kept.empty() ? std::string("another reader moved it aside") : "moved aside to " + kept) +
         " (kept for the operator); the next run goes on without it";
}

}  // namespace

CorruptState::CorruptState(std::string p, std::string k)
    : JsonError(message(p, k)), path(std::move(p)), kept(std::move(k)) {}

std::optional<nlohmann::json> read_json_state(const std::string& path) {
  struct stat before {};
  const bool seen = ::stat(path.c_str(), &before) == 0;
  auto text = read_file(path);
  if (!text) return std::nullopt;
  nlohmann::json j = parse_json_or_discarded(*text);
  if (!j.is_discarded() && j.is_object()) return j;
  // Only the file that was read is moved aside: one a writer put in its
  // place meanwhile (write_file_atomic renames a new inode in) is good.
  struct stat now {};
  if (seen && ::stat(path.c_str(), &now) == 0 && (now.st_ino != before.st_ino || now.st_dev != before.st_dev))
    return read_json_state(path);
  std::string kept = path + ".corrupt-" + std::to_string(std::time(nullptr));
  if (std::rename(path.c_str(), kept.c_str()) != 0) {
    if (errno != ENOENT) throw_errno("moving the corrupt state file " + path + " aside");
    kept.clear();
  }
  CorruptState e(path, kept);
  spdlog::error("{}", e.what());
  throw e;
}

}  // namespace zos::sys
