#include "common/net/nft.h"

#include <unistd.h>

#include <climits>
#include <stdexcept>

#include "common/sys/exec.h"
#include "common/sys/netns.h"

namespace zos::nft {

std::string helper_path(const std::string& search) {
  if (const char* env = ::getenv("ZOS_NFT"); env && *env) return env;
  char self[PATH_MAX];
  std::vector<std::string> dirs;
  if (ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1); n > 0) {
    std::string me(self, static_cast<size_t>(n));
    dirs.push_back(me.substr(0, me.rfind('/')));
  }
  for (auto& d : sys::split_path(search)) dirs.push_back(std::move(d));
  if (auto p = sys::find_program("zos-nft", dirs)) return *p;
  throw std::runtime_error("zos-nft (the nftables helper) is not installed beside this program nor on CNI_PATH");
}

void run(const std::string& script, int nsfd, const std::string& search) {
  const std::vector<std::string> argv{helper_path(search)};
  // The child inherits the namespace of the thread that spawns it.
  auto r = nsfd >= 0 ? sys::in_netns(nsfd, [&] { return sys::exec(argv, {}, script); }) : sys::exec(argv, {}, script);
  if (r.status != 0) throw std::runtime_error("nftables: " + (r.err.empty() ? "exit " + std::to_string(r.status) : r.err));
}

}  // namespace zos::nft
