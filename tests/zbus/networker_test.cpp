// The Networker object without a broker: dispatch, argument checks, and
// which failures are protocol errors and which are the method's errors.
// No root needed: nothing here gets as far as building an NR (the live path
// is tests/zbus/serve_test.py, against redis-server).
#include <catch2/catch.hpp>

#include "common/log/log.h"
#include "common/sys/flags.h"
#include "common/zbus/broker.h"
#include "common/zbus/value.h"
#include "plugins/zbus/networker.h"
#include "plugins/zbus/serve.h"
#include "plugins/nr/state.h"
#include "support/support.h"

using namespace zos;
using nlohmann::json;

namespace {

zbus::Request request(const std::string& method, std::vector<std::string> args) {
  return {"id-1", std::move(args), {"network", "0.0.1"}, "reply-1", method, zbus::Dialect::kArguments};
}

json net_object(const std::string& node) {
  return {{"network_id", "zbn"},
          {"version", 1},
          {"resources", json::array({{{"node_id", {{"id", node}}}, {"prefix", "2a02:1802:5e:cff::/64"}}})}};
}

}  // namespace

TEST_CASE("Namespace answers from the applied state", "[zbus]") {
  test::TempDir dir;
  nr::Node node{"node1", dir.path(), "", "", std::nullopt};
  nr::State(dir.path()).save_applied({"zbn", 1, "net-0cff-0", "node1", net_object("node1")});

  auto r = nr::networker_call(node, request("Namespace", {zbus::pack_string("zbn")}));
  CHECK(r.error.empty());
  CHECK_FALSE(r.call_error);
  REQUIRE(r.values.size() == 1);
  CHECK(zbus::unpack_string(r.values[0]) == "net-0cff-0");

  r = nr::networker_call(node, request("Namespace", {zbus::pack_string("other")}));
  CHECK(r.error.empty());
  REQUIRE(r.call_error);
  CHECK(*r.call_error == "network other is not applied on this node");
  REQUIRE(r.values.size() == 1);  // (string, error): "" and the error
  CHECK(zbus::unpack_string(r.values[0]).empty());
}

TEST_CASE("the NR code's refusals are the method's errors", "[zbus]") {
  test::TempDir dir;
  nr::Node node{"node1", dir.path(), "", "", std::nullopt};
  SECTION("a delete older than the applied version (a stale or replayed request)") {
    json v2 = net_object("node1");
    v2["version"] = 2;
    nr::State(dir.path()).save_applied({"zbn", 2, "net-0cff-0", "node1", v2});
    auto r = nr::networker_call(node, request("DeleteNetResource", {zbus::pack_json(net_object("node1"))}));
    CHECK(r.error.empty());
    REQUIRE(r.call_error);
    CHECK(r.call_error->find("older than the applied version 2") != std::string::npos);
    CHECK(nr::State(dir.path()).applied("zbn"));
  }
  SECTION("no resource for this node") {
    auto r = nr::networker_call(node, request("ApplyNetResource", {zbus::pack_json(net_object("elsewhere"))}));
    CHECK(r.error.empty());
    REQUIRE(r.call_error);
    CHECK(r.call_error->find("has no resource for node \"node1\"") != std::string::npos);
    CHECK(r.values.size() == 1);
  }
  SECTION("a network object the model refuses") {
    json bad = net_object("node1");
    bad["resources"][0]["prefix"] = "not-a-prefix";
    auto r = nr::networker_call(node, request("DeleteNetResource", {zbus::pack_json(bad)}));
    CHECK(r.error.empty());
    REQUIRE(r.call_error);
    CHECK(r.values.empty());  // error only
  }
}

TEST_CASE("names another network owns: the error does not say which network", "[zbus]") {
  test::TempDir dir;
  nr::Node node{"node1", dir.path(), "", "", std::nullopt};
  nr::State(dir.path()).set_owner("net-0cff-0", "tenant-b-net");
  for (const char* method : {"ApplyNetResource", "DeleteNetResource"}) {
    auto r = nr::networker_call(node, request(method, {zbus::pack_json(net_object("node1"))}));
    CHECK(r.error.empty());
    REQUIRE(r.call_error);
    CHECK_THAT(*r.call_error, Catch::StartsWith("network zbn: another network on this node uses net-0cff-0"));
    CHECK_THAT(*r.call_error, !Catch::Contains("tenant-b-net"));
  }
}

TEST_CASE("protocol errors: method, object, argument count and type", "[zbus]") {
  test::TempDir dir;
  nr::Node node{"node1", dir.path(), "", "", std::nullopt};
  auto error_of = [&](const zbus::Request& req) {
    auto r = nr::networker_call(node, req);
    CHECK_FALSE(r.call_error);
    CHECK(r.values.empty());
    return r.error;
  };
  CHECK_THAT(error_of(request("Frobnicate", {})), Catch::StartsWith("unknown method Frobnicate"));
  auto wrong = request("Namespace", {zbus::pack_string("x")});
  wrong.object.version = "0.0.2";
  CHECK_THAT(error_of(wrong), Catch::StartsWith("unknown object network@0.0.2"));
  CHECK(error_of(request("Namespace", {})) == "invalid number of arguments for Namespace: expecting 1 got 0");
  CHECK_THAT(error_of(request("ApplyNetResource", {zbus::pack_json(42)})),
             Catch::Contains("expecting a Network (a map), got number"));
  CHECK_THAT(error_of(request("ApplyNetResource", {std::string("\xc1")})), Catch::Contains("not valid msgpack"));
  CHECK_THAT(error_of(request("Namespace", {zbus::pack_json(json::array())})), Catch::Contains("expecting a NetID"));
}

