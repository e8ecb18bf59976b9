#include "common/cni/delegate.h"

#include "common/log/log.h"
#include "common/sys/exec.h"
#include "common/sys/json.h"

namespace zos::cni {

using nlohmann::json;

std::string find_plugin(const std::string& type, const Env& env) {
  if (type.empty() || type.find('/') != std::string::npos)
    throw Error(kInvalidConfig, "plugin type \"" + type + "\" must be a plain file name");
  if (auto p = sys::find_program(type, env.path_dirs())) return *p;
  throw Error(kInvalidConfig, "plugin \"" + type + "\" not found in CNI_PATH (" + env.path + ")");
}

std::optional<Result> delegate(const std::string& type, const std::string& command, const Request& req,
                               const std::string* stdin_conf) {
  std::string path = find_plugin(type, req.env);
  auto env = req.env.all;
  env["CNI_COMMAND"] = command;
  spdlog::debug("delegate {} {}", command, path);
  auto r = sys::exec({path}, env, stdin_conf ? *stdin_conf : req.raw, {.stderr_to = sys::ExecOptions::Stderr::kInherit});
  if (r.status != 0) {
    json e = sys::parse_json_or_discarded(r.out);
    if (e.is_object() && e.contains("code") && e["code"].is_number_integer())
      throw Error(e["code"].get<int>(), e.value("msg", type + " failed"), e.value("details", ""));
    throw Error(kInternal, type + " " + command + " failed with exit status " + std::to_string(r.status),
                r.out.substr(0, 512));
  }
  if (command != "ADD") return std::nullopt;
  json j = sys::parse_json_or_discarded(r.out);
  if (j.is_discarded()) throw Error(kDecodeFailure, type + " ADD printed a result that is not JSON", r.out.substr(0, 512));
  return Result::parse(j, req.version);
}

}  // namespace zos::cni
