// wg::same_peer: the re-apply's test of whether the device already holds a
// peer as wanted (only the peers for which it is false are sent). It
// compares allowed IPs as typed prefixes now: every change the text
// comparison saw must still count as a change.
#include <catch2/catch.hpp>

#include <algorithm>

#include "common/wg/wg.h"

using namespace zos;
using namespace zos::wg;

namespace {

ip::Prefix P(const char* s) { return *ip::Prefix::parse(s); }

PeerConfig want() {
  PeerConfig w;
  w.endpoint = Endpoint{*ip::Addr::parse("198.51.100.1"), 51820};
  w.keepalive = 25;
  w.replace_allowed_ips = true;
  w.allowed_ips = {P("fe80::1:1/128"), P("10.255.1.1/32"), P("2a02:1802:60:101::/64"), P("10.1.1.0/24")};
  return w;
}

PeerState have_of(const PeerConfig& w) {
  PeerState h;
  h.endpoint = w.endpoint;
  h.keepalive = w.keepalive.value_or(0);
  h.allowed_ips = w.allowed_ips;
  return h;
}

}  // namespace

TEST_CASE("wg same_peer: the same peer, in any order, is the same", "[wg]") {
  auto w = want();
  auto h = have_of(w);
  CHECK(same_peer(w, h));
  std::reverse(h.allowed_ips.begin(), h.allowed_ips.end());
  CHECK(same_peer(w, h));
  h.allowed_ips.push_back(h.allowed_ips[0]);  // a repeat is no difference (as sets)
  CHECK(same_peer(w, h));
  // What `want` leaves unset is not compared.
  w.endpoint.reset();
  w.keepalive.reset();
  h.endpoint.reset();
  h.keepalive = 7;
  CHECK(same_peer(w, h));
}

TEST_CASE("wg same_peer: any changed allowed IP, endpoint or keepalive is a change", "[wg]") {
  const auto w = want();
  auto changed = [&](auto edit) {
    auto h = have_of(w);
    edit(h);
    return !same_peer(w, h);
  };
  CHECK(changed([](PeerState& h) { h.allowed_ips[3] = P("10.1.2.0/24"); }));             // another /24
  CHECK(changed([](PeerState& h) { h.allowed_ips[3] = P("10.1.1.0/25"); }));             // another length
  CHECK(changed([](PeerState& h) { h.allowed_ips[2] = P("2a02:1802:60:102::/64"); }));   // another /64
  CHECK(changed([](PeerState& h) { h.allowed_ips[0] = P("fe80::1:2/128"); }));           // one bit
  CHECK(changed([](PeerState& h) { h.allowed_ips[1] = P("::ffff:10.255.1.1/32"); }));     // same bytes, v6
  CHECK(changed([](PeerState& h) { h.allowed_ips.pop_back(); }));                        // one missing
  CHECK(changed([](PeerState& h) { h.allowed_ips.push_back(P("0.0.0.0/0")); }));          // one more
  CHECK(changed([](PeerState& h) { h.allowed_ips.clear(); }));
  CHECK(changed([](PeerState& h) { h.endpoint->port = 51821; }));
  CHECK(changed([](PeerState& h) { h.endpoint->addr = *ip::Addr::parse("198.51.100.2"); }));
  CHECK(changed([](PeerState& h) { h.endpoint.reset(); }));
  CHECK(changed([](PeerState& h) { h.keepalive = 0; }));
  // Two repeats on one side do not hide a missing prefix.
  auto w2 = w;
  w2.allowed_ips = {P("10.1.1.0/24"), P("10.1.1.0/24")};
  PeerState h2 = have_of(w);
  h2.allowed_ips = {P("10.1.1.0/24"), P("10.1.2.0/24")};
  CHECK_FALSE(same_peer(w2, h2));
}
