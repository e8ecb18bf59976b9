// zbus requests as popped from Redis (common/zbus/protocol.h).
// Input: the raw payload.
// Properties: decode_request never throws; a decoded request encodes and
// decodes back to the same fields; every argument either converts or
// raises ArgumentError (nothing else); replies always encode.
#include "common/zbus/protocol.h"
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
  zbus::Response r{d.id, {zbus::pack_nil()}, true, d.error, d.error, d.dialect};
  (void)zbus::encode_response(r);
  return 0;
}
