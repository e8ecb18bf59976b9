#include "common/cni/env.h"

#include <cctype>
#include <cstring>

#include "common/cni/error.h"
#include "common/sys/exec.h"
#include "common/sys/json.h"

namespace zos::cni {

Args Args::parse(const std::string& raw) {
  Args a;
  size_t pos = 0;
  while (pos <= raw.size() && !raw.empty()) {
    size_t end = raw.find(';', pos);
    if (end == std::string::npos) end = raw.size();
    std::string pair = raw.substr(pos, end - pos);
    if (!pair.empty()) {
      auto eq = pair.find('=');
      if (eq == std::string::npos || eq == 0)
        throw Error(kInvalidEnv, "CNI_ARGS: \"" + pair + "\" is not KEY=VALUE (pairs are separated by ';')");
      a.pairs_.emplace_back(pair.substr(0, eq), pair.substr(eq + 1));
    }
    pos = end + 1;
  }
  return a;
}

std::optional<std::string> Args::get(const std::string& key) const {
  for (const auto& [k, v] : pairs_)
    if (k == key) return v;
  return std::nullopt;
}

bool Args::ignore_unknown() const {
  auto v = get("IgnoreUnknown");
  if (!v) return false;
  std::string s = *v;
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s == "1" || s == "true";
}

void Args::reject_unknown(const std::vector<std::string>& known) const {
  if (ignore_unknown()) return;
  for (const auto& [k, v] : pairs_) {
    if (k == "IgnoreUnknown") continue;
    bool ok = false;
    for (const auto& kk : known) ok = ok || kk == k;
    if (!ok) throw Error(kInvalidEnv, "CNI_ARGS: unknown key \"" + k + "\" (add IgnoreUnknown=1 to allow unknown keys)");
  }
}

namespace {

bool id_grammar(const std::string& s) {
  if (s.empty() || !std::isalnum(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') return false;
  return true;
}

}  // namespace

bool valid_container_id(const std::string& s) { return id_grammar(s); }
bool valid_network_name(const std::string& s) { return id_grammar(s); }

bool valid_ifname(const std::string& s) {
  // Results name the interface in JSON, so its bytes must be UTF-8.
  if (s.empty() || s.size() > 15 || s == "." || s == ".." || !sys::valid_utf8(s)) return false;
  for (char c : s)
    if (c == '/' || c == ':' || std::isspace(static_cast<unsigned char>(c))) return false;
  return true;
}

Env Env::parse(const std::map<std::string, std::string>& environ) {
  Env e;
  e.all = environ;
  auto get = [&](const char* k) {
    auto it = environ.find(k);
    return it == environ.end() ? std::string() : it->second;
  };
  e.command = get("CNI_COMMAND");
  e.container_id = get("CNI_CONTAINERID");
  e.netns = get("CNI_NETNS");
  e.ifname = get("CNI_IFNAME");
  e.path = get("CNI_PATH");

  const std::string& c = e.command;
  bool attach = c == "ADD" || c == "DEL" || c == "CHECK";
  if (!attach && c != "GC" && c != "STATUS" && c != "VERSION")
    throw Error(kInvalidEnv, "CNI_COMMAND: unknown command \"" + c + "\" (want ADD, DEL, CHECK, GC, STATUS or VERSION)");

  std::vector<std::string> missing;
  if (attach && e.container_id.empty()) missing.push_back("CNI_CONTAINERID");
  if ((c == "ADD" || c == "CHECK") && e.netns.empty()) missing.push_back("CNI_NETNS");
  if (attach && e.ifname.empty()) missing.push_back("CNI_IFNAME");
  if (c != "VERSION" && e.path.empty()) missing.push_back("CNI_PATH");
  if (!missing.empty()) {
    std::string names;
    for (const auto& m : missing) names += (names.empty() ? "" : ", ") + m;
    throw Error(kInvalidEnv, "required environment variables missing: " + names);
  }
  if (attach && !valid_container_id(e.container_id))
    throw Error(kInvalidEnv, "CNI_CONTAINERID \"" + e.container_id +
                                 "\" is invalid: it must match [a-zA-Z0-9][a-zA-Z0-9_.-]*");
  if (attach && !valid_ifname(e.ifname))
    throw Error(kInvalidEnv, "CNI_IFNAME \"" + e.ifname +
                                 "\" is invalid: 1 to 15 bytes of UTF-8, not . or .., no '/', ':' or whitespace");
  // Results carry it as the interface's sandbox, in JSON.
  if (!sys::valid_utf8(e.netns)) throw Error(kInvalidEnv, "CNI_NETNS \"" + e.netns + "\" is not valid UTF-8");
  e.args = Args::parse(get("CNI_ARGS"));
  return e;
}

std::vector<std::string> Env::path_dirs() const { return sys::split_path(path); }

std::map<std::string, std::string> environ_map(char** envp) {
  std::map<std::string, std::string> m;
  for (; envp && *envp; ++envp) {
    const char* eq = std::strchr(*envp, '=');
    if (eq) m.emplace(std::string(*envp, static_cast<size_t>(eq - *envp)), std::string(eq + 1));
  }
  return m;
}

}  // namespace zos::cni
