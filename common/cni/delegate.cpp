#include "common/cni/delegate.h"

#include <sys/stat.h>
#include <unistd.h>

#include "common/log/log.h"
#include "common/sys/exec.h"
#include "common/sys/json.h"

namespace zos::cni {

using nlohmann::json;

std::string find_plugin(const std::string& type, const Env& env) {
  if (type.empty() || type.find('/') != std::string::npos)
    throw Error(kInvalidConfig, "plugin type \"" + type + "\" must be a plain file name");
  for (const auto& dir : env.path_dirs()) {
    std::string p = dir + "/" + type;
    struct stat st;  // a folder of that name is not the plugin
    if (::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0) return p;
  }
  throw Error(kInvalidConfig, "plugin \"" + type + "\" not found in CNI_PATH (" + env.path + ")");
}

std::optional<Result> delegate(const std::string& type, const std::string& command, const Request& req,
                               const std::string* stdin_conf) {
  std::string path = find_plugin(type, req.env);
  auto env = req.env.all;
  env["CNI_COMMAND"] = command;
  spdlog::debug("delegate {} {}", command, path);
  auto r = sys::exec({path}, env, stdin_conf ? *stdin_conf : req.raw, {.capture_stderr = false});
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

DelegatedAdd::DelegatedAdd(std::string type, const Request& req, std::string stdin_conf)
    : type_(std::move(type)), req_(req), conf_(std::move(stdin_conf)) {
  result_ = *delegate(type_, "ADD", req_, &conf_);
  armed_ = true;
}

DelegatedAdd::~DelegatedAdd() {
  if (!armed_) return;
  try {
    delegate(type_, "DEL", req_, &conf_);
  } catch (const std::exception& e) {
    spdlog::error("undoing {} ADD failed: {}", type_, e.what());
  }
}

}  // namespace zos::cni
