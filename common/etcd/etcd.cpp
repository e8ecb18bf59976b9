#include "common/etcd/etcd.h"

#include <curl/curl.h>

#include <memory>
#include <nlohmann/json.hpp>

namespace zos::etcd {

using nlohmann::json;

namespace {

// The gateway writes int64 fields as strings ("revision":"42") and leaves
// out fields at their default value.
int64_t i64(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return 0;
  if (it->is_number()) return it->get<int64_t>();
  if (it->is_string()) return std::stoll(it->get<std::string>());
  return 0;
}

std::string decoded(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return "";
  auto d = base64_decode(it->get<std::string>());
  if (!d) throw Refused(std::string("etcd sent a ") + key + " that is not base64");
  return *d;
}

KeyValue kv_of(const json& j) {
  return {decoded(j, "key"), decoded(j, "value"), i64(j, "mod_revision"), i64(j, "lease")};
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* s) const { curl_slist_free_all(s); }
};
using Easy = std::unique_ptr<CURL, CurlDeleter>;
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

size_t append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// libcurl's process-wide set-up, once, before any thread uses it.
void global_init() {
  static const bool done = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();
  if (!done) throw std::runtime_error("libcurl could not be initialised");
}

}  // namespace

struct Client::Reply {
  json body;
};

Client::Client(Options o) : opt_(std::move(o)) {
  if (opt_.endpoints.empty()) throw std::invalid_argument("no etcd endpoint");
  global_init();
}

std::string Client::endpoint() const {
  std::lock_guard l(m_);
  return opt_.endpoints[current_];
}

namespace {

// One request to one endpoint: its HTTP status and body, or a transport
// error in `err`. `stream` (watch) gets every chunk as it arrives instead.
struct Request {
  std::string url, body, token;
  const Options* opt = nullptr;
  long timeout_ms = 0;  // 0: none (a watch)
  curl_write_callback write = append;
  void* write_ctx = nullptr;
  curl_xferinfo_callback progress = nullptr;
  void* progress_ctx = nullptr;
};

struct Outcome {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string error;
};

Outcome perform(const Request& r) {
  Easy e(curl_easy_init());
  if (!e) return {CURLE_FAILED_INIT, 0, "curl_easy_init failed"};
  CURL* c = e.get();
  char errbuf[CURL_ERROR_SIZE] = {};
  Slist headers(curl_slist_append(nullptr, "Content-Type: application/json"));
  if (!r.token.empty()) headers.reset(curl_slist_append(headers.release(), ("Authorization: " + r.token).c_str()));
  curl_easy_setopt(c, CURLOPT_URL, r.url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, r.body.c_str());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, long(r.body.size()));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, long(r.opt->timeout.count()));
  if (r.timeout_ms) curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, r.timeout_ms);
  // A watch idles for long: TCP keepalives find a peer that vanished.
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(c, CURLOPT_TCP_KEEPIDLE, 5L);
  curl_easy_setopt(c, CURLOPT_TCP_KEEPINTVL, 5L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, r.write);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, r.write_ctx);
  if (r.progress) {
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, r.progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, r.progress_ctx);
  }
  if (!r.opt->cacert.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, r.opt->cacert.c_str());
  if (!r.opt->cert.empty()) curl_easy_setopt(c, CURLOPT_SSLCERT, r.opt->cert.c_str());
  if (!r.opt->key.empty()) curl_easy_setopt(c, CURLOPT_SSLKEY, r.opt->key.c_str());
  Outcome o;
  o.code = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &o.status);
  if (o.code != CURLE_OK) o.error = errbuf[0] ? errbuf : curl_easy_strerror(o.code);
  return o;
}

// The message of an error body ({"error","code","message"}).
std::string message_of(const std::string& body, long status) {
  json j = json::parse(body, nullptr, false);
  if (j.is_object()) {
    if (j.contains("message") && j["message"].is_string()) return j["message"];
    if (j.contains("error") && j["error"].is_string()) return j["error"];
  }
  return "HTTP " + std::to_string(status) + (body.empty() ? "" : ": " + body.substr(0, 200));
}

struct Unary {
  long status = 0;
  std::string failure;  // transport error or 5xx: the next endpoint may answer
};

// One unary call to one endpoint; the answer's body in `out`.
Unary unary(const Options& opt, const std::string& url, const std::string& body, const std::string& token,
            std::string& out) {
  Request r;
  r.url = url;
  r.body = body;
  r.opt = &opt;
  r.timeout_ms = long(opt.timeout.count());
  r.token = token;
  r.write_ctx = &out;
  auto o = perform(r);
  if (o.code != CURLE_OK) return {o.status, o.error};
  if (o.status >= 500) return {o.status, message_of(out, o.status)};
  return {o.status, ""};
}

