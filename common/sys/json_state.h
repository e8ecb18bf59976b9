// State files: a program's own JSON records of what it did (zos-nr's
// applied networks and attachments, zos-bootstrap's uplink and public
// namespaces), one rule for a file that does not parse.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

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

// read_json_state() of a file whose top-level member `member` is likely
// `expect` (a record written with dump(2) and read back unchanged): when
// that member's text is exactly what dump(2) writes for `expect`, only the
// rest of the file is parsed and the member is `expect`, the same value a
// full parse gives; any other text is parsed in full. With `taken`, the
// member is left null instead and *taken set (the caller has `expect`).
std::optional<nlohmann::json> read_json_state(const std::string& path, std::string_view member,
                                              const nlohmann::json& expect, bool* taken = nullptr);

}  // namespace zos::sys
