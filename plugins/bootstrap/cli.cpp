#include "plugins/bootstrap/cli.h"

#include <fcntl.h>

#include <cstdlib>
#include <optional>

#include "common/log/log.h"
#include "common/net/nl.h"
#include "common/sys/file.h"
#include "common/sys/flags.h"
#include "common/sys/netns.h"
#include "common/sys/syscall.h"
#include "plugins/bootstrap/public.h"
#include "plugins/bootstrap/status.h"
#include "plugins/bootstrap/uplink.h"

namespace zos::bootstrap {

namespace {

constexpr const char* kUsage =
    "usage: zos-bootstrap uplink [--config F] [--cmdline F] [--data-dir D] [--zinit-dir D] [--no-zinit]\n"
    "                            [--host-netns] [--json]\n"
    "       zos-bootstrap public [--config F] [--name NETNS] [--data-dir D] [--delete] [--json]\n"
    "       zos-bootstrap status [--data-dir D] [--zinit-dir D] [--json]\n"
    "Works on the network namespace it runs in. Defaults: --config /etc/zos/bootstrap.json,\n"
    "--cmdline /proc/cmdline, --data-dir /var/cache/modules/network (or $ZOS_DATA_DIR),\n"
    "--zinit-dir /etc/zinit, --name public. See docs/bootstrap.md.\n";

struct Args {
  std::string cmd;
  std::string config = kDefaultConfig, cmdline = kDefaultCmdline, data_dir = kDefaultDataDir,
              zinit_dir = kDefaultZinitDir, name = "public";
  bool json = false, del = false, no_zinit = false, host_netns = false;
};

Args parse(const std::vector<std::string>& a) {
  if (a.empty()) throw sys::UsageError("no command");
  Args r;
  r.cmd = a[0];
  if (r.cmd != "uplink" && r.cmd != "public" && r.cmd != "status") throw sys::UsageError("unknown command " + r.cmd);
  if (const char* dd = std::getenv("ZOS_DATA_DIR"); dd && *dd) r.data_dir = dd;
  sys::Flags f;
  f.on("--json", &r.json).value("--config", &r.config).value("--data-dir", &r.data_dir);
  if (r.cmd != "public") f.value("--zinit-dir", &r.zinit_dir);
  if (r.cmd == "uplink")
    f.value("--cmdline", &r.cmdline).on("--no-zinit", &r.no_zinit).on("--host-netns", &r.host_netns);
  if (r.cmd == "public") f.value("--name", &r.name).on("--delete", &r.del);
  f.parse(a, 1, {.prefix = "unknown argument ", .suffix = " for " + r.cmd});
  if (r.name.empty() || r.name.find('/') != std::string::npos || r.name == "." || r.name == "..")
    throw sys::UsageError("--name must be a namespace name");
  return r;
}

int run(const Args& a, std::ostream& out) {
  if (a.cmd == "uplink") {
    if (in_host_netns() && !a.host_netns)
      throw ConfigError(
          "refusing to run uplink in the machine's own network namespace (that of PID 1): it would take "
          "over its NICs. Run it inside a node namespace, or pass --host-netns on a real node");
    UplinkOptions o{a.config, a.cmdline, a.data_dir, a.zinit_dir, !a.no_zinit};
    try {
      auto r = uplink(o);
      out << (a.json ? r.to_json().dump(2) + "\n" : r.human());
      return 0;
    } catch (const NoUplink& e) {
      if (a.json) out << e.to_json().dump(2) << "\n";
      throw;
    }
  }
  if (a.cmd == "public") {
    PublicOptions o{a.config, a.data_dir, a.name};
    if (a.del) {
      bool any = delete_public(o);
      if (a.json) out << nlohmann::json{{"netns", a.name}, {"deleted", any}}.dump(2) << "\n";
      else out << "public: namespace " << a.name << (any ? " deleted" : " was not there") << "\n";
      return 0;
    }
    auto r = apply_public(o);
    out << (a.json ? r.to_json().dump(2) + "\n" : r.human());
    return 0;
  }
  auto st = status({a.data_dir, a.zinit_dir});
  out << (a.json ? st.to_json().dump(2) + "\n" : st.human());
  return st.ok() ? 0 : 3;
}

}  // namespace

bool in_host_netns() {
  // PID 1's namespace; where that is hidden from us (no ptrace access), the
  // kernel's own (kthreadd, PID 2, when our PID namespace shows it). When
  // neither can be read we cannot tell, and say "host" to stay safe.
  auto same = [](const std::string& path) -> std::optional<bool> {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    sys::Fd owned(fd);
    return sys::netns_id(owned.get()) == sys::current_netns_id();
  };
  if (auto r = same("/proc/1/ns/net")) return *r;
  auto comm = sys::read_file("/proc/2/comm");
  if (comm && comm->rfind("kthreadd", 0) == 0)
    if (auto r = same("/proc/2/ns/net")) return *r;
  return true;
}

int cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h" || args[0] == "help")) {
    out << kUsage;
    return 0;
  }
  Args a;
  try {
    a = parse(args);
  } catch (const sys::UsageError& e) {
    err << "zos-bootstrap: " << e.what() << "\n" << kUsage;
    return 2;
  }
  try {
    return run(a, out);
  } catch (const ConfigError& e) {
    err << "zos-bootstrap " << a.cmd << ": " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    err << "zos-bootstrap " << a.cmd << ": " << e.what() << "\n";
    return 1;
  }
}

}  // namespace zos::bootstrap
