// CNI_ARGS and the CNI_* environment.
// Input: "KEY=VALUE" lines (the environment), the first one CNI_ARGS raw.
// Properties: Args::parse / Env::parse either succeed or raise cni::Error(4);
// every parsed pair has a non-empty key and is found by get(); a parsed Env's
// container id and ifname satisfy the spec grammar.
#include <cstring>
#include <map>

#include "common/cni/env.h"
#include "fuzz_support.h"

using namespace zos;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string in(reinterpret_cast<const char*>(data), size);
  auto nl = in.find('\n');
  std::string raw_args = in.substr(0, nl);

  try {
    auto a = cni::Args::parse(raw_args);
    for (const auto& [k, v] : a.pairs()) {
      fuzz::require(!k.empty(), "CNI_ARGS pair with an empty key", raw_args);
      fuzz::require(a.get(k).has_value(), "CNI_ARGS get() misses a parsed key", raw_args);
    }
    a.ignore_unknown();
    fuzz::expect_only_cni_errors([&] { a.reject_unknown({"IP", "MAC", "ZOS_NETWORK"}); });
  } catch (const cni::Error& e) {
    fuzz::require(e.code() == cni::kInvalidEnv, "CNI_ARGS error is not code 4", e.msg());
  }

  // The rest: an environment, as environ_map() reads it from envp.
  std::vector<std::string> lines;
  std::map<std::string, std::string> env{{"CNI_ARGS", raw_args}};
  if (nl != std::string::npos) {
    size_t pos = nl + 1;
    while (pos <= in.size()) {
      auto end = in.find('\n', pos);
      if (end == std::string::npos) end = in.size();
      lines.push_back(in.substr(pos, end - pos));
      pos = end + 1;
    }
  }
  std::vector<char*> envp;
  for (auto& l : lines) envp.push_back(l.data());  // may hold NULs: strchr stops there, as in real envp
  envp.push_back(nullptr);
  for (auto& [k, v] : cni::environ_map(envp.data())) env[k] = v;

  try {
    auto e = cni::Env::parse(env);
    if (e.command == "ADD" || e.command == "DEL" || e.command == "CHECK") {
      fuzz::require(cni::valid_container_id(e.container_id), "Env accepted a bad container id", e.container_id);
      fuzz::require(cni::valid_ifname(e.ifname), "Env accepted a bad ifname", e.ifname);
    }
    e.path_dirs();
  } catch (const cni::Error& e) {
    fuzz::require(e.code() == cni::kInvalidEnv, "environment error is not code 4", e.msg());
  } catch (const std::exception& e) {
    fuzz::require(false, "unexpected exception", e.what());
  }
  return 0;
}
