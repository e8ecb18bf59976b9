// ip::Addr / ip::Prefix parsing and the MAC parser (requested IPs, prefixes
// and MACs all come from runtime input). Properties: a parsed value prints
// to a string that parses back to the same value.
#include "common/ip/ip.h"
#include "fuzz_support.h"
#include "model/plan.h"

using namespace zos;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string s(reinterpret_cast<const char*>(data), size);
  if (auto a = ip::Addr::parse(s)) {
    auto back = ip::Addr::parse(a->str());
    fuzz::require(back && *back == *a, "Addr does not round trip", s + " -> " + a->str());
    a->offset(1);
    a->offset(-1);
  }
  if (auto p = ip::Prefix::parse(s)) {
    fuzz::require(p->len() >= 0 && p->len() <= (p->addr().is_v4() ? 32 : 128), "Prefix length out of range", s);
    auto back = ip::Prefix::parse(p->str());
    fuzz::require(back && *back == *p, "Prefix does not round trip", s + " -> " + p->str());
    p->network().contains(p->addr());
    if (p->addr().is_v6() && p->len() == 64) {
      fuzz::expect_only_cni_errors([&] { model::Plan::of(*p, 0); });
      auto v4 = ip::Addr::v4(0x0a010a02);
      auto v6 = model::ipv6_from_ipv4(*p, v4);
      auto r = model::ipv4_from_ipv6(*p, v6);
      fuzz::require(r && *r == v4, "ipv6_from_ipv4 does not round trip", s);
    }
  }
  if (auto m = model::parse_mac(s)) {
    auto back = model::parse_mac(model::format_mac(*m));
    fuzz::require(back && *back == *m, "MAC does not round trip", s);
  }
  return 0;
}
