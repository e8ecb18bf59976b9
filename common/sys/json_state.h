// State files: a program's own JSON records of what it did (zos-nr's
// applied networks and attachments, zos-bootstrap's uplink and public
// namespaces), one rule for a file that does not parse.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/sys/file.h"
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

// A folder of JSON state files, one record per file name, each read with
// read_json_state()'s rule and written whole (write_file_atomic). The
// folder, and its missing parents, are made on the first write into it
// (sys::in_dir: the usual write, into a folder that is there, costs no
// mkdir and no stat). zos-nr's applied networks and attachments, and
// zos-bootstrap's records, are such folders.
class JsonStateDir {
 public:
  // Files are written with `file_mode`, missing folders made with `dir_mode`.
  explicit JsonStateDir(std::string dir, unsigned file_mode = 0600, unsigned dir_mode = 0700);
  const std::string& dir() const { return dir_; }
  std::string path(std::string_view name) const;

  // read_json_state() of the record `name`: nullopt when absent, a corrupt
  // one moved aside and thrown as CorruptState.
  std::optional<nlohmann::json> read(std::string_view name) const;
  std::optional<nlohmann::json> read(std::string_view name, std::string_view member, const nlohmann::json& expect,
                                     bool* taken = nullptr) const;

  // The names X of the files "<prefix>X<suffix>" here (X not empty); a
  // writer's temporary file ("….tmp-<pid>") and a corrupt file's kept copy
  // ("….corrupt-<time>") end otherwise, so a suffix leaves them out.
  std::vector<std::string> names(std::string_view prefix, std::string_view suffix) const;
  // Every record "X<suffix>" as (X, record). A listing reports what is
  // there: a corrupt one is moved aside and logged (read_json_state) and
  // left out, and the others are still listed.
  std::vector<std::pair<std::string, nlohmann::json>> records(std::string_view suffix) const;

  // Writes the record (its dump(indent), -1 for one line, and a newline).
  void write(std::string_view name, const nlohmann::json& j, Sync sync = Sync::kDurable, int indent = 2) const;
  // write() unless the file holds exactly that text already (a re-run that
  // changes nothing writes nothing). True when it wrote.
  bool write_if_changed(std::string_view name, const nlohmann::json& j, Sync sync = Sync::kDurable,
                        int indent = 2) const;
  // False when there was no such record.
  bool remove(std::string_view name) const;

 private:
  void write_text(const std::string& path, const std::string& text, Sync sync) const;
  std::string dir_;
  unsigned file_mode_, dir_mode_;
};

}  // namespace zos::sys