TEST_CASE("a payload without a readable ReplyTo gets no reply, with one it gets the error", "[zbus]") {
  log::init("test_zbus");  // networker_answer logs what it drops
  test::TempDir dir;
  nr::Node node{"node1", dir.path(), "", "", std::nullopt};
  std::string to;
  CHECK_FALSE(nr::networker_answer(node, "\xc1garbage", &to));
  auto req = request("Nope", {});
  auto r = nr::networker_answer(node, zbus::encode_request(req), &to);
  REQUIRE(r);
  CHECK(to == "reply-1");
  CHECK(r->id == "id-1");
  CHECK_THAT(r->error, Catch::StartsWith("unknown method Nope"));
}

TEST_CASE("a method or object name that is not UTF-8 is quoted as UTF-8 in the reply", "[zbus]") {
  test::TempDir dir;
  nr::Node node{"node1", dir.path(), "", "", std::nullopt};
  std::string to;
  auto reply_error = [&](const zbus::Request& req) {
    auto r = nr::networker_answer(node, zbus::encode_request(req), &to);
    REQUIRE(r);
    std::string wire = zbus::encode_response(*r);
    msgpack::object_handle oh = msgpack::unpack(wire.data(), wire.size());
    return oh.get().as<std::map<std::string, msgpack::object>>().at("Error").as<std::string>();
  };
  std::string e = reply_error(request("Frob\xff\xfe", {}));
  CHECK(zbus::valid_utf8(e));
  CHECK_THAT(e, Catch::StartsWith("unknown method Frob\xef\xbf\xbd\xef\xbf\xbd of network@0.0.1"));
  auto wrong = request("Namespace", {zbus::pack_string("x")});
  wrong.object.name = "net\xc3";
  e = reply_error(wrong);
  CHECK(zbus::valid_utf8(e));
  CHECK_THAT(e, Catch::StartsWith("unknown object net\xef\xbf\xbd@0.0.1"));
}

TEST_CASE("serve flags", "[zbus]") {
  auto o = nr::parse_serve({"serve", "--broker", "unix:///tmp/r.sock", "--node", "n", "--workers", "3"});
  CHECK(o.workers == 3);
  CHECK(o.node.id == "n");
  CHECK(o.node.public_netns == "public");
  CHECK(nr::parse_serve({"serve", "--broker", "unix:///x", "--node", "n", "--public-namespace", "pub7"}).node.public_netns ==
        "pub7");
  CHECK_THROWS_WITH(nr::parse_serve({"serve", "--node", "n"}), "serve needs --broker");
  CHECK_THROWS_WITH(nr::parse_serve({"serve", "--broker", "unix:///x"}), "serve needs --node <id>");
  CHECK_THROWS_AS(nr::parse_serve({"serve", "--broker", "unix:///x", "--node", "n", "--workers", "0"}),
                  sys::UsageError);
  CHECK_THROWS_AS(nr::parse_serve({"serve", "--broker", "unix:///x", "--node", "n", "--workers", "65"}),
                  sys::UsageError);
  CHECK_THROWS_AS(nr::parse_serve({"serve", "--broker", "http://x", "--node", "n"}), sys::UsageError);
  CHECK_THROWS_WITH(nr::parse_serve({"serve", "--broker", "unix:///x", "--node", "n", "--bogus"}),
                    "unknown argument --bogus");
  CHECK_THROWS_WITH(nr::parse_serve({"serve", "--broker", "unix:///x", "--node"}), "--node needs a value");
}

TEST_CASE("broker addresses", "[zbus]") {
  using zbus::BrokerAddress;
  auto a = BrokerAddress::parse("redis://10.0.0.1:6380");
  CHECK(a.host == "10.0.0.1");
  CHECK(a.port == 6380);
  CHECK(BrokerAddress::parse("tcp://localhost").port == 6379);
  CHECK(BrokerAddress::parse("redis://[::1]:7000").host == "::1");
  CHECK(BrokerAddress::parse("redis://[::1]:7000").str() == "redis://[::1]:7000");
  CHECK(BrokerAddress::parse("redis://:secret@h:1").password == "secret");
  CHECK(BrokerAddress::parse("unix:///var/run/redis.sock").path == "/var/run/redis.sock");
  CHECK_THROWS_AS(BrokerAddress::parse("unix://relative"), std::invalid_argument);
  CHECK_THROWS_AS(BrokerAddress::parse("redis://h:99999"), std::invalid_argument);
  CHECK_THROWS_AS(BrokerAddress::parse("redis://h/2"), std::invalid_argument);
  CHECK_THROWS_AS(BrokerAddress::parse("h:6379"), std::invalid_argument);
}
