// The zos-bootstrap command line. Exit codes: 0 done (status: as recorded),
// 1 failed (uplink: no NIC got a lease), 2 bad usage or input, 3 status
// found a difference.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace zos::bootstrap {

int cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// True when the calling thread is in the network namespace of PID 1 (the
// machine's own), where `uplink` would take over the real NICs.
bool in_host_netns();

}  // namespace zos::bootstrap
