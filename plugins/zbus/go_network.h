// The Network argument as a Go 0-OS module sends it over zbus: its
// modules.Network struct encoded by vmihailenco/msgpack, which keys structs
// by Go field name (NetID, Resources, Exit, AllocationNR, ...), writes
// net.IP as a bin of its bytes (v4, zbus' encoder) or of its text (v5),
// *net.IPNet as {IP, Mask} and enums as integers. Field names and types:
// threefoldtech/zos modules/network.go at
// 0cc94d90eece58725be2c3cea74d9c0808cb3d6f (docs/zbus.md).
#pragma once

#include <msgpack.hpp>
#include <nlohmann/json.hpp>

namespace zos::nr {

// True for a map keyed by the Go field names (NetID, Resources, Exit or
// AllocationNR present); the JSON-name form has none of them.
bool is_go_network(const msgpack::object& o);

// The same network as the JSON network object (model/network.h):
// IPs as text, IPNets as "addr/len", reachability as "public"/"hidden"/
// "ula". Unknown fields are ignored; a field of the wrong type, an IP of
// another length than 4 or 16 bytes, or a non-contiguous mask throws
// zbus::ArgumentError naming the field by its Go path (Resources[0].Prefix.Mask).
nlohmann::json go_network_json(const msgpack::object& o);

}  // namespace zos::nr
