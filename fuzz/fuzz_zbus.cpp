// zbus requests as popped from Redis (common/zbus/protocol.h).
// Input: the raw payload.
// Properties: decode_request never throws; a decoded request encodes and
// decodes back to the same fields; every argument either converts or
// raises ArgumentError (nothing else); replies always encode, their error
// texts valid UTF-8 whatever the request quoted.
#include "common/zbus/protocol.h"
#include "common/zbus/value.h"
#include "fuzz_support.h"

using namespace zos;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  zbus::Decoded d = zbus::decode_request(in);
  fuzz::require(d.request.has_value() == d.error.empty(), "request and error disagree", d.error);
  if (d.request) {
    auto again = zbus::decode_request(zbus::encode_request(*d.request));
    fuzz::require(again.request.has_value(), "a decoded request does not decode again", again.error);
    fuzz::require(again.request->id == d.request->id && again.request->args == d.request->args &&
                      again.request->method == d.request->method && again.request->reply_to == d.request->reply_to &&
                      again.request->object.str() == d.request->object.str(),
                  "re-encoded request differs");
    for (const auto& a : d.request->args) {
      try {
        zbus::unpack_json(a);
      } catch (const zbus::ArgumentError&) {
      }
      try {
        zbus::unpack_string(a);
      } catch (const zbus::ArgumentError&) {
      }
    }
  }
  // The payload itself as an argument too.
  try {
    auto j = zbus::unpack_json(in);
    (void)zbus::pack_json(j);
  } catch (const zbus::ArgumentError&) {
  }
  // An error quoting what the caller sent, as the Networker's do.
  std::string quoted = d.request ? "unknown method " + d.request->method + " of " + d.request->object.str() : d.error;
  zbus::Response r{d.id, {zbus::pack_nil()}, true, quoted, quoted, d.dialect};
  std::string wire = zbus::encode_response(r);
  msgpack::object_handle oh = msgpack::unpack(wire.data(), wire.size());
  auto error = oh.get().as<std::map<std::string, msgpack::object>>().at("Error").as<std::string>();
  fuzz::require(zbus::valid_utf8(error), "a reply's Error is not UTF-8", error);
  return 0;
}
