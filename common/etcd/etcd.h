// An etcd v3 client over etcd's JSON gateway (/v3/kv/range, /v3/kv/put,
// /v3/kv/deleterange, /v3/watch, /v3/lease/grant, /v3/lease/keepalive,
// /v3/auth/authenticate), HTTP(S) through libcurl. Keys and values are
// bytes here; base64 is the gateway's wire form only. Why the gateway and
// not gRPC: docs/decisions.md, "The fleet's etcd client".
//
// Every call tries the endpoints in turn, starting from the last one that
// answered, and throws Unavailable when none did. A call is one HTTP request
// with its own connection: the agent makes a few a second at most.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace zos::etcd {

struct Options {
  std::vector<std::string> endpoints;  // http(s)://host:port
  std::string cacert;                  // CA bundle that signed the servers' certificates
  std::string cert, key;               // client certificate and its key (PEM)
  std::string user, password;          // etcd RBAC user ("" = no auth)
  std::chrono::milliseconds timeout{5000};  // per unary call
};

// No endpoint answered (connection refused, TLS failure, timeout, 5xx).
struct Unavailable : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// etcd answered with an error (permission denied, bad request, ...).
struct Refused : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct KeyValue {
  std::string key, value;
  int64_t mod_revision = 0;
  int64_t lease = 0;
};

struct Snapshot {
  std::vector<KeyValue> kvs;
  int64_t revision = 0;  // the store's revision the range was read at
};

struct Event {
  bool deleted = false;  // else a put
  KeyValue kv;
};

// Why watch() returned.
struct WatchEnd {
  enum Kind { kStopped, kCompacted, kBroken } kind = kBroken;
  int64_t compact_revision = 0;  // kCompacted: the oldest revision still kept
  std::string reason;
};

// The smallest key greater than every key with `prefix` (etcd's range_end).
std::string prefix_end(const std::string& prefix);

std::string base64_encode(const std::string& bytes);
std::optional<std::string> base64_decode(const std::string& text);

class Client {
 public:
  explicit Client(Options o);

  // Every key under `prefix`, read at `revision` (0 = now).
  Snapshot range_prefix(const std::string& prefix, int64_t revision = 0);
  void put(const std::string& key, const std::string& value, int64_t lease = 0);
  void remove(const std::string& key);
  // A lease of `ttl` seconds; its id.
  int64_t grant(int ttl);
  // Refreshes a lease; the TTL left, 0 when the lease is gone (expired or revoked).
  int64_t keepalive(int64_t lease);

  // Streams the events under `prefix` from `start_revision` on, one call
  // of `on_events` per watch response (in revision order), until `stop`
  // becomes true (checked at least every 200 ms), the connection breaks, or
  // etcd has compacted `start_revision` away.
  WatchEnd watch_prefix(const std::string& prefix, int64_t start_revision,
                        const std::function<void(const std::vector<Event>&, int64_t revision)>& on_events,
                        const std::atomic<bool>& stop);

  // The endpoint that answered last (for logs).
  std::string endpoint() const;

 private:
  struct Reply;
  Reply post(const std::string& path, const std::string& body);
  std::string token();

  Options opt_;
  mutable std::mutex m_;
  size_t current_ = 0;  // index of the endpoint to try first
  std::string token_;   // auth token, when opt_.user is set
};

}  // namespace zos::etcd
