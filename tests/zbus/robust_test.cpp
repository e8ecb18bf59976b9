// zbus requests whose arguments come from an attacker (issue 12): a string
// argument holding JSON nested 70,000 deep is an error reply, not the end of
// `zos-nr serve` for every tenant; no root needed (nothing is built).
#include <catch2/catch.hpp>

#include "common/zbus/protocol.h"
#include "plugins/zbus/networker.h"
#include "support/support.h"

using namespace zos;

TEST_CASE("a string argument holding JSON nested 70,000 deep is refused, the server lives", "[zbus][robust]") {
  test::TempDir dir;
  nr::Node node{"node1", dir.path(), "", "", std::nullopt};
  std::string deep = "{\"network_id\":\"zbd\",\"x\":" + std::string(70000, '[') + std::string(70000, ']') + "}";
  zbus::Request req{"id-deep", {zbus::pack_string(deep)}, {"network", "0.0.1"}, "reply-deep", "ApplyNetResource",
                    zbus::Dialect::kArguments};
  std::string reply_to;
  auto r = nr::networker_answer(node, zbus::encode_request(req), &reply_to);
  REQUIRE(r);
  CHECK(reply_to == "reply-deep");
  CHECK(r->error.find("nested 70001 levels deep") != std::string::npos);
  CHECK_FALSE(zbus::encode_response(*r).empty());

  // As msgpack nesting it was capped already: the same answer in kind.
  std::string nested;
  for (int i = 0; i < 70000; ++i) nested += '\x91';  // fixarray of 1
  nested += '\xc0';
  req.args = {nested};
  r = nr::networker_answer(node, zbus::encode_request(req), &reply_to);
  REQUIRE(r);
  CHECK_FALSE(r->error.empty());
}
