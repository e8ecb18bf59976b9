// zos-nr-zbus (run as `zos-nr serve`): the network module on zbus. Pops requests from the Redis
// queue network.network@0.0.1, runs them on a bounded pool of workers
// (requests for one NR are serialised by the NR's lock, as for the CNI
// verbs) and pushes each reply onto its ReplyTo list with an expiry.
// SIGTERM/SIGINT: stop taking requests, finish the ones in flight, exit 0.
// A broker that goes away is reconnected with a growing delay.
#pragma once

#include <string>
#include <vector>

#include "plugins/nr/config.h"

namespace zos::nr {

struct ServeOptions {
  std::string broker;    // redis://host:port, unix:///path
  unsigned workers = 4;  // 1..64
  Node node;
};

// `--broker B [--workers N] [--node ID] [--data-dir D] [--key-file F] ...`
// after args[0] (the program name, or `serve`); throws sys::UsageError
// saying what is wrong.
ServeOptions parse_serve(const std::vector<std::string>& args);

// The usage text (--help prints it on stdout, a usage error on stderr).
const char* serve_usage();

// Runs until SIGTERM/SIGINT; the exit code (0 stopped, 2 usage).
int serve(const std::vector<std::string>& args);

}  // namespace zos::nr