bool auth_expired(const std::string& msg) {
  return msg.find("invalid auth token") != std::string::npos || msg.find("auth token") != std::string::npos;
}

}  // namespace

std::string Client::token() {
  if (opt_.user.empty()) return "";
  {
    std::lock_guard l(m_);
    if (!token_.empty()) return token_;
  }
  json body = {{"name", opt_.user}, {"password", opt_.password}};
  std::string text = body.dump(), last;
  for (size_t i = 0; i < opt_.endpoints.size(); ++i) {
    std::string out;
    auto o = unary(opt_, opt_.endpoints[i] + "/v3/auth/authenticate", text, "", out);
    if (!o.failure.empty()) {
      last = opt_.endpoints[i] + ": " + o.failure;
      continue;
    }
    if (o.status != 200) throw Refused("etcd refused user " + opt_.user + ": " + message_of(out, o.status));
    json j = json::parse(out, nullptr, false);
    if (!j.is_object() || !j.contains("token")) throw Refused("etcd sent no auth token");
    std::lock_guard l(m_);
    token_ = j["token"].get<std::string>();
    return token_;
  }
  throw Unavailable("no etcd endpoint answered: " + last);
}

Client::Reply Client::post(const std::string& path, const std::string& body) {
  size_t first;
  {
    std::lock_guard l(m_);
    first = current_;
  }
  std::string last;
  bool reauthed = false;
  for (size_t n = 0; n < opt_.endpoints.size(); ++n) {
    size_t i = (first + n) % opt_.endpoints.size();
    std::string out;
    auto o = unary(opt_, opt_.endpoints[i] + path, body, token(), out);
    if (!o.failure.empty()) {
      last = opt_.endpoints[i] + ": " + o.failure;
      continue;
    }
    {
      std::lock_guard l(m_);
      current_ = i;
    }
    if (o.status != 200) {
      std::string msg = message_of(out, o.status);
      if (!opt_.user.empty() && !reauthed && auth_expired(msg)) {
        std::lock_guard l(m_);
        token_.clear();
        reauthed = true;
        --n;
        continue;
      }
      throw Refused(path + ": " + msg);
    }
    json j = json::parse(out, nullptr, false);
    if (j.is_discarded()) throw Refused(path + ": etcd's answer is not JSON");
    return {std::move(j)};
  }
  throw Unavailable("no etcd endpoint answered: " + last);
}

Snapshot Client::range_prefix(const std::string& prefix, int64_t revision) {
  json req = {{"key", base64_encode(prefix)}, {"range_end", base64_encode(prefix_end(prefix))}};
  if (revision) req["revision"] = std::to_string(revision);
  auto r = post("/v3/kv/range", req.dump());
  Snapshot s;
  s.revision = i64(r.body.value("header", json::object()), "revision");
  if (auto it = r.body.find("kvs"); it != r.body.end() && it->is_array())
    for (const auto& kv : *it) s.kvs.push_back(kv_of(kv));
  return s;
}

void Client::put(const std::string& key, const std::string& value, int64_t lease) {
  json req = {{"key", base64_encode(key)}, {"value", base64_encode(value)}};
  if (lease) req["lease"] = std::to_string(lease);
  post("/v3/kv/put", req.dump());
}

void Client::remove(const std::string& key) {
  post("/v3/kv/deleterange", json{{"key", base64_encode(key)}}.dump());
}

int64_t Client::grant(int ttl) {
  auto r = post("/v3/lease/grant", json{{"TTL", std::to_string(ttl)}}.dump());
  if (r.body.contains("error") && r.body["error"].is_string() && !r.body["error"].get<std::string>().empty())
    throw Refused("lease grant: " + r.body["error"].get<std::string>());
  int64_t id = i64(r.body, "ID");
  if (!id) throw Refused("lease grant: etcd sent no lease id");
  return id;
}

int64_t Client::keepalive(int64_t lease) {
  // A stream in gRPC; through the gateway one request, one answer.
  auto r = post("/v3/lease/keepalive", json{{"ID", std::to_string(lease)}}.dump());
  const json& res = r.body.contains("result") ? r.body["result"] : r.body;
  return i64(res, "TTL");
}

