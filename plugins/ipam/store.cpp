#include "plugins/ipam/store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>

#include "common/cni/error.h"
#include "common/log/log.h"
#include "common/sys/fault.h"
#include "common/sys/json.h"
#include "common/sys/syscall.h"
#include "plugins/ipam/allocator.h"

namespace zos::ipam {

using nlohmann::json;

namespace {

// last_reserved's size: the longest IPv4 and a newline.
constexpr size_t kHintWidth = sizeof "255.255.255.255";

std::string prepare(const std::string& dir) {
  struct stat st;
  if (::stat((dir + "/owners").c_str(), &st) != 0) {
    sys::make_dirs(dir + "/v6", 0700);
    sys::make_dirs(dir + "/owners", 0700);
  }
  return dir + "/lock";
}

// Inode of a name, 0 when it does not exist.
ino_t inode(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

// link() that reports EEXIST as false.
bool link_name(const std::string& from, const std::string& to) {
  return sys::check_or("link " + to, {EEXIST}, [&] { return ::link(from.c_str(), to.c_str()); }) == 0;
}

std::string encode(const Lease& l) {
  json j = {{"containerID", l.container_id}, {"ifname", l.ifname}};
  if (!l.mac.empty()) j["mac"] = l.mac;
  json v6 = json::array();
  for (const auto& a : l.v6) v6.push_back(a.str());
  j["ipv6"] = v6;
  j["ipv4"] = l.v4.str();
  return j.dump() + "\n";
}

}  // namespace

DiskStore::DiskStore(std::string dir) : dir_(std::move(dir)), lock_(prepare(dir_)) {}

std::vector<std::string> DiskStore::scan() {
  std::vector<std::string> out;
  for (auto& name : sys::list_dir(dir_)) {
    // Under the lock no writer is in flight: leftovers are from killed ones.
    if (sys::is_temp_leftover(name)) sys::remove_if_exists(dir_ + "/" + name);
    else out.push_back(std::move(name));
  }
  return out;
}

std::string DiskStore::owner_path(const std::string& container_id, const std::string& ifname) const {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : container_id + std::string(1, '\0') + ifname) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return dir_ + "/owners/" + buf;
}

std::vector<std::string> DiskStore::names_of(const Lease& l) const {
  std::vector<std::string> out{dir_ + "/" + l.v4.str()};
  for (const auto& a : l.v6) out.push_back(dir_ + "/v6/" + a.str());
  return out;
}

std::optional<Lease> DiskStore::read_lease(const std::string& path, std::vector<std::string>* corrupt) {
  auto text = sys::read_file(path);
  if (!text) return std::nullopt;
  json j = sys::parse_json_or_discarded(*text);
  Lease l;
  bool ok = j.is_object() && j.value("containerID", json()).is_string() && j.value("ifname", json()).is_string();
  if (ok) {
    l.container_id = j["containerID"];
    l.ifname = j["ifname"];
    l.mac = j.value("mac", "");
    auto v4 = ip::Addr::parse(j.value("ipv4", ""));
    if (!v4) {
      // Leases written as <dir>/<ipv4> alone carry the address in the name.
      auto slash = path.rfind('/');
      v4 = ip::Addr::parse(path.substr(slash + 1));
    }
    ok = v4 && v4->is_v4();
    if (ok) l.v4 = *v4;
    for (const auto& a : j.value("ipv6", json::array())) {
      auto v6 = a.is_string() ? ip::Addr::parse(a.get<std::string>()) : std::nullopt;
      if (!v6) ok = false;
      else l.v6.push_back(*v6);
    }
  }
  if (ok) return l;
  if (corrupt) {
    corrupt->push_back(path);
    return std::nullopt;
  }
  throw cni::Error(cni::kDecodeFailure, "lease file " + path +
                                            " is corrupt: if no container uses it, remove it; otherwise restore it "
                                            "as {\"containerID\", \"ifname\", \"ipv4\", \"ipv6\"}");
}

std::vector<Lease> DiskStore::leases(std::vector<std::string>* corrupt) {
  std::vector<Lease> out;
  std::set<ino_t> owned;
  for (const auto& name : sys::list_dir(dir_ + "/owners")) {
    std::string path = dir_ + "/owners/" + name;
    if (auto l = read_lease(path, corrupt)) {
      owned.insert(inode(path));
      out.push_back(std::move(*l));
    }
  }
  // Address files nobody owns (written by hand, or by an older layout).
  for (const auto& name : scan()) {
    auto v4 = ip::Addr::parse(name);
    if (!v4 || !v4->is_v4()) continue;
    std::string path = dir_ + "/" + name;
    if (owned.count(inode(path))) continue;
    if (auto l = read_lease(path, corrupt)) out.push_back(std::move(*l));
  }
  return out;
}

std::optional<Lease> DiskStore::find(const std::string& container_id, const std::string& ifname) {
  std::string owner = owner_path(container_id, ifname);
  auto l = read_lease(owner, nullptr);
  if (!l) return std::nullopt;
  if (!l->owned_by(container_id, ifname))
    throw cni::Error(cni::kInternal, "lease " + owner + " belongs to another attachment (hash collision)");
  // Complete what a killed writer left half-done, or drop the lease when
  // one of its addresses went to someone else meanwhile.
  ino_t ino = inode(owner);
  for (const auto& name : names_of(*l)) {
    if (inode(name) == ino) continue;
    if (!link_name(owner, name)) {
      release(l->v4);
      sys::remove_if_exists(owner);
      return std::nullopt;
    }
  }
  return l;
}

std::optional<Lease> DiskStore::verify(const std::string& container_id, const std::string& ifname) {
  std::string owner = owner_path(container_id, ifname);
  auto l = read_lease(owner, nullptr);
  if (!l) return std::nullopt;
  ino_t ino = inode(owner);
  for (const auto& name : names_of(*l))
    if (inode(name) != ino)
      throw cni::Error(kNotReserved, "lease of container " + container_id + " interface " + ifname + ": " + name +
                                         " is missing or belongs to another lease");
  return l;
}

std::vector<ip::Addr> DiskStore::taken() {
  std::vector<ip::Addr> out;
  for (const auto& name : scan())
    if (auto a = ip::Addr::parse(name); a && a->is_v4()) out.push_back(*a);
  return out;
}

bool DiskStore::v6_taken(const ip::Addr& a) { return inode(dir_ + "/v6/" + a.str()) != 0; }

bool DiskStore::reserve(const Lease& l) {
  std::string owner = owner_path(l.container_id, l.ifname);
  sys::fault_point("ipam-before-reserve");
  // The owner name first: whatever a kill leaves, find() and DEL see it.
  if (!sys::create_file_exclusive(owner, encode(l), 0600, sys::Sync::kCrashSafe))
    throw cni::Error(cni::kInternal, "attachment " + l.container_id + "/" + l.ifname + " already has a lease in " + dir_);
  auto names = names_of(l);
  for (size_t i = 0; i < names.size(); ++i) {
    if (link_name(owner, names[i])) continue;
    for (size_t k = 0; k < i; ++k) sys::remove_if_exists(names[k]);
    sys::remove_if_exists(owner);
    if (i == 0) return false;  // the IPv4 is taken: the allocator tries another
    throw cni::Error(kAddressInUse, "IPv6 " + l.v6[i - 1].str() + " is already leased in " + dir_);
  }
  sys::fault_point("ipam-after-reserve");
  return true;
}

bool DiskStore::release(const ip::Addr& v4) {
  std::string path = dir_ + "/" + v4.str();
  std::vector<std::string> corrupt;
  auto l = read_lease(path, &corrupt);
  if (!l) return sys::remove_if_exists(path);
  return release_lease(*l);
}

bool DiskStore::release_lease(const Lease& l) {
  std::string owner = owner_path(l.container_id, l.ifname);
  ino_t ino = inode(owner);
  if (!ino) ino = inode(dir_ + "/" + l.v4.str());
  if (!ino) return false;
  bool any = false;
  // Addresses first, the owner name last (see the class comment).
  for (const auto& name : names_of(l))
    if (inode(name) == ino) any = sys::remove_if_exists(name) || any;
  if (inode(owner) == ino) any = sys::remove_if_exists(owner) || any;
  return any;
}

bool DiskStore::forget(const std::string& container_id, const std::string& ifname) {
  std::string owner = owner_path(container_id, ifname);
  ino_t ino = inode(owner);
  if (!ino) return false;
  for (const auto& d : {dir_, dir_ + "/v6"})
    for (const auto& name : sys::list_dir(d))
      if (inode(d + "/" + name) == ino) sys::remove_if_exists(d + "/" + name);
  sys::remove_if_exists(owner);
  return true;
}

std::vector<std::string> DiskStore::remove_orphans() {
  std::set<ino_t> owned;
  for (const auto& name : sys::list_dir(dir_ + "/owners")) owned.insert(inode(dir_ + "/owners/" + name));
  std::vector<std::string> removed;
  auto sweep = [&](const std::string& d, int family) {
    for (const auto& name : d == dir_ ? scan() : sys::list_dir(d)) {
      auto a = ip::Addr::parse(name);
      if (!a || a->family() != family) continue;
      std::string path = d + "/" + name;
      if (owned.count(inode(path))) continue;
      sys::remove_if_exists(path);
      removed.push_back(path);
    }
  };
  sweep(dir_, 4);
  sweep(dir_ + "/v6", 6);
  return removed;
}

std::optional<ip::Addr> DiskStore::last_reserved() {
  std::optional<std::string> text;
  try {
    text = sys::read_file(dir_ + "/last_reserved");
    hint_size_ = text ? text->size() : 0;
  } catch (const sys::SysError& e) {
    spdlog::warn("lease hint {}/last_reserved unreadable: {}", dir_, e.what());
  }
  if (!text) return std::nullopt;
  while (!text->empty() && (text->back() == '\n' || text->back() == ' ')) text->pop_back();
  return ip::Addr::parse(*text);  // a damaged hint is only a hint: ignore it
}

void DiskStore::set_last_reserved(const ip::Addr& a) {
  // Only a hint, written after the lease: failing here (a full disk) must
  // not fail an ADD whose lease is already taken. Rewritten in place at a
  // fixed width (spaces before the newline), not replaced by a new file:
  // no inode made and freed, and no flush ext4 starts when a rename
  // replaces a file, on every ADD. A kill mid-write can only damage it,
  // and a damaged hint is ignored.
  const std::string path = dir_ + "/last_reserved";
  std::string text = a.str();
  text.resize(kHintWidth - 1, ' ');
  text += '\n';
  try {
    sys::Fd fd(sys::check("open " + path, [&] { return ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600); }));
    auto n = sys::check("write " + path, [&] { return ::pwrite(fd.get(), text.data(), text.size(), 0); });
    if (static_cast<size_t>(n) != text.size()) throw sys::SysError(EIO, "write " + path + ": short write");
    // Only an older, longer file is cut (at the fixed width it is a no-op
    // that still stamps the inode: a journal write on ext4).
    if (!hint_size_ || *hint_size_ > text.size())
      sys::check("truncate " + path, [&] { return ::ftruncate(fd.get(), static_cast<off_t>(text.size())); });
    hint_size_ = text.size();
  } catch (const sys::SysError& e) {
    spdlog::warn("lease hint {}/last_reserved not written: {}", dir_, e.what());
  }
}

}  // namespace zos::ipam
