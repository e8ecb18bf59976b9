// Userspace backend: wireguard-go processes and their UAPI sockets. See
// wg_uapi.h.
#include "common/wg/wg_uapi.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "common/net/link.h"
#include "common/sys/fd.h"
#include "common/sys/file.h"
#include "common/sys/syscall.h"

namespace zos::wg {

namespace uapi {

namespace {

template <class T>
std::optional<T> to_number(std::string_view s) {
  T v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::runtime_error bad_reply(const std::string& name, std::string_view key) {
  return std::runtime_error("wireguard-go " + name + ": malformed '" + std::string(key) + "' in its reply");
}

}  // namespace

std::string format_endpoint(const Endpoint& e) {
  if (e.addr.is_v6()) return "[" + e.addr.str() + "]:" + std::to_string(e.port);
  return e.addr.str() + ":" + std::to_string(e.port);
}

std::optional<Endpoint> parse_endpoint(std::string_view s) {
  std::string_view host, port;
  if (!s.empty() && s[0] == '[') {
    auto close = s.find("]:");
    if (close == std::string_view::npos) return std::nullopt;
    host = s.substr(1, close - 1);
    port = s.substr(close + 2);
    if (auto pct = host.find('%'); pct != std::string_view::npos) host = host.substr(0, pct);
  } else {
    auto colon = s.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
  }
  auto a = ip::Addr::parse(host);
  auto p = to_number<uint16_t>(port);
  if (!a || !p || (s[0] == '[') != a->is_v6()) return std::nullopt;
  return Endpoint{*a, *p};
}

std::string format_set(const DeviceConfig& cfg) {
  std::string r = "set=1\n";
  if (cfg.private_key) r += "private_key=" + key_to_hex(*cfg.private_key) + "\n";
  if (cfg.listen_port) r += "listen_port=" + std::to_string(*cfg.listen_port) + "\n";
  if (cfg.fwmark) r += "fwmark=" + std::to_string(*cfg.fwmark) + "\n";
  if (cfg.replace_peers) r += "replace_peers=true\n";
  for (const PeerConfig& p : cfg.peers) {
    r += "public_key=" + key_to_hex(p.public_key) + "\n";
    if (p.remove) {  // nothing else applies to a peer being removed
      r += "remove=true\n";
      continue;
    }
    // Right after public_key: wireguard-go drops the peer it just created.
    if (p.update_only) r += "update_only=true\n";
    if (p.preshared_key) r += "preshared_key=" + key_to_hex(*p.preshared_key) + "\n";
    if (p.endpoint) r += "endpoint=" + format_endpoint(*p.endpoint) + "\n";
    if (p.keepalive) r += "persistent_keepalive_interval=" + std::to_string(*p.keepalive) + "\n";
    if (p.replace_allowed_ips) r += "replace_allowed_ips=true\n";
    for (const ip::Prefix& a : p.allowed_ips) r += "allowed_ip=" + a.str() + "\n";
  }
  return r + "\n";
}

std::optional<int> reply_errno(const std::string& reply) {
  auto pos = reply.rfind("errno=");
  if (pos == std::string::npos || (pos > 0 && reply[pos - 1] != '\n')) return std::nullopt;
  auto end = reply.find('\n', pos);
  return to_number<int>(std::string_view(reply).substr(pos + 6, end == std::string::npos ? std::string::npos
                                                                                          : end - pos - 6));
}

DeviceState parse_get(const std::string& name, const std::string& reply) {
  DeviceState st;
  st.name = name;
  PeerState* peer = nullptr;
  int64_t hs_sec = 0, hs_nsec = 0;
  auto finish_peer = [&] {
    if (peer) peer->last_handshake = handshake_time(hs_sec, hs_nsec);
    hs_sec = hs_nsec = 0;
  };
  size_t pos = 0;
  while (pos < reply.size()) {
    size_t end = reply.find('\n', pos);
    if (end == std::string::npos) end = reply.size();
    const std::string_view line(reply.data() + pos, end - pos);
    pos = end + 1;
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    // Views, not copies: no allocation per line, and no stray copy of the
    // private key's hex.
    const std::string_view key = line.substr(0, eq);
    const std::string_view value = line.substr(eq + 1);
    if (key == "private_key") {
      auto k = key_from_hex(value);
      if (!k) throw bad_reply(name, key);  // the value is never shown
      st.has_private_key = true;
      st.public_key = public_key_of(*k);
      k->fill(0);
    } else if (key == "listen_port") {
      st.listen_port = to_number<uint16_t>(value).value_or(0);
    } else if (key == "fwmark") {
      st.fwmark = to_number<uint32_t>(value).value_or(0);
    } else if (key == "public_key") {
      auto k = key_from_hex(value);
      if (!k) throw bad_reply(name, key);
      finish_peer();
      st.peers.emplace_back();
      peer = &st.peers.back();
      peer->public_key = *k;
    } else if (!peer) {
      continue;  // errno and device keys we do not keep
    } else if (key == "endpoint") {
      peer->endpoint = parse_endpoint(value);
    } else if (key == "persistent_keepalive_interval") {
      peer->keepalive = to_number<uint16_t>(value).value_or(0);
    } else if (key == "last_handshake_time_sec") {
      hs_sec = to_number<int64_t>(value).value_or(0);
    } else if (key == "last_handshake_time_nsec") {
      hs_nsec = to_number<int64_t>(value).value_or(0);
    } else if (key == "rx_bytes") {
      peer->rx_bytes = to_number<uint64_t>(value).value_or(0);
    } else if (key == "tx_bytes") {
      peer->tx_bytes = to_number<uint64_t>(value).value_or(0);
    } else if (key == "allowed_ip") {
      auto p = ip::Prefix::parse(value);
      if (!p) throw bad_reply(name, key);
      peer->allowed_ips.push_back(*p);
    }
  }
  finish_peer();
  return st;
}

}  // namespace uapi

namespace {

std::string binary() {
  const char* e = std::getenv("ZOS_WIREGUARD_GO");
  return e && *e ? e : "/usr/bin/wireguard-go";
}

bool is_socket(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

// A connected UAPI socket, or an empty Fd when nobody listens (no file,
// refused: a dead process's leftover).
sys::Fd connect_uapi(const std::string& path) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.size() >= sizeof sa.sun_path) sys::throw_errno("connect " + path, ENAMETOOLONG);
  std::memcpy(sa.sun_path, path.c_str(), path.size());
  sys::Fd fd(sys::check("socket AF_UNIX", [] { return ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0); }));
  timeval tv{5, 0};  // a hung daemon must not hang the plugin
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int rc = sys::check_or("connect " + path, {ENOENT, ECONNREFUSED, ENOTSOCK}, [&] {
    return ::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  });
  if (rc < 0) return {};
  return fd;
}

std::string tail(const std::optional<std::string>& text, size_t max = 600) {
  if (!text || text->empty()) return "(no output)";
  std::string t = text->size() > max ? "..." + text->substr(text->size() - max) : *text;
  while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
  return t;
}

}  // namespace

