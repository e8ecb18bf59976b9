// The zbus wire protocol (github.com/threefoldtech/zbus, Redis broker):
// requests and responses as msgpack maps whose call arguments and return
// values are themselves msgpack-encoded byte strings. Pure encode/decode, no
// I/O; what is relied on, and where it was checked, is in docs/zbus.md.
//
//   request   {ID, Arguments: [bin...], Object: {Name, Version}, ReplyTo, Method}
//             (later zbus versions call Arguments "Tuple"; both are read)
//   response  {ID, Arguments: [bin...], Error}              for an "Arguments" request
//             {ID, Return: {Tuple: [bin...], Error: {Message}}, Error}   for a "Tuple" one
//
// A method's own error is a return value: nil, or a RemoteError {Message}.
// Error (a string) is the protocol error: unknown method, bad arguments.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/sys/json.h"

namespace zos::zbus {

struct ObjectId {
  std::string name;
  std::string version;
  // "name@version" ("name" when there is no version), as zbus prints it.
  std::string str() const;
};

// The queue a module's object is served on: "<module>.<name>@<version>".
std::string queue_name(const std::string& module, const ObjectId& object);

// Which generation of zbus shaped the request (the reply follows it).
enum class Dialect { kArguments, kTuple };

struct Request {
  std::string id;
  std::vector<std::string> args;  // each one msgpack-encoded
  ObjectId object;
  std::string reply_to;
  std::string method;
  Dialect dialect = Dialect::kArguments;
};

// What could be read of a payload. `request` is set when the whole envelope
// is valid; otherwise `error` says what is wrong, and `id` / `reply_to` hold
// whatever could be read of them, so the sender can still get an error reply
// when reply_to is not empty.
struct Decoded {
  std::optional<Request> request;
  std::string error;
  std::string id;
  std::string reply_to;
  Dialect dialect = Dialect::kArguments;
};

// Never throws: malformed input gives Decoded::error.
Decoded decode_request(std::string_view payload);

struct Response {
  std::string id;
  std::vector<std::string> values;        // return values, each msgpack-encoded, without the error
  bool returns_error = true;              // the method's signature ends with `error`
  std::optional<std::string> call_error;  // that error (nullopt: nil)
  std::string error;                      // protocol error ("" when the call happened)
  Dialect dialect = Dialect::kArguments;
};

// `error` and `call_error` go out as valid UTF-8 (a byte that is not UTF-8
// becomes U+FFFD), whatever they quote; the ID and values as they are.
std::string encode_response(const Response& r);
// The request as a zbus client sends it (used by tests and tools).
std::string encode_request(const Request& r);

// Values.
std::string pack_string(std::string_view s);
std::string pack_nil();

// Thrown by the argument readers below; the message says what was expected.
// Messages quote what the caller sent (a key, a value), which may be any
// bytes: the message is made valid UTF-8 here, once for every thrower, as
// the reply must be.
struct ArgumentError : std::runtime_error {
  explicit ArgumentError(std::string_view what) : std::runtime_error(sys::sanitize_utf8(what)) {}
};

// A msgpack str (or bin holding UTF-8) argument.
std::string unpack_string(std::string_view arg);

// A msgpack value as JSON: maps with string keys become objects, arrays
// arrays, str (and bin that is valid UTF-8) strings, integers, floats, bool
// and nil themselves. Non-string map keys, duplicate keys, ext types,
// invalid UTF-8 and nesting deeper than 64 are refused. A str or bin that
// holds a JSON document ("{...}") is parsed as JSON, so a client that has
// the network object as JSON text may send it as is.
nlohmann::json unpack_json(std::string_view arg);

// JSON as msgpack (the inverse of unpack_json for the map form).
std::string pack_json(const nlohmann::json& j);

}  // namespace zos::zbus
