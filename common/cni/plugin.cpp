#include "common/cni/plugin.h"

#include <unistd.h>

#include <istream>
#include <iterator>
#include <ostream>

#include "common/cni/version.h"
#include "common/log/log.h"
#include "common/sys/json.h"
#include "common/sys/syscall.h"

namespace zos::cni {

using nlohmann::json;

const json* Request::runtime_config(const char* key) const {
  auto rc = conf.find("runtimeConfig");
  if (rc == conf.end() || !rc->is_object()) return nullptr;
  auto it = rc->find(key);
  return it == rc->end() || it->is_null() ? nullptr : &*it;
}

const json* Request::args_cni(const char* key) const {
  auto a = conf.find("args");
  if (a == conf.end() || !a->is_object()) return nullptr;
  auto c = a->find("cni");
  if (c == a->end() || !c->is_object()) return nullptr;
  auto it = c->find(key);
  return it == c->end() || it->is_null() ? nullptr : &*it;
}

std::vector<Attachment> valid_attachments(const json& conf) {
  std::vector<Attachment> out;
  for (const char* key : {"cni.dev/valid-attachments", "cni.dev/attachments"}) {
    auto it = conf.find(key);
    if (it == conf.end()) continue;
    if (!it->is_array()) throw Error(kInvalidConfig, std::string(key) + " must be a list of {containerID, ifname}");
    for (const auto& a : *it) {
      if (!a.is_object() || !a.value("containerID", json()).is_string() || !a.value("ifname", json()).is_string())
        throw Error(kInvalidConfig, std::string(key) + " entries need string containerID and ifname");
      out.push_back({a["containerID"].get<std::string>(), a["ifname"].get<std::string>()});
    }
    return out;
  }
  return out;
}

json error_json(const Error& e, const std::string& version) {
  json j = {{"cniVersion", version.empty() ? std::string(kCurrentVersion) : version},
            {"code", e.code()},
            {"msg", e.msg()}};
  if (!e.details().empty()) j["details"] = e.details();
  return j;
}

namespace {

Request read_request(const Env& env, const std::string& in) {
  Request r;
  r.env = env;
  r.raw = in;
  try {
    r.conf = sys::parse_json(r.raw);
  } catch (const sys::JsonError& e) {
    throw Error(kDecodeFailure, "the network config on stdin is not valid JSON", e.what());
  }
  if (!r.conf.is_object()) throw Error(kDecodeFailure, "the network config on stdin must be a JSON object");
  auto v = r.conf.find("cniVersion");
  if (v != r.conf.end() && !v->is_string()) throw Error(kDecodeFailure, "cniVersion must be a string");
  // An absent cniVersion means the oldest spec.
  r.version = v == r.conf.end() ? "0.1.0" : v->get<std::string>();
  return r;
}

void check_request(const std::string& command, Request& r) {
  if (!is_supported(r.version))
    throw Error(kIncompatibleVersion, "cniVersion \"" + r.version + "\" is not supported (supported: 0.1.0 to 1.1.0)");
  if (command == "CHECK" && !at_least(r.version, "0.4.0"))
    throw Error(kIncompatibleVersion, "CHECK needs cniVersion 0.4.0 or later (config says " + r.version + ")");
  if ((command == "GC" || command == "STATUS") && !at_least(r.version, "1.1.0"))
    throw Error(kIncompatibleVersion, command + " needs cniVersion 1.1.0 or later (config says " + r.version + ")");
  auto name = r.conf.find("name");
  if (command != "VERSION" && (name == r.conf.end() || !name->is_string() || !valid_network_name(*name)))
    throw Error(kInvalidConfig, "network config: \"name\" must match [a-zA-Z0-9][a-zA-Z0-9_.-]*");
  auto prev = r.conf.find("prevResult");
  if (prev != r.conf.end() && !prev->is_null()) r.prev = Result::parse(*prev, r.version);
  if (command == "CHECK" && !r.prev)
    throw Error(kInvalidConfig, "CHECK needs prevResult in the network config");
}

void log_config(const Request& r) {
  auto get = [&](const char* k) {
    auto it = r.conf.find(k);
    return it != r.conf.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  log::configure({get("logLevel"), get("logFile")});
}

}  // namespace

int run(const Handlers& h, const std::map<std::string, std::string>& environ, const std::string& in,
        std::string& out, std::string& err) {
  auto cmd = environ.find("CNI_COMMAND");
  if (cmd == environ.end() || cmd->second.empty()) {
    err += h.about + "\n";
    return 0;
  }
  std::string version;
  try {
    Env env = Env::parse(environ);
    if (env.command == "VERSION") {
      // VERSION's stdin carries only {"cniVersion"}; answer whatever it says.
      out += json{{"cniVersion", std::string(kCurrentVersion)}, {"supportedVersions", supported_versions()}}.dump() + "\n";
      return 0;
    }
    Request r = read_request(env, in);
    version = r.version;
    log_config(r);
    check_request(env.command, r);
    spdlog::debug("{} container={} ifname={} netns={}", env.command, env.container_id, env.ifname, env.netns);
    const auto& c = env.command;
    auto need = [&](const auto& f) -> const auto& {
      if (!f) throw Error(kInvalidEnv, "this plugin does not implement " + c);
      return f;
    };
    if (c == "ADD") {
      Result res = need(h.add)(r);
      out += sys::dump_json(res.to_json(r.version)) + "\n";
    } else if (c == "DEL") {
      need(h.del)(r);
    } else if (c == "CHECK") {
      need(h.check)(r);
    } else if (c == "GC") {
      need(h.gc)(r);
    } else if (c == "STATUS") {
      need(h.status)(r);
    }
    return 0;
  } catch (const Error& e) {
    spdlog::error("{}: code {}: {}", cmd->second, e.code(), e.msg());
    out += sys::dump_json(error_json(e, version)) + "\n";
  } catch (const sys::SysError& e) {
    spdlog::error("{}: {}", cmd->second, e.what());
    out += sys::dump_json(error_json(Error(kIoFailure, e.what()), version)) + "\n";
  } catch (const std::exception& e) {
    spdlog::error("{}: internal error: {}", cmd->second, e.what());
    out += sys::dump_json(error_json(Error(kInternal, std::string("internal error: ") + e.what()), version)) + "\n";
  }
  return 1;
}

int run(const Handlers& h, const std::map<std::string, std::string>& environ, std::istream& in,
        std::ostream& out, std::ostream& err) {
  std::string input((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string o, e;
  int rc = run(h, environ, input, o, e);
  out << o;
  err << e;
  return rc;
}

namespace {

std::string read_fd(int fd) {
  std::string s;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    s.append(buf, static_cast<size_t>(n));
  }
  return s;
}

void write_fd(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

}  // namespace

int run_process(const Handlers& h, char** envp) {
  auto env = environ_map(envp);
  auto cmd = env.find("CNI_COMMAND");
  // The "about" line needs no stdin; never wait on a terminal.
  bool needs_stdin = cmd != env.end() && !cmd->second.empty() && !::isatty(0);
  std::string in = needs_stdin ? read_fd(0) : std::string();
  std::string out, err;
  int rc = run(h, env, in, out, err);
  write_fd(1, out);
  write_fd(2, err);
  return rc;
}

}  // namespace zos::cni
