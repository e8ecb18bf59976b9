// The Network argument of ApplyNetResource / DeleteNetResource as zbus
// delivers it: a Go module's modules.Network (vmihailenco/msgpack,
// plugins/zbus/go_network.h) or the JSON-name form, through the model and
// the validation apply() runs first, to the zbus reply that is sent.
// Properties: only zbus::ArgumentError (a protocol error) or cni::Error
// (the method's error) come out; the reply encodes and its messages are
// UTF-8 (Python and Go clients decode them as text).
#include "common/sys/json.h"
#include "common/zbus/protocol.h"
#include "common/zbus/value.h"
#include "fuzz_support.h"
#include "plugins/zbus/go_network.h"
#include "plugins/nr/resource.h"
#include "plugins/nr/validate.h"

using namespace zos;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  zbus::Response resp;
  resp.id = "fuzz";
  try {
    msgpack::object_handle oh = zbus::unpack_value(in);
    nlohmann::json j = nr::is_go_network(oh.get()) ? nr::go_network_json(oh.get()) : zbus::unpack_json(in);
    auto net = model::Network::parse(j);
    nr::Node node;
    for (const auto& r : net.resources) {
      node.id = r.node_id.id;
      nr::validate(node, net, nr::resolve(net, node.id).nr);
    }
  } catch (const zbus::ArgumentError& e) {
    resp.error = e.what();
  } catch (const cni::Error& e) {
    resp.call_error = e.msg();
  } catch (const std::exception& e) {
    fuzz::require(false, "unexpected exception", e.what());
  }
  fuzz::require(sys::valid_utf8(resp.error), "protocol error is not UTF-8", resp.error);
  fuzz::require(!resp.call_error || sys::valid_utf8(*resp.call_error), "method error is not UTF-8", *resp.call_error);
  fuzz::require(!zbus::encode_response(resp).empty(), "empty reply");
  return 0;
}
