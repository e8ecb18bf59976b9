// Traffic probes for the isolation tests: background commands ended by pid,
// extra namespaces removed at the end, and UDP sent from a chosen source
// address (the way a hostile container spoofs one: it adds the address to
// its own interface) to a listener that reports what arrived.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace zos::test::nr {

// A shell command in the background, ended (by its pid) with the scope.
class Background {
 public:
  explicit Background(const std::string& cmd);
  ~Background() { stop(); }
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;
  // Waits for it to end by itself; its exit status.
  int wait();
  void stop();

 private:
  pid_t pid_ = -1;
};

// Namespaces that are not nodes: removed at the end, whatever happens.
struct Extra {
  std::vector<std::string> names;
  ~Extra();
};

// One UDP datagram per target: from namespace `from` (a /run/netns path),
// source `src` ("" = the kernel's choice; an address not on the container
// is added to its `dev` for the send, as /32 or /128, no DAD), to `dst`:`port`,
// payload `tag`, from port `sport`. Sent three times, 0.1 s apart.
struct Udp {
  std::string from, src, dst, tag;
  int port = 9999;
  int sport = 0;  // 0: any
};

// Listens on UDP `port` (IPv4 and IPv6) in namespace `at` while `sends` are
// made, for up to ~2 s; returns the tags that arrived (each once).
std::vector<std::string> udp_arrivals(const std::string& at, int port, const std::vector<Udp>& sends,
                                      const std::string& dev = "eth0");

// True when `tag` is among `got`.
bool arrived(const std::vector<std::string>& got, const std::string& tag);

}  // namespace zos::test::nr
