// Field readers for the network object, reading JSON the way 0-OS's Go code
// does (encoding/json and the custom decoders of its network_encoding.go),
// so that an object written by 0-OS is read as 0-OS reads it:
//   - keys: the exact spelling first, else the one key that matches under
//     Go's case folding ("Connection" for connection, Go's default name of an
//     untagged field);
//   - net.IP text: "" and Go's "<nil>" are no address, and so is an
//     "addr/len" (net.ParseIP returns nil for it);
//   - net.IPNet: "addr/len" text, or Go's default {"IP", "Mask"} form.
// Every error is cni::Error(7) naming the field's path.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/ip/ip.h"

namespace zos::model::field {

using nlohmann::json;

// "where.key" (just "key" at the top).
std::string at(const std::string& where, std::string_view key);

[[noreturn]] void bad(const std::string& where, const std::string& what);

// The value of field `name` in object `j` as Go's decoder finds it: the key
// spelled exactly so, else the one key equal to it under Go's case folding
// (ASCII case, and U+212A / U+017F for k / s). nullptr when absent, null,
// or `j` is no object. Two folded matches and no exact one: error (Go would
// take the later one in the document, whose order is not kept here).
const json* get(const json& j, std::string_view name, const std::string& where);

std::string str(const json& j, std::string_view key, const std::string& where, bool required = false);
uint64_t num(const json& j, std::string_view key, const std::string& where);
uint16_t port(const json& j, std::string_view key, const std::string& where);
// A bool, or an integer (0-OS's NetResource.exit_point is an int).
bool boolish(const json& j, std::string_view key, const std::string& where);
// An array; an empty one when absent.
const json& list(const json& j, std::string_view key, const std::string& where);

// A net.IP in text: nullopt for "", "<nil>" and "addr/len" (as net.ParseIP).
std::optional<ip::Addr> addr(const json& j, std::string_view key, const std::string& where);
// A net.IPNet: "addr/len" or {"IP", "Mask"}; nullopt for "" and "<nil>".
std::optional<ip::Prefix> prefix(const json& j, std::string_view key, const std::string& where);

}  // namespace zos::model::field
