// Result: read and written in every spec version, converted between them.
#include <catch2/catch.hpp>

#include "common/cni/error.h"
#include "common/cni/result.h"
#include "common/cni/version.h"
#include "support/support.h"

using namespace zos::cni;
using zos::test::error_of;
using nlohmann::json;
namespace ip = zos::ip;

namespace {

ip::Prefix P(const char* s) { return *ip::Prefix::parse(s); }
ip::Addr A(const char* s) { return *ip::Addr::parse(s); }

// Two interfaces (the first with every 1.1.0 field), one address per family
// on interface 0, two IPv4 routes (one with every 1.1.0 field) and one IPv6
// route, and a full dns block. Routes are ordered v4 first so a trip through
// 0.1.0/0.2.0 (routes grouped per family) keeps their order.
Result sample() {
  Result r;
  Interface eth{"eth0", "aa:bb:cc:dd:ee:01", "/var/run/netns/c1"};
  eth.mtu = 1420;
  eth.socket_path = "/run/vhost.sock";
  eth.pci_id = "0000:00:1f.0";
  r.interfaces.push_back(eth);
  r.interfaces.push_back(Interface{"br-host", "aa:bb:cc:dd:ee:02", ""});
  r.ips.push_back(IPConfig{P("10.1.10.2/24"), A("10.1.10.1"), 0});
  r.ips.push_back(IPConfig{P("2a02:1::2/64"), A("2a02:1::1"), 0});
  Route def4{P("0.0.0.0/0"), A("10.1.10.1")};
  def4.mtu = 1400;
  def4.advmss = 1360;
  def4.priority = 10;
  def4.table = 100;
  def4.scope = 0;
  r.routes.push_back(def4);
  r.routes.push_back(Route{P("10.2.0.0/16"), std::nullopt});
  r.routes.push_back(Route{P("::/0"), A("2a02:1::1")});
  r.dns.nameservers = {"8.8.8.8", "2001:4860:4860::8888"};
  r.dns.domain = "example.org";
  r.dns.search = {"a.example.org", "b.example.org"};
  r.dns.options = {"ndots:5"};
  return r;
}

json sample_dns() {
  return {{"nameservers", {"8.8.8.8", "2001:4860:4860::8888"}},
          {"domain", "example.org"},
          {"search", {"a.example.org", "b.example.org"}},
          {"options", {"ndots:5"}}};
}

bool legacy(const std::string& v) { return !at_least(v, "0.3.0"); }

// What sample() written in `from`, read back and written in `to` must be.
json expected(const std::string& from, const std::string& to) {
  bool v11 = from == "1.1.0" && to == "1.1.0";  // 1.1.0 fields survive only 1.1.0 -> 1.1.0
  bool has_ifs = !legacy(from);                  // 0.1.0/0.2.0 have no interfaces
  json j = {{"cniVersion", to}};
  if (legacy(to)) {
    j["ip4"] = {{"ip", "10.1.10.2/24"},
                {"gateway", "10.1.10.1"},
                {"routes", {{{"dst", "0.0.0.0/0"}, {"gw", "10.1.10.1"}}, {{"dst", "10.2.0.0/16"}}}}};
    j["ip6"] = {{"ip", "2a02:1::2/64"}, {"gateway", "2a02:1::1"}, {"routes", {{{"dst", "::/0"}, {"gw", "2a02:1::1"}}}}};
  } else {
    if (has_ifs) {
      json eth = {{"name", "eth0"}, {"mac", "aa:bb:cc:dd:ee:01"}, {"sandbox", "/var/run/netns/c1"}};
      if (v11) {
        eth["mtu"] = 1420;
        eth["socketPath"] = "/run/vhost.sock";
        eth["pciID"] = "0000:00:1f.0";
      }
      j["interfaces"] = {eth, {{"name", "br-host"}, {"mac", "aa:bb:cc:dd:ee:02"}}};
    }
    json ip4 = {{"address", "10.1.10.2/24"}, {"gateway", "10.1.10.1"}};
    json ip6 = {{"address", "2a02:1::2/64"}, {"gateway", "2a02:1::1"}};
    if (has_ifs) ip4["interface"] = ip6["interface"] = 0;
    if (!at_least(to, "1.0.0")) {
      ip4["version"] = "4";
      ip6["version"] = "6";
    }
    j["ips"] = {ip4, ip6};
    json def4 = {{"dst", "0.0.0.0/0"}, {"gw", "10.1.10.1"}};
    if (v11) {
      def4["mtu"] = 1400;
      def4["advmss"] = 1360;
      def4["priority"] = 10;
      def4["table"] = 100;
      def4["scope"] = 0;
    }
    j["routes"] = {def4, {{"dst", "10.2.0.0/16"}}, {{"dst", "::/0"}, {"gw", "2a02:1::1"}}};
  }
  j["dns"] = sample_dns();
  return j;
}


Error parse_error(const json& j, const std::string& version) {
  return error_of([&] { Result::parse(j, version); });
}

}  // namespace

