#include "common/net/nft.h"

#include <unistd.h>

#include <climits>
#include <stdexcept>

#include "common/sys/exec.h"
#include "common/sys/netns.h"

namespace zos::nft {

namespace {

sys::ExecResult call(const std::vector<std::string>& args, const std::string& script, int nsfd,
                     const std::string& search) {
  std::vector<std::string> argv{helper_path(search)};
  argv.insert(argv.end(), args.begin(), args.end());
  // The child inherits the namespace of the thread that spawns it.
  if (nsfd >= 0) return sys::in_netns(nsfd, [&] { return sys::exec(argv, {}, script); });
  return sys::exec(argv, {}, script);
}

}  // namespace

std::string helper_path(const std::string& search) {
  if (const char* env = ::getenv("ZOS_NFT"); env && *env) return env;
  char self[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    std::string dir(self, static_cast<size_t>(n));
    dir = dir.substr(0, dir.rfind('/'));
    std::string p = dir + "/zos-nft";
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  size_t pos = 0;
  while (pos < search.size()) {
    size_t end = search.find(':', pos);
    if (end == std::string::npos) end = search.size();
    std::string p = search.substr(pos, end - pos) + "/zos-nft";
    if (::access(p.c_str(), X_OK) == 0) return p;
    pos = end + 1;
  }
  throw std::runtime_error("zos-nft (the nftables helper) is not installed beside this program nor on CNI_PATH");
}

void run(const std::string& script, int nsfd, const std::string& search) {
  auto r = call({}, script, nsfd, search);
  if (r.status != 0) throw std::runtime_error("nftables: " + (r.err.empty() ? "exit " + std::to_string(r.status) : r.err));
}

std::string list_json(const std::string& object, int nsfd, const std::string& search) {
  auto r = call({"--list"}, "list " + object + "\n", nsfd, search);
  return r.status == 0 ? r.out : "";
}

}  // namespace zos::nft
