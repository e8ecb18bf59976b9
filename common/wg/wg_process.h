// Detached helper processes (wireguard-go) tracked by pid and start time, so
// a recycled pid is never mistaken for ours and only our process is signalled.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace zos::wg::proc {

struct Tracked {
  pid_t pid = 0;
  uint64_t start_time = 0;  // clock ticks since boot, field 22 of /proc/<pid>/stat
  bool operator==(const Tracked&) const = default;
};

// Start time of a running process; nullopt when it is gone or a zombie.
std::optional<uint64_t> start_time(pid_t pid);

// True while the very process `t` runs (not a zombie, not a recycled pid).
bool alive(const Tracked& t);

// Starts `path` with `args` (argv[1..]) and exactly `env`, detached: its own
// session, reparented away from us (double fork), stdin on /dev/null, stdout
// and stderr appended to `log_path`, no other inherited descriptors, default
// signal mask. It starts in the calling thread's network namespace. Throws
// SysError when it cannot be started.
Tracked spawn_detached(const std::string& path, const std::vector<std::string>& args,
                       const std::vector<std::string>& env, const std::string& log_path);

// SIGTERM, then SIGKILL after `grace`; waits until it is gone (or a zombie).
// False when it was not running.
bool stop(const Tracked& t, std::chrono::milliseconds grace = std::chrono::milliseconds(3000));

// "<pid> <start_time>\n" files.
std::string format_pid_file(const Tracked& t);
std::optional<Tracked> parse_pid_file(const std::string& text);

}  // namespace zos::wg::proc
