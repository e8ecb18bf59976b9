#include "common/zbus/broker.h"

#include <hiredis/hiredis.h>

#include <vector>

namespace zos::zbus {

namespace {

// How long one command may take before the connection counts as broken
// (BLPOP's own timeout comes on top).
constexpr int kIoTimeoutS = 10;

timeval seconds(int s) { return timeval{s, 0}; }

}  // namespace

BrokerAddress BrokerAddress::parse(const std::string& url) {
  BrokerAddress a;
  auto sep = url.find("://");
  if (sep == std::string::npos)
    throw std::invalid_argument("broker \"" + url + "\": expected redis://host:port or unix:///path");
  std::string scheme = url.substr(0, sep), rest = url.substr(sep + 3);
  if (scheme == "unix") {
    if (rest.empty() || rest[0] != '/')
      throw std::invalid_argument("broker \"" + url + "\": a unix socket needs an absolute path (unix:///run/redis.sock)");
    a.path = rest;
    return a;
  }
  if (scheme != "redis" && scheme != "tcp")
    throw std::invalid_argument("broker \"" + url + "\": unknown scheme " + scheme + " (redis, tcp or unix)");
  if (auto slash = rest.find('/'); slash != std::string::npos) {
    if (rest.substr(slash) != "/")
      throw std::invalid_argument("broker \"" + url + "\": database numbers are not supported");
    rest.resize(slash);
  }
  if (auto at = rest.rfind('@'); at != std::string::npos) {
    std::string user = rest.substr(0, at);
    a.password = user.substr(user.find(':') == std::string::npos ? 0 : user.find(':') + 1);
    rest = rest.substr(at + 1);
  }
  std::string port;
  if (!rest.empty() && rest[0] == '[') {
    auto close = rest.find(']');
    if (close == std::string::npos) throw std::invalid_argument("broker \"" + url + "\": unclosed [");
    a.host = rest.substr(1, close - 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') throw std::invalid_argument("broker \"" + url + "\": expected :port after ]");
      port = rest.substr(close + 2);
    }
  } else if (auto colon = rest.find(':'); colon != std::string::npos) {
    a.host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  } else {
    a.host = rest;
  }
  if (a.host.empty()) throw std::invalid_argument("broker \"" + url + "\": no host");
  if (!port.empty()) {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) < 1 ||
        std::stoi(port) > 65535)
      throw std::invalid_argument("broker \"" + url + "\": bad port \"" + port + "\"");
    a.port = std::stoi(port);
  }
  return a;
}

std::string BrokerAddress::str() const {
  if (!path.empty()) return "unix://" + path;
  return "redis://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

struct Broker::Reply {
  redisReply* r = nullptr;
  ~Reply() {
    if (r) freeReplyObject(r);
  }
};

Broker::Broker(BrokerAddress addr) : addr_(std::move(addr)) {}

Broker::~Broker() { close(); }

void Broker::close() {
  if (ctx_) redisFree(ctx_);
  ctx_ = nullptr;
}

void Broker::connect() {
  if (ctx_) return;
  redisContext* c = addr_.path.empty() ? redisConnectWithTimeout(addr_.host.c_str(), addr_.port, seconds(kIoTimeoutS))
                                       : redisConnectUnixWithTimeout(addr_.path.c_str(), seconds(kIoTimeoutS));
  if (!c) throw BrokerError("cannot connect to " + addr_.str() + ": out of memory");
  if (c->err) {
    std::string why = c->errstr;
    redisFree(c);
    throw BrokerError("cannot connect to " + addr_.str() + ": " + why);
  }
  ctx_ = c;
  if (!addr_.password.empty()) {
    Reply r = command({"AUTH", addr_.password});
    if (r.r->type == REDIS_REPLY_ERROR) {
      std::string why(r.r->str, r.r->len);
      close();
      throw BrokerError("authentication to " + addr_.str() + " failed: " + why);
    }
  }
}

Broker::Reply Broker::command(std::initializer_list<std::string_view> argv) {
  connect();
  std::vector<const char*> p;
  std::vector<size_t> n;
  for (auto a : argv) p.push_back(a.data()), n.push_back(a.size());
  Reply r;
  r.r = static_cast<redisReply*>(redisCommandArgv(ctx_, static_cast<int>(p.size()), p.data(), n.data()));
  if (!r.r) {
    std::string why = ctx_->errstr;
    close();
    throw BrokerError("connection to " + addr_.str() + " broke: " + why);
  }
  return r;
}

std::optional<std::string> Broker::blpop(const std::string& key, int timeout_s) {
  connect();
  redisSetTimeout(ctx_, seconds(timeout_s + kIoTimeoutS));
  std::string t = std::to_string(timeout_s);
  Reply r = command({"BLPOP", key, t});
  if (r.r->type == REDIS_REPLY_NIL) return std::nullopt;
  if (r.r->type == REDIS_REPLY_ERROR) throw BrokerError("BLPOP " + key + ": " + std::string(r.r->str, r.r->len));
  if (r.r->type != REDIS_REPLY_ARRAY || r.r->elements != 2 || r.r->element[1]->type != REDIS_REPLY_STRING) {
    close();
    throw BrokerError("BLPOP " + key + ": unexpected reply from " + addr_.str());
  }
  return std::string(r.r->element[1]->str, r.r->element[1]->len);
}

void Broker::push(const std::string& key, std::string_view value, int ttl_s) {
  connect();
  redisSetTimeout(ctx_, seconds(kIoTimeoutS));
  std::string ttl = std::to_string(ttl_s);
  const char* a1[] = {"RPUSH", key.data(), value.data()};
  size_t n1[] = {5, key.size(), value.size()};
  const char* a2[] = {"EXPIRE", key.data(), ttl.data()};
  size_t n2[] = {6, key.size(), ttl.size()};
  redisAppendCommandArgv(ctx_, 3, a1, n1);
  redisAppendCommandArgv(ctx_, 3, a2, n2);
  std::string err;
  const char* failed = nullptr;
  for (int i = 0; i < 2; ++i) {
    void* raw = nullptr;
    if (redisGetReply(ctx_, &raw) != REDIS_OK || !raw) {
      std::string why = ctx_->errstr;
      close();
      throw BrokerError("connection to " + addr_.str() + " broke: " + why);
    }
    Reply r;
    r.r = static_cast<redisReply*>(raw);
    if (r.r->type == REDIS_REPLY_ERROR && err.empty()) {
      err = std::string(r.r->str, r.r->len);
      failed = i == 0 ? "RPUSH" : "EXPIRE";
    }
  }
  if (!err.empty()) throw RefusedError(std::string(failed) + " " + key + ": " + err);
}

}  // namespace zos::zbus
