#include "plugins/zbus/networker.h"

#include <chrono>

#include "common/cni/error.h"
#include "common/log/log.h"
#include "common/zbus/value.h"
#include "plugins/zbus/go_network.h"
#include "plugins/nr/resource.h"
#include "plugins/nr/state.h"

namespace zos::nr {

namespace {

struct ProtocolError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void want_args(const zbus::Request& req, size_t n) {
  if (req.args.size() != n)
    throw ProtocolError("invalid number of arguments for " + req.method + ": expecting " + std::to_string(n) +
                        " got " + std::to_string(req.args.size()));
}

// Argument 0 as a network object (either form, docs/zbus.md). A value that is not one is a protocol
// error (the client sent the wrong type); an object the model refuses is
// the method's error, like any other refusal of the NR code.
model::Network network_arg(const zbus::Request& req) {
  nlohmann::json j;
  try {
    // A Go module's own struct (Go field names, byte-form IPs), or the JSON
    // network object as a msgpack map or as JSON text.
    msgpack::object_handle oh = zbus::unpack_value(req.args[0]);
    j = is_go_network(oh.get()) ? go_network_json(oh.get()) : zbus::unpack_json(req.args[0]);
  } catch (const zbus::ArgumentError& e) {
    throw ProtocolError("invalid argument type [0] for " + req.method + ": expecting a Network: " + e.what());
  }
  if (!j.is_object())
    throw ProtocolError("invalid argument type [0] for " + req.method + ": expecting a Network (a map), got " +
                        std::string(j.type_name()));
  return model::Network::parse(j);
}

std::string netid_arg(const zbus::Request& req) {
  try {
    return zbus::unpack_string(req.args[0]);
  } catch (const zbus::ArgumentError& e) {
    throw ProtocolError("invalid argument type [0] for " + req.method + ": expecting a NetID (string): " + e.what());
  }
}

std::string namespace_of(const Node& node, const std::string& id) {
  auto ap = State(node.data_dir).applied(id);
  if (!ap) throw cni::Error(kNoResource, "network " + id + " is not applied on this node");
  return ap->netns;
}

}  // namespace

zbus::Response networker_call(const Node& node, const zbus::Request& req) {
  zbus::Response resp;
  resp.id = req.id;
  resp.dialect = req.dialect;
  try {
    if (req.object.name != kNetworkerObject.name || req.object.version != kNetworkerObject.version)
      throw ProtocolError("unknown object " + req.object.str() + " (this server has " + kNetworkerObject.str() + ")");
    // Argument errors are found before the call; what the model or the NR
    // code throws after that is the method's error.
    // (string, error) methods return "" with their error.
    if (req.method == "ApplyNetResource") {
      want_args(req, 1);
      resp.values = {zbus::pack_string("")};
      auto net = network_arg(req);
      resp.values[0] = zbus::pack_string(apply(node, net, ApplyMode::kConverge).resource.plan.netns);
    } else if (req.method == "DeleteNetResource") {
      want_args(req, 1);
      auto net = network_arg(req);
      remove(node, net);
    } else if (req.method == "Namespace") {
      want_args(req, 1);
      resp.values = {zbus::pack_string("")};
      auto id = netid_arg(req);
      resp.values[0] = zbus::pack_string(namespace_of(node, id));
    } else {
      throw ProtocolError("unknown method " + req.method + " of " + req.object.str() +
                          " (ApplyNetResource, DeleteNetResource, Namespace)");
    }
  } catch (const ProtocolError& e) {
    resp.values.clear();
    resp.error = e.what();
  } catch (const cni::Error& e) {
    resp.call_error = e.msg();
  } catch (const std::exception& e) {
    resp.call_error = e.what();
  } catch (...) {
    resp.call_error = "internal error";
  }
  return resp;
}

std::optional<zbus::Response> networker_answer(const Node& node, std::string_view payload, std::string* reply_to) {
  auto t0 = std::chrono::steady_clock::now();
  zbus::Decoded d = zbus::decode_request(payload);
  *reply_to = d.reply_to;
  if (!d.request) {
    if (d.reply_to.empty()) {
      spdlog::warn("dropped a request ({} bytes) that cannot be answered (no readable ReplyTo): {}", payload.size(),
                   d.error);
      return std::nullopt;
    }
    spdlog::warn("request {}: {}", d.id, d.error);
    zbus::Response r;
    r.id = d.id;
    r.error = d.error;
    r.dialect = d.dialect;
    return r;
  }
  zbus::Response r = networker_call(node, *d.request);
  auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (!r.error.empty()) spdlog::warn("{} {}: {}", d.request->method, d.id, r.error);
  else if (r.call_error) spdlog::info("{} {} failed in {:.1f} ms: {}", d.request->method, d.id, ms, *r.call_error);
  else spdlog::info("{} {} done in {:.1f} ms", d.request->method, d.id, ms);
  return r;
}

}  // namespace zos::nr