UapiBackend::UapiBackend(std::string state_dir) : state_dir_(state_dir.empty() ? kUapiSocketDir : std::move(state_dir)) {}

std::string UapiBackend::socket_path(const std::string& name) {
  // Appended in place: on the chain of temporaries that "+" makes here
  // GCC 12 warns -Warray-bounds, wrongly (the memcpy stays in bounds).
  std::string p(kUapiSocketDir);
  p += '/';
  p += name;
  p += ".sock";
  return p;
}

std::optional<proc::Tracked> UapiBackend::process(const std::string& name) const {
  auto text = sys::read_file(pid_path(name));
  if (!text) return std::nullopt;
  auto t = proc::parse_pid_file(*text);
  if (!t || !proc::alive(*t)) return std::nullopt;
  return t;
}

bool UapiBackend::create(const std::string& name) {
  if (name.empty() || name.size() >= 16 || name.find('/') != std::string::npos)
    throw std::invalid_argument("bad wireguard link name '" + name + "'");
  const std::string what = "start wireguard-go " + name;
  sys::make_dirs(state_dir_, 0755);
  sys::FileLock lock(state_dir_ + "/.zos-wg.lock");
  if (process(name)) return false;
  ++round_trips_;
  if (connect_uapi(socket_path(name))) return false;  // served by a process we did not start
  {
    nl::Socket s;
    if (auto l = nl::get_link(s, name))
      throw nl::NlError(0, EEXIST, what,
                        "a " + (l->kind.empty() ? std::string("device") : l->kind) + " link '" + name +
                            "' that no wireguard-go serves exists here");
  }
  // Leftovers of a dead process.
  sys::remove_if_exists(pid_path(name));
  sys::remove_if_exists(socket_path(name));
  sys::remove_if_exists(log_path(name));

  const char* level = std::getenv("ZOS_WIREGUARD_GO_LOG_LEVEL");
  const std::vector<std::string> env{
      "WG_PROCESS_FOREGROUND=1",  // we detach it ourselves and know its pid
      std::string("LOG_LEVEL=") + (level && *level ? level : "error"),
      "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
  };
  const std::string bin = binary();
  proc::Tracked t = proc::spawn_detached(bin, {name}, env, log_path(name));
  try {
    sys::write_file_atomic(pid_path(name), proc::format_pid_file(t), 0644);
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    while (!is_socket(socket_path(name))) {
      if (!proc::alive(t))
        sys::throw_errno(what + ": it exited: " + tail(sys::read_file(log_path(name))), ECHILD);
      if (std::chrono::steady_clock::now() > until)
        sys::throw_errno(what + ": no control socket after 3 s: " + tail(sys::read_file(log_path(name))),
                         ETIMEDOUT);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  } catch (...) {
    proc::stop(t);
    sys::remove_if_exists(pid_path(name));
    throw;
  }
  return true;
}

std::string UapiBackend::exchange(const std::string& name, const std::string& request, const std::string& what) {
  const std::string path = socket_path(name);
  ++round_trips_;
  sys::Fd fd = connect_uapi(path);
  if (!fd) {
    // Say why: never started, died (with its last words), or not ours.
    std::string why = "wireguard-go is not running (" + path + ")";
    if (auto text = sys::read_file(pid_path(name)); text && proc::parse_pid_file(*text)) {
      if (!proc::alive(*proc::parse_pid_file(*text)))
        why = "wireguard-go (pid " + std::to_string(proc::parse_pid_file(*text)->pid) +
              ") has exited: " + tail(sys::read_file(log_path(name)));
      else
        why = "wireguard-go (pid " + std::to_string(proc::parse_pid_file(*text)->pid) +
              ") does not answer on " + path;
    }
    sys::throw_errno(what + ": " + why, ENOENT);
  }
  size_t off = 0;
  while (off < request.size()) {
    const ssize_t n = sys::check(what + ": write " + path, [&] {
      return ::send(fd.get(), request.data() + off, request.size() - off, MSG_NOSIGNAL);
    });
    off += static_cast<size_t>(n);
  }
  std::string reply;
  char buf[8192];
  while (reply.size() < 2 || reply.compare(reply.size() - 2, 2, "\n\n") != 0) {
    const ssize_t n = sys::check(what + ": read " + path, [&] { return ::read(fd.get(), buf, sizeof buf); });
    if (n == 0) sys::throw_errno(what + ": wireguard-go closed the connection", EPIPE);
    reply.append(buf, static_cast<size_t>(n));
  }
  // wireguard-go may send the errno negated (-22 for EINVAL).
  const auto err = uapi::reply_errno(reply);
  if (!err) sys::throw_errno(what + ": no errno in its reply", EPROTO);
  if (*err != 0) sys::throw_errno(what, *err < 0 ? -*err : *err);
  return reply;
}

void UapiBackend::configure(const DeviceConfig& cfg) {
  std::string req = uapi::format_set(cfg);
  try {
    exchange(cfg.name, req, "configure wireguard-go " + cfg.name);
  } catch (...) {
    std::fill(req.begin(), req.end(), '\0');  // it may hold the private key
    throw;
  }
  std::fill(req.begin(), req.end(), '\0');
}

DeviceState UapiBackend::get(const std::string& name) {
  std::string reply = exchange(name, "get=1\n\n", "get wireguard-go " + name);
  DeviceState st = uapi::parse_get(name, reply);
  std::fill(reply.begin(), reply.end(), '\0');
  return st;
}

bool UapiBackend::remove(const std::string& name) {
  sys::make_dirs(state_dir_, 0755);
  sys::FileLock lock(state_dir_ + "/.zos-wg.lock");
  bool did = false;
  if (auto text = sys::read_file(pid_path(name)))
    if (auto t = proc::parse_pid_file(*text)) did = proc::stop(*t);
  sys::remove_if_exists(pid_path(name));
  ++round_trips_;
  const bool foreign = static_cast<bool>(connect_uapi(socket_path(name)));  // a process we did not start
  if (!foreign) {
    did = sys::remove_if_exists(socket_path(name)) || did;
    nl::Socket s;
    if (auto l = nl::get_link(s, name); l && l->kind == "tun") did = nl::delete_link(s, name) || did;
  }
  return did;
}

}  // namespace zos::wg
