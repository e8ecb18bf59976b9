// The one logger: set up once per process, to stderr and optionally a file,
// never to stdout (stdout belongs to the CNI protocol).
//
// Use spdlog's free functions (spdlog::info(...)) after init().
#pragma once

#include <spdlog/spdlog.h>
#include <string>

namespace zos::log {

struct Options {
  std::string level;  // trace debug info warn error critical off; "" keeps the current one
  std::string file;   // append here too; "" for stderr only
};

// Installs the process's logger: stderr at `warn` (or $ZOS_LOG_LEVEL),
// to $ZOS_LOG_FILE too when set. Call first thing in main(). `threaded`
// makes the sinks safe to share between threads (zos-nr serve).
void init(const std::string& program, bool threaded = false);

// Re-configures from a plugin's config (logLevel / logFile). A file that
// cannot be opened is reported on stderr and skipped, never fatal.
void configure(const Options& opts);

}  // namespace zos::log
