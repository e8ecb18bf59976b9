#include "plugins/ipam/ranges.h"

#include <algorithm>

#include "common/cni/error.h"

namespace zos::ipam {

using nlohmann::json;

namespace {

constexpr const char* kWhere = "runtimeConfig.ipRanges";

[[noreturn]] void bad(const std::string& what) { throw cni::Error(cni::kInvalidConfig, std::string(kWhere) + ": " + what); }

// The last address of a prefix (host bits set).
ip::Addr last_of(const ip::Prefix& p) {
  if (p.family() == 4) {
    uint32_t host_bits = p.len() >= 32 ? 0 : (0xffffffffu >> p.len());
    return ip::Addr::v4(p.network().addr().v4_host() | host_bits);
  }
  std::array<uint8_t, 16> b{};
  const ip::Addr net = p.network().addr();
  for (int i = 0; i < 16; ++i) {
    int bits = std::clamp(p.len() - 8 * i, 0, 8);  // network bits in this byte
    b[i] = static_cast<uint8_t>(net[i] | (0xff >> bits));
  }
  return ip::Addr::v6(b);
}

std::optional<ip::Addr> addr_field(const json& r, const char* key) {
  auto it = r.find(key);
  if (it == r.end() || it->is_null()) return std::nullopt;
  auto a = it->is_string() ? ip::Addr::parse(it->get<std::string>()) : std::nullopt;
  if (!a) bad(std::string(key) + " " + it->dump() + " is not an IP address");
  return a;
}

Span parse_range(const json& r, const model::Plan& plan) {
  if (!r.is_object() || !r.contains("subnet") || !r["subnet"].is_string()) bad("each range needs a \"subnet\", got " + r.dump());
  const std::string s = r["subnet"];
  auto subnet = ip::Prefix::parse(s);
  if (!subnet || s.find('/') == std::string::npos) bad("subnet \"" + s + "\" is not a prefix like 10.1.10.0/25");
  const bool v4 = subnet->family() == 4;
  const ip::Prefix& nr = v4 ? plan.subnet_v4 : plan.prefix;
  if (subnet->len() < nr.len() || !nr.contains(subnet->addr()))
    bad("subnet " + s + " is not inside this NR's " + nr.str() + ": zos-ipam hands out addresses of the NR only (" +
        plan.subnet_v4.str() + ", " + plan.prefix.str() + ")");
  Span span{subnet->network().addr(), last_of(*subnet)};
  if (v4) {  // the pool: .2-.254 of the /24
    span.first = std::max(span.first, plan.subnet_v4.addr().offset(model::kFirstHost));
    span.last = std::min(span.last, plan.subnet_v4.addr().offset(model::kLastHost));
  }
  for (auto [key, end] : {std::pair{"rangeStart", &span.first}, std::pair{"rangeEnd", &span.last}})
    if (auto a = addr_field(r, key)) {
      if (!subnet->contains(*a)) bad(std::string(key) + " " + a->str() + " is not in its subnet " + s);
      *end = *a;
    }
  if (span.last < span.first) bad("range " + r.dump() + " holds no address of the NR pool");
  if (auto gw = addr_field(r, "gateway")) {
    const ip::Addr& router = v4 ? plan.router_v4.addr() : plan.router_v6.addr();
    if (*gw != router) bad("gateway " + gw->str() + " is not the NR router " + router.str() + " (leave it out)");
  }
  return span;
}

}  // namespace

bool Ranges::allows(const ip::Addr& a) const {
  const auto& spans = a.is_v4() ? v4 : v6;
  if (spans.empty()) return true;
  for (const auto& s : spans)
    if (s.contains(a)) return true;
  return false;
}

std::string Ranges::str(int family) const {
  std::string out;
  for (const auto& s : family == 4 ? v4 : v6) out += (out.empty() ? "" : ", ") + s.str();
  return out;
}

Ranges parse_ip_ranges(const json& v, const model::Plan& plan) {
  Ranges out;
  if (!v.is_array()) bad("must be a list of range sets (lists of {subnet, rangeStart, rangeEnd, gateway})");
  for (const auto& set : v) {
    if (!set.is_array()) bad("must be a list of range sets (lists of ranges), got " + set.dump());
    for (const auto& r : set) {
      Span s = parse_range(r, plan);
      (s.first.is_v4() ? out.v4 : out.v6).push_back(s);
    }
  }
  return out;
}

}  // namespace zos::ipam
