// State files: a program's own JSON records of what it did (zos-nr's
// applied networks and attachments, zos-bootstrap's uplink and public
// namespaces), one rule for a file that does not parse.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/sys/json.h"

namespace zos::sys {

// A state file that is not a JSON object. Read as absent, it could lose
// what it records (a veth to delete, a lease to release, a link to remove),
// so it is never read as absent silently.
struct CorruptState : JsonError {
  CorruptState(std::string path, std::string kept);
  std::string path;  // where it was
  std::string kept;  // where it is now ("" when another reader moved it first)
};

// The JSON object in the state file `path`; nullopt when there is no such
// file. A file that is not a JSON object is moved aside to
// "<path>.corrupt-<unix seconds>" (kept for the operator, outside every
// listing of "*.json"), logged, and thrown as CorruptState; the next read
// finds no file. See docs/decisions.md, "State on disk".
std::optional<nlohmann::json> read_json_state(const std::string& path);

}  // namespace zos::sys
