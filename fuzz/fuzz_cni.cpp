// One CNI call as a runtime makes it: the environment and stdin as one
// input, through the dispatcher (common/cni/plugin.h) to the bytes it
// prints. Input: "KEY=VALUE" lines, an empty line, then stdin.
// The handlers run zos-nr's own readers (config, the inline network
// object, validation) and stop before anything touches the node: no
// files are read (networkFile, wgPrivateKeyFile) and logs go nowhere.
// Properties: run() returns 0 or 1 and never throws; with a CNI_COMMAND,
// stdout is one JSON document, and on failure an object with an integer
// code and a string msg (the strict parser also proves it is UTF-8).
#include <cstdlib>
#include <map>

#include "common/cni/plugin.h"
#include "common/log/log.h"
#include "fuzz_support.h"
#include "plugins/nr/config.h"
#include "plugins/nr/resource.h"
#include "plugins/nr/validate.h"

using namespace zos;
using nlohmann::json;

namespace {

[[noreturn]] void readers(const cni::Request& req) {
  nr::Config cfg = nr::parse_config(req);
  if (cfg.source.inline_object) {
    auto net = model::load_network(cfg.source);
    auto r = nr::resolve(net, cfg.node.id);
    cfg.node.key_file.clear();  // never open a path from the input
    nr::validate(cfg.node, net, r.nr);
  }
  throw cni::Error(cni::kTryAgainLater, "fuzz: the node is not touched");
}

const cni::Handlers& handlers() {
  static const cni::Handlers h{[](const cni::Request& r) -> cni::Result { readers(r); },
                               [](const cni::Request& r) { readers(r); },
                               [](const cni::Request& r) { readers(r); },
                               [](const cni::Request& r) { readers(r); },
                               [](const cni::Request& r) { readers(r); },
                               "fuzz"};
  return h;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // The environment wins over the config's logFile/logLevel.
  ::setenv("ZOS_LOG_FILE", "/dev/null", 1);
  ::setenv("ZOS_LOG_LEVEL", "off", 1);
  log::init("zos-nr");  // as the plugin's main() does
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string in(reinterpret_cast<const char*>(data), size);
  auto split = in.find("\n\n");
  std::string env_text = in.substr(0, split), stdin_text = split == std::string::npos ? "" : in.substr(split + 2);
  std::map<std::string, std::string> env;
  size_t pos = 0;
  while (pos < env_text.size()) {
    auto end = env_text.find('\n', pos);
    if (end == std::string::npos) end = env_text.size();
    std::string line = env_text.substr(pos, end - pos);
    pos = end + 1;
    auto eq = line.find('=');
    if (eq != std::string::npos && eq > 0) env[line.substr(0, eq)] = line.substr(eq + 1);
  }
  std::string out, err;
  int rc = 0;
  try {
    rc = cni::run(handlers(), env, stdin_text, out, err);
  } catch (const std::exception& e) {
    fuzz::require(false, "cni::run threw", e.what());
  }
  fuzz::require(rc == 0 || rc == 1, "exit status other than 0 or 1", std::to_string(rc));
  auto cmd = env.find("CNI_COMMAND");
  if (cmd == env.end() || cmd->second.empty()) {
    fuzz::require(out.empty(), "stdout written without CNI_COMMAND", out);
    return 0;
  }
  json j = json::parse(out, nullptr, false);
  fuzz::require(!j.is_discarded(), "stdout is not one JSON document (or not UTF-8)", out);
  if (rc == 1)
    fuzz::require(j.is_object() && j.value("code", json()).is_number_integer() && j.value("msg", json()).is_string(),
                  "a failure without {code, msg} on stdout", out);
  return 0;
}
