// zbus wire format: requests as a Go zbus client encodes them (hand-written
// bytes, from the msgpack spec), replies in both zbus dialects, and the
// msgpack -> JSON conversion of arguments (checked against nlohmann's own
// msgpack reader).
#include <catch2/catch.hpp>

#include "common/zbus/protocol.h"
#include "common/zbus/value.h"

using namespace zos::zbus;
using nlohmann::json;

namespace {

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s.push_back(static_cast<char>(c));
  return s;
}

// A str of up to 31 bytes (fixstr).
std::string fixstr(const std::string& s) { return std::string(1, static_cast<char>(0xa0 | s.size())) + s; }
std::string bin8(const std::string& s) { return bytes({0xc4, static_cast<int>(s.size())}) + s; }

}  // namespace

TEST_CASE("a request as zbus (Go, vmihailenco/msgpack) encodes it", "[zbus]") {
  // {ID: "r1", Arguments: [bin("\xa3net")], Object: {Name: "network", Version: "0.0.1"},
  //  ReplyTo: "q1", Method: "Namespace"}
  std::string p = bytes({0x85}) + fixstr("ID") + fixstr("r1") + fixstr("Arguments") + bytes({0x91}) +
                  bin8(fixstr("net")) + fixstr("Object") + bytes({0x82}) + fixstr("Name") + fixstr("network") +
                  fixstr("Version") + fixstr("0.0.1") + fixstr("ReplyTo") + fixstr("q1") + fixstr("Method") +
                  fixstr("Namespace");
  auto d = decode_request(p);
  INFO(d.error);
  REQUIRE(d.request);
  CHECK(d.request->id == "r1");
  CHECK(d.request->reply_to == "q1");
  CHECK(d.request->method == "Namespace");
  CHECK(d.request->object.str() == "network@0.0.1");
  CHECK(queue_name("network", d.request->object) == "network.network@0.0.1");
  REQUIRE(d.request->args.size() == 1);
  CHECK(unpack_string(d.request->args[0]) == "net");
  CHECK(d.request->dialect == Dialect::kArguments);
  // What encode_request makes is read back the same.
  auto again = decode_request(encode_request(*d.request));
  REQUIRE(again.request);
  CHECK(again.request->args == d.request->args);
  CHECK(again.request->method == "Namespace");
}

TEST_CASE("malformed requests: an error, and the ReplyTo when it can be read", "[zbus]") {
  SECTION("not msgpack at all") {
    auto d = decode_request(bytes({0xc1}));
    CHECK_FALSE(d.request);
    CHECK(d.error.find("not valid msgpack") != std::string::npos);
    CHECK(d.reply_to.empty());
  }
  SECTION("truncated") {
    auto d = decode_request(bytes({0x85}) + fixstr("ID"));
    CHECK_FALSE(d.request);
    CHECK_FALSE(d.error.empty());
  }
  SECTION("trailing bytes") {
    auto d = decode_request(bytes({0x80, 0x00}));
    CHECK_FALSE(d.request);
    CHECK(d.error.find("after the end") != std::string::npos);
  }
  SECTION("a huge array claimed by a few bytes is refused, not allocated") {
    auto d = decode_request(bytes({0xdd, 0xff, 0xff, 0xff, 0xff}));
    CHECK_FALSE(d.request);
    CHECK_FALSE(d.error.empty());
  }
  SECTION("not a map") {
    auto d = decode_request(bytes({0x93, 0x01, 0x02, 0x03}));
    CHECK(d.error == "the request is a msgpack array, not a map");
  }
  SECTION("Arguments not an array: the ReplyTo is still read") {
    std::string p = bytes({0x85}) + fixstr("ID") + fixstr("r2") + fixstr("Arguments") + bytes({0x07}) +
                    fixstr("Object") + bytes({0x80}) + fixstr("ReplyTo") + fixstr("back") + fixstr("Method") +
                    fixstr("X");
    auto d = decode_request(p);
    CHECK_FALSE(d.request);
    CHECK(d.error == "Arguments is a msgpack integer, not an array");
    CHECK(d.reply_to == "back");
    CHECK(d.id == "r2");
  }
  SECTION("an argument that is not bytes") {
    std::string p = bytes({0x84}) + fixstr("Arguments") + bytes({0x91, 0x80}) + fixstr("Object") + bytes({0x80}) +
                    fixstr("ReplyTo") + fixstr("back") + fixstr("Method") + fixstr("X");
    auto d = decode_request(p);
    CHECK(d.error == "argument 0 is a msgpack map, not msgpack-encoded bytes");
  }
  SECTION("no Method") {
    auto d = decode_request(bytes({0x81}) + fixstr("ReplyTo") + fixstr("back"));
    CHECK(d.error == "the request has no Method");
    CHECK(d.reply_to == "back");
  }
}

TEST_CASE("the newer zbus dialect (Tuple / Return) is read and answered in kind", "[zbus]") {
  Request r{"id", {pack_string("x")}, {"network", "0.0.1"}, "rt", "Namespace", Dialect::kTuple};
  auto d = decode_request(encode_request(r));
  REQUIRE(d.request);
  CHECK(d.request->dialect == Dialect::kTuple);
  Response resp{"id", {pack_string("ns")}, true, std::string("boom"), "", Dialect::kTuple};
  json j = json::from_msgpack(encode_response(resp));
  CHECK(j["ID"] == "id");
  CHECK(j["Error"] == "");
  REQUIRE(j["Return"]["Tuple"].size() == 1);
  CHECK(json::from_msgpack(j["Return"]["Tuple"][0].get_binary()) == "ns");
  CHECK(j["Return"]["Error"]["Message"] == "boom");
}