TEST_CASE("sample() written in each version has that version's exact shape", "[result]") {
  for (const auto& v : supported_versions()) {
    INFO("version " << v);
    json got = sample().to_json(v);
    json want = expected("1.1.0", v);
    INFO("got  " << got.dump());
    INFO("want " << want.dump());
    CHECK(got == want);
  }
}

TEST_CASE("results convert between every pair of versions", "[result]") {
  for (const auto& from : supported_versions()) {
    for (const auto& to : supported_versions()) {
      INFO(from << " -> " << to);
      json written = sample().to_json(from);
      Result back = Result::parse(written, from);
      json got = back.to_json(to);
      json want = expected(from, to);
      INFO("got  " << got.dump());
      INFO("want " << want.dump());
      CHECK(got == want);

      // The rules spelled out, so a failure says which one broke.
      CHECK(got["cniVersion"] == to);
      if (legacy(to)) {
        CHECK_FALSE(got.contains("interfaces"));
        CHECK_FALSE(got.contains("ips"));
        CHECK_FALSE(got.contains("routes"));
        CHECK(got["ip4"].contains("ip"));
        CHECK(got["ip4"].contains("gateway"));
        CHECK(got["ip4"].contains("routes"));
        CHECK(got["ip6"].contains("ip"));
      } else {
        CHECK_FALSE(got.contains("ip4"));
        CHECK_FALSE(got.contains("ip6"));
        REQUIRE(got["ips"].size() == 2);
        if (at_least(to, "1.0.0")) {
          CHECK_FALSE(got["ips"][0].contains("version"));
          CHECK_FALSE(got["ips"][1].contains("version"));
        } else {
          CHECK(got["ips"][0]["version"] == "4");
          CHECK(got["ips"][1]["version"] == "6");
        }
        CHECK(got.contains("interfaces") == !legacy(from));
        bool v11 = from == "1.1.0" && to == "1.1.0";
        if (!legacy(from)) {
          for (const char* k : {"mtu", "socketPath", "pciID"}) CHECK(got["interfaces"][0].contains(k) == v11);
        }
        for (const char* k : {"mtu", "advmss", "priority", "table", "scope"}) CHECK(got["routes"][0].contains(k) == v11);
      }
      CHECK(got["dns"] == sample_dns());
    }
  }
}

TEST_CASE("1.1.0 round trip is lossless", "[result]") {
  Result r = sample();
  CHECK(Result::parse(r.to_json("1.1.0"), "1.1.0") == r);
  // and through 1.0.0 only the 1.1.0 fields are lost
  Result lossy = Result::parse(r.to_json("1.0.0"), "1.0.0");
  Result want = r;
  want.interfaces[0].mtu.reset();
  want.interfaces[0].socket_path.clear();
  want.interfaces[0].pci_id.clear();
  want.routes[0].mtu = want.routes[0].advmss = want.routes[0].priority = want.routes[0].table =
      want.routes[0].scope = std::nullopt;
  CHECK(lossy == want);
}

