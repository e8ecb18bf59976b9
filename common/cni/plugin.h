// The CNI verb dispatcher: reads the environment and stdin, validates them,
// calls the plugin's handler and writes the result or the error on stdout.
// Environment and streams are passed in, so it is tested without exec.
#pragma once

#include <functional>
#include <iosfwd>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/cni/env.h"
#include "common/cni/error.h"
#include "common/cni/result.h"

namespace zos::cni {

struct Request {
  Env env;
  nlohmann::json conf;          // the whole network config from stdin
  std::string raw;              // stdin as received (what delegates get)
  std::string version;          // conf's cniVersion
  std::optional<Result> prev;   // prevResult, read from conf's version

  // runtimeConfig.<key> / args.cni.<key> when present (nullptr otherwise).
  const nlohmann::json* runtime_config(const char* key) const;
  const nlohmann::json* args_cni(const char* key) const;
};

// One {containerID, ifname} pair GC must keep.
struct Attachment {
  std::string container_id;
  std::string ifname;
  bool operator==(const Attachment&) const = default;
};
// cni.dev/valid-attachments (or the legacy cni.dev/attachments) of a GC call.
std::vector<Attachment> valid_attachments(const nlohmann::json& conf);

struct Handlers {
  std::function<Result(const Request&)> add;
  std::function<void(const Request&)> del;
  std::function<void(const Request&)> check;
  std::function<void(const Request&)> gc;
  std::function<void(const Request&)> status;
  std::string about;  // printed on stderr when there is no CNI_COMMAND
};

// Runs one CNI call: `in` is stdin, `out`/`err` receive stdout/stderr.
// Returns the process exit code (0 or 1).
int run(const Handlers& h, const std::map<std::string, std::string>& environ, const std::string& in,
        std::string& out, std::string& err);
// The same over streams (for tests and tools; the plugins avoid iostreams,
// whose static initialisation costs a static binary ~0.8 MiB of RSS).
int run(const Handlers& h, const std::map<std::string, std::string>& environ, std::istream& in,
        std::ostream& out, std::ostream& err);
// A plugin's main(): reads fd 0, runs, writes fds 1 and 2.
int run_process(const Handlers& h, char** envp);

// Writes {cniVersion, code, msg, details}.
nlohmann::json error_json(const Error& e, const std::string& version);

}  // namespace zos::cni