TEST_CASE("responses: values, the method's error last, the protocol error", "[zbus]") {
  auto decode = [](const Response& r) { return json::from_msgpack(encode_response(r)); };
  SECTION("(string, error) with a nil error") {
    json j = decode({"a", {pack_string("net-0c00-0")}, true, std::nullopt, "", Dialect::kArguments});
    CHECK(j.size() == 3);
    CHECK(j["ID"] == "a");
    CHECK(j["Error"] == "");
    REQUIRE(j["Arguments"].size() == 2);
    CHECK(json::from_msgpack(j["Arguments"][0].get_binary()) == "net-0c00-0");
    CHECK(json::from_msgpack(j["Arguments"][1].get_binary()).is_null());
  }
  SECTION("error only, set: a RemoteError {Message}") {
    json j = decode({"b", {}, true, std::string("no such network"), "", Dialect::kArguments});
    REQUIRE(j["Arguments"].size() == 1);
    CHECK(json::from_msgpack(j["Arguments"][0].get_binary()) == json{{"Message", "no such network"}});
  }
  SECTION("a protocol error carries no values") {
    json j = decode({"c", {pack_string("x")}, true, std::nullopt, "unknown method Foo", Dialect::kArguments});
    CHECK(j["Arguments"].empty());
    CHECK(j["Error"] == "unknown method Foo");
  }
}

TEST_CASE("arguments: msgpack values as JSON", "[zbus]") {
  json net = {{"network_id", "n1"},
              {"version", 3},
              {"allocation_nr", 0},
              {"neg", -5},
              {"f", 1.5},
              {"flag", true},
              {"none", nullptr},
              {"resources", json::array({{{"node_id", {{"id", "node1"}}}, {"prefix", "2a02:1802:5e:c00::/64"}}})}};
  std::string packed = pack_json(net);
  CHECK(unpack_json(packed) == net);
  // The same bytes, read by an independent msgpack reader.
  CHECK(json::from_msgpack(packed) == net);
  // nlohmann's writer picks other encodings (fixint sizes, float32...); still the same JSON.
  auto other = json::to_msgpack(net);
  CHECK(unpack_json(std::string(other.begin(), other.end())) == net);

  SECTION("the JSON document as a string") {
    CHECK(unpack_json(pack_string(net.dump())) == net);
    CHECK_THROWS_AS(unpack_json(pack_string("{not json")), ArgumentError);
  }
  SECTION("bin holding UTF-8 is a string; other bin is refused") {
    CHECK(unpack_json(bin8("abc")) == "abc");
    CHECK_THROWS_WITH(unpack_json(bin8("\xff\xfe")), Catch::Contains("not valid UTF-8"));
  }
  SECTION("what JSON cannot say is refused, with the place") {
    CHECK_THROWS_WITH(unpack_json(bytes({0x81, 0x01, 0x02})), Catch::Contains("keys must be strings"));
    CHECK_THROWS_WITH(unpack_json(bytes({0x82}) + fixstr("a") + bytes({1}) + fixstr("a") + bytes({2})),
                      Catch::Contains("appears twice"));
    CHECK_THROWS_WITH(unpack_json(bytes({0x81}) + fixstr("k") + bytes({0xd4, 0x01, 0x00})),
                      Catch::Contains("$.k: msgpack ext"));
    CHECK_THROWS_AS(unpack_json(bytes({0xc1})), ArgumentError);
    CHECK_THROWS_AS(unpack_json(bytes({0xdf, 0x7f, 0xff, 0xff, 0xff})), ArgumentError);
  }
  SECTION("nesting is bounded") {
    std::string deep(100, static_cast<char>(0x91));
    deep.push_back(0x01);
    CHECK_THROWS_AS(unpack_json(deep), ArgumentError);
    std::string ok(60, static_cast<char>(0x91));
    ok.push_back(0x01);
    CHECK_NOTHROW(unpack_json(ok));
  }
  SECTION("strings") {
    CHECK(unpack_string(pack_string("net1")) == "net1");
    CHECK_THROWS_WITH(unpack_string(pack_json(7)), Catch::Contains("expected a string"));
  }
}

TEST_CASE("reply error texts are valid UTF-8 whatever they quote, the ID comes back as sent", "[zbus]") {
  // What a client's msgpack reader sees: the raw str bytes of each field.
  auto fields = [](const std::string& wire) {
    msgpack::object_handle oh = msgpack::unpack(wire.data(), wire.size());
    std::map<std::string, msgpack::object> m;
    oh.get().convert(m);
    return std::make_pair(std::move(oh), m);
  };
  auto str = [](const msgpack::object& o) { return o.as<std::string>(); };
  const std::string raw = "unknown method \xff\xfe\n";
  for (Dialect dialect : {Dialect::kArguments, Dialect::kTuple}) {
    auto [oh, m] = fields(encode_response({"id\xff", {}, true, std::nullopt, raw, dialect}));
    CHECK(str(m.at("ID")) == "id\xff");
    CHECK(valid_utf8(str(m.at("Error"))));
    CHECK(str(m.at("Error")) == "unknown method \xef\xbf\xbd\xef\xbf\xbd\n");
  }
  auto [oh, m] = fields(encode_response({"a", {}, true, std::string("no network \xc3"), "", Dialect::kArguments}));
  auto args = m.at("Arguments").as<std::vector<std::string>>();
  REQUIRE(args.size() == 1);
  json message = json::from_msgpack(args[0]);
  CHECK(message["Message"] == "no network \xef\xbf\xbd");
  auto [oh2, m2] = fields(encode_response({"a", {}, true, std::string("no network \xc3"), "", Dialect::kTuple}));
  auto ret = m2.at("Return").as<std::map<std::string, msgpack::object>>();
  CHECK(str(ret.at("Error").as<std::map<std::string, msgpack::object>>().at("Message")) == "no network \xef\xbf\xbd");
}
