#include "plugins/zbus/serve.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <thread>

#include "common/log/log.h"
#include "common/sys/flags.h"
#include "common/zbus/broker.h"
#include "plugins/zbus/networker.h"

namespace zos::nr {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr unsigned kMaxWorkers = 64;
constexpr int kPopTimeoutS = 1;      // how often the receiver looks at the stop flag
constexpr int kReplyTtlS = 5 * 60;   // zbus' redisResponseTTL
constexpr auto kBackoffMin = 100ms;  // first retry after a broker error, doubled up to
constexpr auto kBackoffMax = 5s;
constexpr auto kReplyPatience = 30s;  // how long a reply is retried before it is dropped

constexpr const char* kUsage =
    "usage: zos-nr-zbus --broker redis://host:port|unix:///path --node <id> [--workers N] [--data-dir D] "
    "[--key-file F] [--identity-file F] [--public-namespace NS] [--node-policy F]\n"
    "       (zos-nr serve <the same flags> runs it)\n";

class Server {
 public:
  explicit Server(ServeOptions o)
      : opt_(std::move(o)), addr_(zbus::BrokerAddress::parse(opt_.broker)),
        queue_(zbus::queue_name(kZbusModule, kNetworkerObject)) {}

  int run() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    // Every thread made from here on inherits the mask; only the signal
    // thread takes them, with sigwait.
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
    std::thread([this, set] { wait_signals(set); }).detach();

    spdlog::info("serving {} on {} with {} workers (node {}, data dir {})", queue_, addr_.str(), opt_.workers,
                 opt_.node.id, opt_.node.data_dir);
    std::vector<std::thread> workers;
    for (unsigned i = 0; i < opt_.workers; ++i) workers.emplace_back([this] { work(); });
    receive();
    {
      std::lock_guard l(m_);
      closing_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers) t.join();
    if (lost_) spdlog::warn("stopped: {} request(s) taken, {} reply(ies) lost (logged above)", taken_, lost_.load());
    else spdlog::info("stopped: every request taken ({}) was answered", taken_);
    return 0;
  }

