// The network module's zbus object (module "network", object "network",
// version 0.0.1), 0-OS' Networker interface over the same NR code as the
// CNI verbs and the management subcommands:
//   ApplyNetResource(Network) (string, error)   apply(), converge mode
//   DeleteNetResource(Network) error             remove()
//   Namespace(NetID) (string, error)             the applied NR's namespace
// The Network argument is the network object (msgpack map with the JSON
// field names, or a string holding the JSON document) or a Go module's
// modules.Network as vmihailenco/msgpack encodes it (go_network.h);
// docs/zbus.md.
#pragma once

#include "common/zbus/protocol.h"
#include "plugins/nr/config.h"

namespace zos::nr {

inline constexpr const char* kZbusModule = "network";
inline const zbus::ObjectId kNetworkerObject{"network", "0.0.1"};

// Runs the request and says how it went. Never throws: bad arguments and
// unknown methods are protocol errors (Response::error), what the NR code
// refuses is the method's error (Response::call_error).
zbus::Response networker_call(const Node& node, const zbus::Request& req);

// The reply to a payload popped from the queue; nullopt when it carries no
// readable ReplyTo (nothing can be answered).
std::optional<zbus::Response> networker_answer(const Node& node, std::string_view payload,
                                               std::string* reply_to);

}  // namespace zos::nr