TEST_CASE("an empty dns is left out", "[result]") {
  Result r = sample();
  r.dns = DNS{};
  for (const auto& v : supported_versions()) {
    INFO(v);
    json j = r.to_json(v);
    CHECK_FALSE(j.contains("dns"));
    CHECK(Result::parse(j, v).dns.empty());
  }
  for (const auto& v : supported_versions()) {
    INFO(v);
    CHECK(Result{}.to_json(v) == json{{"cniVersion", v}});
    CHECK(Result::parse(json::object(), v) == Result{});
  }
  // a partly filled dns keeps only its filled fields
  DNS d;
  d.nameservers = {"1.1.1.1"};
  CHECK(d.to_json() == json{{"nameservers", {"1.1.1.1"}}});
  CHECK(DNS::parse(d.to_json()) == d);
  CHECK(DNS::parse(json()) == DNS{});
}

TEST_CASE("legacy results carry one address per family", "[result]") {
  Result r;
  r.ips.push_back(IPConfig{P("10.0.0.2/24"), std::nullopt, std::nullopt});
  r.ips.push_back(IPConfig{P("10.0.0.3/24"), std::nullopt, std::nullopt});
  json j = r.to_json("0.2.0");
  CHECK(j == json{{"cniVersion", "0.2.0"}, {"ip4", {{"ip", "10.0.0.2/24"}}}});
  CHECK_FALSE(j.contains("ip6"));
  CHECK_FALSE(j["ip4"].contains("gateway"));
  CHECK_FALSE(j["ip4"].contains("routes"));
}

TEST_CASE("reads results as other implementations write them", "[result]") {
  // host-local 0.4.0 output
  json j = json::parse(R"({"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.22.0.5/16","gateway":"10.22.0.1"}],
                           "routes":[{"dst":"0.0.0.0/0"}],"dns":{}})");
  Result r = Result::parse(j, "0.4.0");
  REQUIRE(r.ips.size() == 1);
  CHECK(r.ips[0].address == P("10.22.0.5/16"));
  CHECK(r.ips[0].gateway == A("10.22.0.1"));
  CHECK_FALSE(r.ips[0].interface);
  CHECK(r.interfaces.empty());
  REQUIRE(r.routes.size() == 1);
  CHECK_FALSE(r.routes[0].gw);
  CHECK(r.dns.empty());
  // null fields count as absent
  CHECK(Result::parse(json::parse(R"({"interfaces":null,"ips":null,"routes":null,"dns":null})"), "1.0.0") == Result{});
  CHECK(Result::parse(json::parse(R"({"ip4":null})"), "0.2.0") == Result{});
  // an empty gateway string is no gateway
  CHECK_FALSE(Result::parse(json::parse(R"({"ips":[{"address":"10.0.0.2/24","gateway":""}]})"), "1.0.0").ips[0].gateway);
}