 private:
  void wait_signals(sigset_t set) {
    for (;;) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0) continue;
      bool again;
      {
        std::lock_guard l(m_);
        again = stop_.exchange(true);
      }
      if (again) {
        spdlog::warn("signal {} again: still finishing the requests in flight", sig);
        continue;
      }
      spdlog::info("signal {}: finishing the requests in flight, taking no more", sig);
      cv_.notify_all();
    }
  }

  // Sleeps `d` unless a stop comes first; false when stopping.
  bool pause(std::chrono::milliseconds d) {
    std::unique_lock l(m_);
    return !cv_.wait_for(l, d, [this] { return stop_.load(); });
  }

  // The receiver takes a request only when a worker is free for it, so
  // what waits stays in Redis, where another server may take it.
  void receive() {
    zbus::Broker broker(addr_);
    auto backoff = std::chrono::milliseconds(kBackoffMin);
    bool was_down = false;
    while (!stop_) {
      {
        std::unique_lock l(m_);
        cv_.wait(l, [this] { return stop_ || jobs_.size() + busy_ < opt_.workers; });
      }
      if (stop_) break;
      try {
        if (!broker.connected()) {
          broker.connect();
          if (was_down) spdlog::warn("broker {} is back", addr_.str());
          was_down = false;
          backoff = kBackoffMin;
        }
        auto payload = broker.blpop(queue_, kPopTimeoutS);
        if (!payload) continue;
        {
          std::lock_guard l(m_);
          jobs_.push_back(std::move(*payload));
          ++taken_;
        }
        cv_.notify_all();
      } catch (const zbus::BrokerError& e) {
        broker.close();
        spdlog::warn("{}; retrying in {} ms", e.what(), backoff.count());
        was_down = true;
        pause(backoff);
        backoff = std::min<std::chrono::milliseconds>(backoff * 2, kBackoffMax);
      }
    }
  }

  void work() {
    zbus::Broker broker(addr_);
    for (;;) {
      std::string payload;
      {
        std::unique_lock l(m_);
        cv_.wait(l, [this] { return closing_ || !jobs_.empty(); });
        if (jobs_.empty()) return;  // closing, and nothing left
        payload = std::move(jobs_.front());
        jobs_.pop_front();
        ++busy_;
      }
      handle(broker, payload);
      {
        std::lock_guard l(m_);
        --busy_;
      }
      cv_.notify_all();
    }
  }

  void handle(zbus::Broker& broker, const std::string& payload) {
    std::string reply_to;
    std::optional<zbus::Response> resp;
    try {
      resp = networker_answer(opt_.node, payload, &reply_to);
    } catch (const std::exception& e) {  // networker_answer does not throw; belt and braces
      spdlog::error("request dropped: {}", e.what());
    }
    if (!resp) return;
    std::string out = zbus::encode_response(*resp);
    auto deadline = Clock::now() + kReplyPatience;
    auto backoff = std::chrono::milliseconds(kBackoffMin);
    bool reconnected = false;
    for (;;) {
      try {
        broker.push(reply_to, out, kReplyTtlS);
        return;
      } catch (const zbus::RefusedError& e) {
        // This request's ReplyTo is unusable (wrong type...): no retry, so
        // it holds up neither this worker nor a stop.
        ++lost_;
        spdlog::error("reply to {} for request {} lost: the broker refused it: {}", reply_to, resp->id, e.what());
        return;
      } catch (const zbus::BrokerError& e) {
        broker.close();
        // A worker's connection can be older than a broker restart: the
        // first write after it breaks. One new connection at once tells a
        // stale connection from a broker that is away (then: back off).
        if (!reconnected) {
          reconnected = true;
          continue;
        }
        if (Clock::now() + backoff > deadline) {
          ++lost_;
          spdlog::error("reply to {} for request {} lost: {} (retried for {} s)", reply_to, resp->id, e.what(),
                        std::chrono::duration_cast<std::chrono::seconds>(kReplyPatience).count());
          return;
        }
        spdlog::warn("reply to {}: {}; retrying in {} ms", reply_to, e.what(), backoff.count());
        if (!pause(backoff)) {
          ++lost_;
          spdlog::error("reply to {} for request {} lost: stopping while the broker is unreachable ({})", reply_to,
                        resp->id, e.what());
          return;
        }
        backoff = std::min<std::chrono::milliseconds>(backoff * 2, kBackoffMax);
      }
    }
  }

  ServeOptions opt_;
  zbus::BrokerAddress addr_;
  std::string queue_;
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<std::string> jobs_;
  unsigned busy_ = 0;
  uint64_t taken_ = 0;           // requests popped (under m_)
  std::atomic<uint64_t> lost_{0};  // replies that could not be delivered
  bool closing_ = false;
  std::atomic<bool> stop_{false};
};

}  // namespace

ServeOptions parse_serve(const std::vector<std::string>& a) {
  ServeOptions o;
  auto workers = [&](const std::string& w) {
    if (w.empty() || w.size() > 2 || w.find_first_not_of("0123456789") != std::string::npos || std::stoul(w) < 1 ||
        std::stoul(w) > kMaxWorkers)
      throw sys::UsageError("--workers takes a number from 1 to " + std::to_string(kMaxWorkers));
    o.workers = static_cast<unsigned>(std::stoul(w));
  };
  sys::Flags f;
  node_flags(f, o.node)
      .value("--broker", &o.broker)
      .value("--workers", workers)
      .parse(a, 1, {.prefix = "unknown argument "});
  if (o.broker.empty()) throw sys::UsageError("serve needs --broker");
  if (o.node.id.empty()) throw sys::UsageError("serve needs --node <id>");
  try {
    zbus::BrokerAddress::parse(o.broker);
  } catch (const std::invalid_argument& e) {  // a bad URL is a usage error
    throw sys::UsageError(e.what());
  }
  return o;
}

const char* serve_usage() { return kUsage; }

int serve(const std::vector<std::string>& args) {
  ServeOptions o;
  try {
    o = parse_serve(args);
  } catch (const sys::UsageError& e) {
    std::string msg = std::string("zos-nr-zbus: ") + e.what() + "\n" + kUsage;
    (void)!::write(2, msg.data(), msg.size());
    return 2;
  }
  // A long-running service logs what it does unless told otherwise.
  log::init("zos-nr-zbus", true);
  if (!std::getenv("ZOS_LOG_LEVEL")) spdlog::set_level(spdlog::level::info);
  // Never freed: the detached signal thread may still look at it while the
  // process exits.
  auto* server = new Server(std::move(o));
  return server->run();
}

}  // namespace zos::nr
