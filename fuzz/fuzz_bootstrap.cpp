// zos-bootstrap's inputs: the kernel command line (first line) and the
// config file (the rest), merged as `uplink` does (plugins/bootstrap/config.h).
// Properties: only ConfigError comes out; every interface name accepted
// is one the kernel and the JSON status can carry (1-15 bytes of UTF-8, no
// '/', ':' or blanks), so the status dump never throws.
#include "fuzz_support.h"
#include "plugins/bootstrap/config.h"

using namespace zos;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string in(reinterpret_cast<const char*>(data), size);
  auto nl = in.find('\n');
  std::string cmdline = in.substr(0, nl), file = nl == std::string::npos ? "" : in.substr(nl + 1);
  try {
    auto cl = bootstrap::parse_cmdline(cmdline);
    auto cfg = bootstrap::parse_config(file, "fuzz.json");
    auto up = bootstrap::merge(cfg.uplink, cl);
    nlohmann::json status = {{"allow", up.allow}, {"deny", up.deny}, {"bridge", up.bridge}};
    if (cfg.pub) status["public"] = {cfg.pub->master, cfg.pub->host_link, cfg.pub->ipv4, cfg.pub->ipv6};
    (void)status.dump();  // the strict dump zos-bootstrap --json uses
  } catch (const bootstrap::ConfigError&) {
  } catch (const std::exception& e) {
    fuzz::require(false, "unexpected exception", e.what());
  }
  return 0;
}