namespace {

struct WatchCtx {
  std::string buf;
  const std::function<void(const std::vector<Event>&, int64_t)>* on_events = nullptr;
  const std::atomic<bool>* stop = nullptr;
  WatchEnd end;
  bool created = false;
  bool done = false;  // an answer ended the watch (compacted, canceled, error)
};

// One watch response. False when it ends the watch.
bool handle(WatchCtx& w, const json& msg) {
  if (msg.contains("error")) {
    w.end = {WatchEnd::kBroken, 0, message_of(msg.dump(), 0)};
    const json& e = msg["error"];
    if (e.is_object()) w.end.reason = e.value("message", e.dump());
    return false;
  }
  const json& r = msg.contains("result") ? msg["result"] : msg;
  if (int64_t c = i64(r, "compact_revision")) {
    w.end = {WatchEnd::kCompacted, c, "revision compacted"};
    return false;
  }
  if (r.value("canceled", false)) {
    w.end = {WatchEnd::kBroken, 0, "watch canceled: " + r.value("cancel_reason", std::string("no reason given"))};
    return false;
  }
  if (r.value("created", false)) w.created = true;
  std::vector<Event> evs;
  if (auto it = r.find("events"); it != r.end() && it->is_array())
    for (const auto& e : *it) evs.push_back({e.value("type", std::string()) == "DELETE", kv_of(e.value("kv", json::object()))});
  if (!evs.empty()) (*w.on_events)(evs, i64(r.value("header", json::object()), "revision"));
  return true;
}

size_t on_chunk(char* data, size_t size, size_t n, void* ctx) {
  auto& w = *static_cast<WatchCtx*>(ctx);
  w.buf.append(data, size * n);
  size_t pos;
  while (!w.done && (pos = w.buf.find('\n')) != std::string::npos) {
    std::string line = w.buf.substr(0, pos);
    w.buf.erase(0, pos + 1);
    if (line.find_first_not_of(" \r\t") == std::string::npos) continue;
    json msg = json::parse(line, nullptr, false);
    if (msg.is_discarded()) {
      w.end = {WatchEnd::kBroken, 0, "a watch answer that is not JSON"};
      w.done = true;
    } else if (!handle(w, msg)) {
      w.done = true;
    }
  }
  return w.done ? 0 : size * n;  // 0 ends the transfer
}

int on_progress(void* ctx, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<WatchCtx*>(ctx)->stop->load() ? 1 : 0;
}

}  // namespace

WatchEnd Client::watch_prefix(const std::string& prefix, int64_t start_revision,
                              const std::function<void(const std::vector<Event>&, int64_t)>& on_events,
                              const std::atomic<bool>& stop) {
  json create = {{"key", base64_encode(prefix)}, {"range_end", base64_encode(prefix_end(prefix))},
                 {"start_revision", std::to_string(start_revision)}, {"progress_notify", true}};
  std::string body = json{{"create_request", create}}.dump();
  size_t first;
  {
    std::lock_guard l(m_);
    first = current_;
  }
  std::string last;
  for (size_t n = 0; n < opt_.endpoints.size(); ++n) {
    size_t i = (first + n) % opt_.endpoints.size();
    WatchCtx w;
    w.on_events = &on_events;
    w.stop = &stop;
    Request r;
    r.url = opt_.endpoints[i] + "/v3/watch";
    r.body = body;
    r.opt = &opt_;
    r.token = token();
    r.write = on_chunk;
    r.write_ctx = &w;
    r.progress = on_progress;
    r.progress_ctx = &w;
    auto o = perform(r);
    if (stop.load()) return {WatchEnd::kStopped, 0, "stopped"};
    if (w.done) {
      if (w.end.kind == WatchEnd::kBroken && !opt_.user.empty() && auth_expired(w.end.reason)) {
        std::lock_guard l(m_);
        token_.clear();
      }
      return w.end;
    }
    if (w.created) {  // it was streaming: the connection broke; the next call starts elsewhere
      {
        std::lock_guard l(m_);
        current_ = (i + 1) % opt_.endpoints.size();
      }
      return {WatchEnd::kBroken, 0, opt_.endpoints[i] + ": " + (o.code != CURLE_OK ? o.error : "stream ended")};
    }
    last = opt_.endpoints[i] + ": " + (o.code != CURLE_OK ? o.error : message_of(w.buf, o.status));
    if (o.code == CURLE_OK && o.status > 0 && o.status < 500 && o.status != 200) throw Refused("/v3/watch: " + last);
    std::lock_guard l(m_);
    current_ = (i + 1) % opt_.endpoints.size();
  }
  return {WatchEnd::kBroken, 0, "no etcd endpoint answered: " + last};
}

}  // namespace zos::etcd
