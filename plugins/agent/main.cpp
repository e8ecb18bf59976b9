// zos-agent: the node agent of a fleet. Watches <prefix>/networks/ in etcd,
// applies this node's NRs (the code of `zos-nr apply` / `delete`), keeps a
// local copy for CNI ADD, and publishes the node's view under
// <prefix>/nodes/<node>/ (docs/fleet.md). A binary of its own so that the
// static CNI plugin carries no HTTP/TLS client (docs/decisions.md).
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "common/log/log.h"
#include "common/sys/file.h"
#include "common/sys/flags.h"
#include "plugins/agent/agent.h"
#include "plugins/nr/config.h"
#include "zos_version.h"

namespace {

constexpr const char* kUsage =
    "usage: zos-agent --etcd URL[,URL...] --node ID [options]\n"
    "  --prefix P             key prefix (default /zos): watches P/networks/, writes P/nodes/ID/\n"
    "  --data-dir D           the network module's home (default /var/cache/modules/network, or $ZOS_DATA_DIR)\n"
    "  --networks-dir D       local copies <network_id>.json for CNI ADD: the conflist's networksDir\n"
    "                         (default /etc/zos/networks)\n"
    "  --key-dir D            WireGuard private keys made on this node, 0600 (default /var/lib/zos-agent/keys):\n"
    "                         the conflist's wgKeyDir\n"
    "  --key-file F           one private key for every NR (as zos-nr --key-file): no keys are made\n"
    "  --public-namespace NS  the node's public side (default public)\n"
    "  --cacert F --cert F --key F   TLS: CA of the etcd servers, client certificate and key\n"
    "  --user U --password-file F    etcd RBAC user (the JSON gateway takes no certificate CN as user)\n"
    "  --ttl S                lease of the node's view (default 15)\n"
    "  --status-interval S    how often problems and handshakes are read again (default 10)\n"
    "  --help, --version\n"
    "SIGHUP: a new WireGuard key for every NR whose key this node made (published; peers follow)\n"
    "SIGTERM/SIGINT: finish the applies in flight and exit 0\n";

int number(const std::string& flag, const std::string& v, int lo, int hi) {
  if (v.empty() || v.size() > 6 || v.find_first_not_of("0123456789") != std::string::npos || std::stoi(v) < lo ||
      std::stoi(v) > hi)
    throw zos::sys::UsageError(flag + " takes a number from " + std::to_string(lo) + " to " + std::to_string(hi));
  return std::stoi(v);
}

zos::agent::Settings parse(const std::vector<std::string>& a) {
  zos::agent::Settings s;
  auto& node = s.lane.node;
  const char* dd = std::getenv("ZOS_DATA_DIR");
  node.data_dir = dd && *dd ? dd : zos::nr::kDefaultDataDir;
  node.key_dir = "/var/lib/zos-agent/keys";
  s.lane.networks_dir = "/etc/zos/networks";
  std::string password_file;
  auto etcd = [&](const std::string& list) {
    s.etcd.endpoints.clear();  // the last --etcd counts, as for every flag
    for (size_t b = 0; b <= list.size();) {
      size_t e = list.find(',', b);
      if (e == std::string::npos) e = list.size();
      std::string url = list.substr(b, e - b);
      while (!url.empty() && url.back() == '/') url.pop_back();
      if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
        throw zos::sys::UsageError("--etcd takes http(s)://host:port URLs, got \"" + url + "\"");
      s.etcd.endpoints.push_back(url);
      b = e + 1;
    }
  };
  zos::sys::Flags()
      .value("--etcd", etcd)
      .value("--node", &node.id)
      .value("--prefix", &s.prefix)
      .value("--data-dir", &node.data_dir)
      .value("--networks-dir", &s.lane.networks_dir)
      .value("--key-dir", &node.key_dir)
      .value("--key-file", &node.key_file)
      .value("--public-namespace", &node.public_netns)
      .value("--cacert", &s.etcd.cacert)
      .value("--cert", &s.etcd.cert)
      .value("--key", &s.etcd.key)
      .value("--user", &s.etcd.user)
      .value("--password-file", &password_file)
      .value("--ttl", [&](const std::string& v) { s.ttl = number("--ttl", v, 5, 3600); })
      .value("--status-interval",
             [&](const std::string& v) { s.status_interval = std::chrono::seconds(number("--status-interval", v, 1, 3600)); })
      .parse(a, 0, {.prefix = "unknown argument "});
  if (s.etcd.endpoints.empty()) throw zos::sys::UsageError("--etcd is required");
  if (node.id.empty()) throw zos::sys::UsageError("--node is required");
  if (s.prefix.empty() || s.prefix[0] != '/' || s.prefix.back() == '/')
    throw zos::sys::UsageError("--prefix must start with / and not end with one (e.g. /zos)");
  if (s.etcd.cert.empty() != s.etcd.key.empty()) throw zos::sys::UsageError("--cert and --key go together");
  if (!password_file.empty()) {
    auto p = zos::sys::read_file(password_file);
    if (!p) throw zos::sys::UsageError("--password-file " + password_file + " cannot be read");
    s.etcd.password = p->substr(0, p->find_last_not_of("\r\n") + 1);
  }
  if (s.etcd.user.empty() != password_file.empty()) throw zos::sys::UsageError("--user and --password-file go together");
  return s;
}

std::atomic<bool> g_stop{false};

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto put = [](int fd, const std::string& s) { return ::write(fd, s.data(), s.size()) < 0; };
  if (!args.empty() && (args[0] == "--version" || args[0] == "version"))
    return put(1, "zos-agent " ZOS_VERSION " (" ZOS_BUILD ")\n");
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) return put(1, kUsage);
  zos::agent::Settings s;
  try {
    s = parse(args);
  } catch (const zos::sys::UsageError& u) {
    put(2, std::string("zos-agent: ") + u.what() + "\n" + kUsage);
    return 2;
  }
  zos::log::init("zos-agent", true);
  if (!std::getenv("ZOS_LOG_LEVEL")) spdlog::set_level(spdlog::level::info);

  // Only the signal thread takes SIGTERM/SIGINT; every other thread
  // (lanes, publisher) inherits the mask.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  try {
    spdlog::info("zos-agent {} for node {}: etcd {} prefix {}", ZOS_VERSION, s.lane.node.id,
                 s.etcd.endpoints.front(), s.prefix);
    // Never freed: the detached signal thread may still use it while the
    // process exits.
    auto* agent = new zos::agent::Agent(std::move(s));
    std::thread([set, agent] {
      for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0) continue;
        if (sig == SIGHUP) {
          spdlog::info("SIGHUP: new WireGuard keys for the NRs whose key this node made");
          agent->rotate_keys();
          continue;
        }
        spdlog::info("signal {}: finishing the applies in flight", sig);
        g_stop = true;
        return;
      }
    }).detach();
    return agent->run(g_stop);
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
}
