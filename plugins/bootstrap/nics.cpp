#include "plugins/bootstrap/nics.h"

#include <linux/if.h>
#include <netlink/route/link.h>

#include <algorithm>
#include <cerrno>

#include <linux/rtnetlink.h>

#include <set>

#include "common/log/log.h"
#include "common/net/addr.h"
#include "common/net/sysctl.h"

namespace zos::bootstrap {

namespace {

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool is_loopback(const nl::LinkInfo& l) {
  return l.name == "lo" || l.mac.empty() || l.mac == "00:00:00:00:00:00";
}

std::string name_of(const std::vector<nl::LinkInfo>& all, int index) {
  for (const auto& l : all)
    if (l.index == index) return l.name;
  return "link " + std::to_string(index);
}

}  // namespace

Discovery discover(nl::Socket& s, const UplinkConfig& c) {
  auto all = nl::list_links(s);
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  int bridge = 0;
  for (const auto& l : all)
    if (l.name == c.bridge) bridge = l.index;
  auto enslaved = [&](const nl::LinkInfo& l) { return l.master != 0 && l.master != bridge; };
  std::set<int> addressed;  // links with a global address: in use by someone else
  for (const auto& a : nl::list_addrs(s, 0))
    if (a.scope == RT_SCOPE_UNIVERSE) addressed.insert(a.index);
  auto in_use = [&](const nl::LinkInfo& l) { return addressed.count(l.index) > 0; };

  Discovery d;
  for (const auto& n : c.deny)
    if (std::none_of(all.begin(), all.end(), [&](const auto& l) { return l.name == n; }))
      spdlog::info("deny list names {}, which does not exist here", n);

  if (!c.allow.empty()) {
    for (const auto& n : c.allow) {
      auto it = std::find_if(all.begin(), all.end(), [&](const auto& l) { return l.name == n; });
      if (it == all.end()) throw ConfigError("unknown NIC '" + n + "' in the allow list: no such link");
      if (n == c.bridge || it->kind == "bridge")
        throw ConfigError("allow list names '" + n + "', which is a bridge, not a NIC");
      if (is_loopback(*it)) throw ConfigError("allow list names '" + n + "', which has no Ethernet address");
      if (contains(c.deny, n)) d.skipped.push_back({n, "denied"});
      else if (enslaved(*it)) d.skipped.push_back({n, "enslaved to " + name_of(all, it->master)});
      else if (in_use(*it)) d.skipped.push_back({n, "in use (has an address)"});
      else if (std::none_of(d.candidates.begin(), d.candidates.end(), [&](auto& x) { return x.name == n; }))
        d.candidates.push_back(*it);
    }
    return d;
  }
  for (const auto& l : all) {
    if (l.name == c.bridge) continue;
    if (is_loopback(l)) d.skipped.push_back({l.name, "loopback"});
    else if (l.kind == "bridge") d.skipped.push_back({l.name, "bridge"});
    else if (!l.kind.empty()) d.skipped.push_back({l.name, "virtual (" + l.kind + ")"});
    else if (contains(c.deny, l.name)) d.skipped.push_back({l.name, "denied"});
    else if (enslaved(l)) d.skipped.push_back({l.name, "enslaved to " + name_of(all, l.master)});
    else if (in_use(l)) d.skipped.push_back({l.name, "in use (has an address)"});
    else d.candidates.push_back(l);
  }
  return d;
}

bool has_carrier(nl::Socket& s, int index) {
  rtnl_link* raw = nullptr;
  int rc = s.check_or(rtnl_link_get_kernel(s.get(), index, nullptr, &raw), "get link " + std::to_string(index),
                      {ENODEV});
  nl::LinkPtr l(raw);
  return rc == 0 && l && (rtnl_link_get_flags(l.get()) & IFF_LOWER_UP);
}

NicState save_state(nl::Socket&, const nl::LinkInfo& l) {
  NicState st;
  st.index = l.index;
  st.name = l.name;
  st.up = l.up;
  st.disable_ipv6 = nl::sysctl_get_if_exists("net/ipv6/conf/" + l.name + "/disable_ipv6").value_or("");
  return st;
}

void restore_state(nl::Socket& s, const NicState& st) {
  auto cur = nl::get_link_by_index(s, st.index);
  if (!cur) return;
  if (cur->master) nl::set_nomaster(s, st.index);
  if (!st.up && cur->up) nl::set_down(s, st.index);
  if (!st.disable_ipv6.empty()) {
    const std::string key = "net/ipv6/conf/" + st.name + "/disable_ipv6";
    if (nl::sysctl_get_if_exists(key).value_or(st.disable_ipv6) != st.disable_ipv6)
      nl::sysctl_set(key, st.disable_ipv6);
  }
}

}  // namespace zos::bootstrap
