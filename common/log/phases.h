// Wall time of the steps of one operation, logged at debug level in one
// line ("build net-x: namespace 2.91 ms, links 6.10 ms, ...") that
// bench/nr_bench.py reads (ZOS_LOG_LEVEL=debug): where a cold ADD's time
// goes, without strace.
#pragma once

#include <chrono>
#include <string>
#include <utility>

#include <spdlog/spdlog.h>

namespace zos::log {

class Phases {
 public:
  explicit Phases(std::string what) : what_(std::move(what)) {}
  Phases(const Phases&) = delete;
  Phases& operator=(const Phases&) = delete;
  ~Phases() {
    if (!line_.empty()) spdlog::debug("phases {}:{}", what_, line_);
  }

  // Ends the step called `name`, begun at the previous lap (or construction).
  void lap(const char* name) {
    if (!spdlog::should_log(spdlog::level::debug)) return;
    auto now = Clock::now();
    line_ += fmt::format(" {} {:.2f} ms", name, std::chrono::duration<double, std::milli>(now - last_).count());
    last_ = now;
  }

 private:
  using Clock = std::chrono::steady_clock;
  std::string what_, line_;
  Clock::time_point last_ = Clock::now();
};

}  // namespace zos::log
