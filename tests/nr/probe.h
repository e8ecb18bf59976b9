// Traffic probes for the isolation tests (Background is
// grid_support.h's): UDP sent from a chosen source
// address (the way a hostile container spoofs one: it adds the address to
// its own interface) to a listener that reports what arrived.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "nr/grid_support.h"

namespace zos::test::nr {

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
