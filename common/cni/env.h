// The CNI_* environment of one plugin call, parsed and validated.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace zos::cni {

// CNI_ARGS: "K=V;K=V". IgnoreUnknown=1 allows keys the plugin does not know.
class Args {
 public:
  static Args parse(const std::string& raw);  // throws Error(4) on a pair without '='
  std::optional<std::string> get(const std::string& key) const;
  bool ignore_unknown() const;
  // Throws Error(4) naming the first key not in `known` unless IgnoreUnknown.
  void reject_unknown(const std::vector<std::string>& known) const;
  const std::vector<std::pair<std::string, std::string>>& pairs() const { return pairs_; }

 private:
  std::vector<std::pair<std::string, std::string>> pairs_;
};

struct Env {
  std::string command;       // ADD DEL CHECK GC STATUS VERSION
  std::string container_id;  // CNI_CONTAINERID
  std::string netns;         // CNI_NETNS (may be empty on DEL)
  std::string ifname;        // CNI_IFNAME
  std::string path;          // CNI_PATH
  Args args;                 // CNI_ARGS
  std::map<std::string, std::string> all;  // the whole environment, for delegates

  // Reads and validates the variables `command` requires; Error(4) naming
  // what is missing or malformed.
  static Env parse(const std::map<std::string, std::string>& environ);
  std::vector<std::string> path_dirs() const;
};

// The process environment as a map.
std::map<std::string, std::string> environ_map(char** envp);

// Spec grammar checks (CNI-CHECKLIST §Input).
bool valid_container_id(const std::string& s);  // [a-zA-Z0-9][a-zA-Z0-9_.-]*
bool valid_network_name(const std::string& s);  // same grammar
bool valid_ifname(const std::string& s);        // 1-15 chars, not . or .., no / : or space

}  // namespace zos::cni
