// The Redis side of zbus: one blocking connection (hiredis) that pops
// requests from a queue and pushes replies. Not thread-safe: one per thread.
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

struct redisContext;

namespace zos::zbus {

// redis://[:password@]host[:port] or tcp://host[:port] (port 6379 by
// default, [v6] hosts in brackets), unix:///path/to/socket.
struct BrokerAddress {
  std::string host;  // empty for a unix socket
  int port = 6379;
  std::string path;  // the unix socket
  std::string password;
  // Throws std::invalid_argument saying what is wrong with `url`.
  static BrokerAddress parse(const std::string& url);
  std::string str() const;  // for logs (no password)
};

// The broker is unreachable or the connection broke; the connection is
// closed and the next call reconnects.
struct BrokerError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The broker refused one command on a working connection (e.g. WRONGTYPE:
// the key holds another type). Retrying the same command cannot help.
struct RefusedError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Broker {
 public:
  explicit Broker(BrokerAddress addr);
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  const BrokerAddress& address() const { return addr_; }
  bool connected() const { return ctx_ != nullptr; }
  // Connects (and authenticates) unless connected. Throws BrokerError.
  void connect();
  void close();

  // BLPOP key timeout: the popped value, or nullopt when the timeout passed.
  std::optional<std::string> blpop(const std::string& key, int timeout_s);
  // RPUSH key value; EXPIRE key ttl (one round trip). RefusedError when
  // the broker refuses them.
  void push(const std::string& key, std::string_view value, int ttl_s);

 private:
  struct Reply;
  Reply command(std::initializer_list<std::string_view> argv);

  BrokerAddress addr_;
  redisContext* ctx_ = nullptr;
};

}  // namespace zos::zbus
