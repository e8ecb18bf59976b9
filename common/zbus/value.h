// Reading one msgpack value (a zbus argument) as msgpack-cxx objects, for
// code that needs more than unpack_json's generic mapping (e.g. a Go
// struct's field names and byte-form IPs). Same limits as unpack_json.
#pragma once

#include <msgpack.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/sys/json.h"

namespace zos::zbus {

// The whole of `arg` as one value; ArgumentError when it is not valid
// msgpack, claims more than it holds, nests deeper than 64 or has bytes
// after the value.
msgpack::object_handle unpack_value(std::string_view arg);

// "str", "bin", "map", ... for messages.
const char* type_name(const msgpack::object& o);

// A str, or a bin holding UTF-8; nullopt for anything else.
std::optional<std::string> text_of(const msgpack::object& o);

using sys::valid_utf8;

}  // namespace zos::zbus