TEST_CASE("malformed results are error 6 naming the field", "[result]") {
  struct Case {
    const char* version;
    const char* json;
    const char* names;
  };
  std::vector<Case> cases = {
      {"1.0.0", R"([])", "object"},
      {"1.0.0", R"("x")", "object"},
      {"1.0.0", R"({"ips":[{"address":"10.1.10.300/24"}]})", "ips[0].address"},
      {"1.0.0", R"({"ips":[{"address":"10.1.10.2"}]})", "ips[0].address"},
      {"1.0.0", R"({"ips":[{"address":"10.1.10.2/40"}]})", "ips[0].address"},
      {"1.0.0", R"({"ips":[{}]})", "ips[0].address"},
      {"1.0.0", R"({"ips":[{"address":5}]})", "ips[0].address"},
      {"1.0.0", R"({"ips":[{"address":"10.0.0.2/24","gateway":"10.0.0.x"}]})", "ips[0].gateway"},
      {"1.0.0", R"({"ips":[{"address":"10.0.0.2/24"},{"address":"bad"}]})", "ips[1].address"},
      {"1.0.0", R"({"ips":[{"address":"10.0.0.2/24","interface":0}]})", "ips[0].interface"},
      {"1.0.0", R"({"interfaces":[{"name":"eth0"}],"ips":[{"address":"10.0.0.2/24","interface":1}]})",
       "ips[0].interface"},
      {"1.0.0", R"({"interfaces":[{"name":"eth0"}],"ips":[{"address":"10.0.0.2/24","interface":-1}]})",
       "ips[0].interface"},
      {"0.3.1", R"({"interfaces":[{"name":"eth0"}],"ips":[{"version":"4","address":"10.0.0.2/24","interface":"0"}]})",
       "ips[0].interface"},
      {"1.0.0", R"({"ips":{"address":"10.0.0.2/24"}})", "ips"},
      {"1.0.0", R"({"ips":["10.0.0.2/24"]})", "ips[0]"},
      {"1.0.0", R"({"interfaces":"eth0"})", "interfaces"},
      {"1.0.0", R"({"interfaces":["eth0"]})", "interfaces[0]"},
      {"1.0.0", R"({"interfaces":[{"name":7}]})", "interfaces[0].name"},
      {"1.0.0", R"({"interfaces":[{"name":"e","mac":false}]})", "interfaces[0].mac"},
      {"1.1.0", R"({"interfaces":[{"name":"e","mtu":"1500"}]})", "interfaces[0].mtu"},
      {"1.1.0", R"({"interfaces":[{"name":"e","mtu":1500.5}]})", "interfaces[0].mtu"},
      {"1.1.0", R"({"interfaces":[{"name":"e","socketPath":1}]})", "interfaces[0].socketPath"},
      {"1.0.0", R"({"routes":{}})", "routes"},
      {"1.0.0", R"({"routes":[{"gw":"10.0.0.1"}]})", "routes[0].dst"},
      {"1.0.0", R"({"routes":[{"dst":"10.0.0.0/8","gw":"nope"}]})", "routes[0].gw"},
      {"1.0.0", R"({"routes":[{"dst":"0.0.0.0/0"},{"dst":"x/8"}]})", "routes[1].dst"},
      {"1.1.0", R"({"routes":[{"dst":"0.0.0.0/0","table":"main"}]})", "routes[0].table"},
      {"1.1.0", R"({"routes":[{"dst":"0.0.0.0/0","mtu":true}]})", "routes[0].mtu"},
      {"1.0.0", R"({"routes":[7]})", "routes[0]"},
      {"1.0.0", R"({"dns":[]})", "dns"},
      {"1.0.0", R"({"dns":{"nameservers":"8.8.8.8"}})", "dns.nameservers"},
      {"1.0.0", R"({"dns":{"nameservers":[8]}})", "dns.nameservers"},
      {"1.0.0", R"({"dns":{"domain":["a"]}})", "dns.domain"},
      {"1.0.0", R"({"dns":{"search":"a"}})", "dns.search"},
      {"0.2.0", R"({"ip4":"10.0.0.2/24"})", "ip4"},
      {"0.2.0", R"({"ip4":{"ip":"10.0.0.2"}})", "ip4.ip"},
      {"0.2.0", R"({"ip4":{}})", "ip4.ip"},
      {"0.1.0", R"({"ip6":{"ip":"2a02::2/64","gateway":"2a02::g"}})", "ip6.gateway"},
      {"0.2.0", R"({"ip4":{"ip":"10.0.0.2/24","routes":{}}})", "ip4.routes"},
      {"0.2.0", R"({"ip4":{"ip":"10.0.0.2/24","routes":[{"dst":"bad"}]}})", "ip4.routes[0].dst"},
      {"0.2.0", R"({"ip6":{"ip":"2a02::2/64","routes":[{"dst":"::/0","gw":"zz"}]}})", "ip6.routes[0].gw"},
  };
  for (const auto& c : cases) {
    INFO(c.version << " " << c.json);
    auto err = parse_error(json::parse(c.json), c.version);
    CHECK(err.code() == kDecodeFailure);
    CHECK_THAT(err.msg(), Catch::Contains(c.names));
  }
}

TEST_CASE("unsupported versions are error 1", "[result]") {
  for (const char* v : {"", "0.5.0", "1.2.0", "2.0.0", "1.0"}) {
    INFO(v);
    CHECK(parse_error(json::object(), v).code() == kIncompatibleVersion);
    CHECK(error_of([&] { sample().to_json(v); }).code() == kIncompatibleVersion);
    CHECK_THAT(error_of([&] { sample().to_json(v); }).msg(), Catch::Contains(std::string("\"") + v + "\""));
  }
}
