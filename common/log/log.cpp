#include "common/log/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <cstdlib>

#include "common/sys/json.h"

namespace zos::log {

namespace {

std::string g_program = "zos";
std::string g_file;
bool g_threaded = false;

// The message (%v) of every line, whoever logs it: what a tenant sent (a
// method name, a network id) can end up in a message, so a newline in it
// must not start a line of its own.
class PrintableMessage : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    std::string_view v(msg.payload.data(), msg.payload.size());
    std::string p = sys::printable(v);
    dest.append(p.data(), p.data() + p.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<PrintableMessage>(); }
};

// The line format, compiled on the first line a logger writes: most calls
// of a plugin log nothing, and compiling the pattern was ~1 % of a warm
// ADD's instructions.
class LazyFormatter : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    if (!f_) {
      auto f = std::make_unique<spdlog::pattern_formatter>();
      f->add_flag<PrintableMessage>('v').set_pattern("%Y-%m-%dT%H:%M:%S.%e %n[%P] %l: %v");
      f_ = std::move(f);
    }
    f_->format(msg, dest);
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<LazyFormatter>(); }

 private:
  std::unique_ptr<spdlog::formatter> f_;
};

spdlog::level::level_enum parse_level(const std::string& s, spdlog::level::level_enum fallback) {
  if (s.empty()) return fallback;
  auto l = spdlog::level::from_str(s);
  // from_str answers "off" for unknown words; only take "off" when asked.
  return (l == spdlog::level::off && s != "off") ? fallback : l;
}

void install(spdlog::level::level_enum level, const std::string& file) {
  std::vector<spdlog::sink_ptr> sinks;
  if (g_threaded) sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  else sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_st>());
  if (!file.empty()) {
    try {
      if (g_threaded) sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(file));
      else sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_st>(file));
    } catch (const std::exception& e) {
      sinks.front()->log(spdlog::details::log_msg(g_program, spdlog::level::warn,
                                                  std::string("cannot open log file: ") + e.what()));
    }
  }
  auto logger = std::make_shared<spdlog::logger>(g_program, sinks.begin(), sinks.end());
  logger->set_level(level);
  logger->set_formatter(std::make_unique<LazyFormatter>());
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(std::move(logger));
  g_file = file;
}

}  // namespace

void init(const std::string& program, bool threaded) {
  g_program = program;
  g_threaded = threaded;
  const char* lvl = std::getenv("ZOS_LOG_LEVEL");
  const char* file = std::getenv("ZOS_LOG_FILE");
  install(parse_level(lvl ? lvl : "", spdlog::level::warn), file ? file : "");
}

void configure(const Options& opts) {
  // The environment wins over the config: an operator debugging one call.
  const char* env_lvl = std::getenv("ZOS_LOG_LEVEL");
  const char* env_file = std::getenv("ZOS_LOG_FILE");
  auto cur = spdlog::default_logger_raw() ? spdlog::default_logger_raw()->level() : spdlog::level::warn;
  auto level = env_lvl ? cur : parse_level(opts.level, cur);
  std::string file = env_file ? env_file : (opts.file.empty() ? g_file : opts.file);
  if (spdlog::default_logger_raw() && level == cur && file == g_file) return;
  install(level, file);
}

}  // namespace zos::log
