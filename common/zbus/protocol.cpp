#include "common/zbus/protocol.h"

#include "common/sys/json.h"
#include "common/zbus/value.h"

namespace zos::zbus {

using nlohmann::json;

namespace {

// Every container or string header claims a size; none can be larger than
// the payload itself (each element takes at least one byte), so a 5-byte
// payload never makes the unpacker allocate gigabytes.
msgpack::object_handle unpack_whole(std::string_view data) {
  std::size_t n = data.size();
  msgpack::unpack_limit limit(n, n, n, n, n, sys::kMaxJsonDepth);
  std::size_t off = 0;
  msgpack::object_handle oh = msgpack::unpack(data.data(), data.size(), off, nullptr, nullptr, limit);
  if (off != data.size())
    throw std::runtime_error(std::to_string(data.size() - off) + " bytes after the end of the msgpack value");
  return oh;
}

json to_json(const msgpack::object& o, const std::string& where) {
  switch (o.type) {
    case msgpack::type::NIL: return nullptr;
    case msgpack::type::BOOLEAN: return o.via.boolean;
    case msgpack::type::POSITIVE_INTEGER: return o.via.u64;
    case msgpack::type::NEGATIVE_INTEGER: return o.via.i64;
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64: return o.via.f64;
    case msgpack::type::STR:
    case msgpack::type::BIN: {
      std::string s = *text_of(o);
      if (!valid_utf8(s)) throw ArgumentError(where + ": " + type_name(o) + " is not valid UTF-8");
      return s;
    }
    case msgpack::type::ARRAY: {
      json a = json::array();
      for (uint32_t i = 0; i < o.via.array.size; ++i)
        a.push_back(to_json(o.via.array.ptr[i], where + "[" + std::to_string(i) + "]"));
      return a;
    }
    case msgpack::type::MAP: {
      json m = json::object();
      for (uint32_t i = 0; i < o.via.map.size; ++i) {
        const auto& kv = o.via.map.ptr[i];
        auto key = text_of(kv.key);
        if (!key) throw ArgumentError(where + ": a map key is " + type_name(kv.key) + ", keys must be strings");
        if (!valid_utf8(*key)) throw ArgumentError(where + ": a map key is not valid UTF-8");
        if (m.contains(*key)) throw ArgumentError(where + ": key \"" + *key + "\" appears twice");
        m[*key] = to_json(kv.val, where + "." + *key);
      }
      return m;
    }
    case msgpack::type::EXT: break;
  }
  throw ArgumentError(where + ": msgpack " + type_name(o) + " values are not supported");
}

using Packer = msgpack::packer<msgpack::sbuffer>;

void put_str(Packer& pk, std::string_view s) {
  pk.pack_str(static_cast<uint32_t>(s.size()));
  pk.pack_str_body(s.data(), static_cast<uint32_t>(s.size()));
}

void put_bins(Packer& pk, const std::vector<std::string>& v) {
  pk.pack_array(static_cast<uint32_t>(v.size()));
  for (const auto& b : v) {
    pk.pack_bin(static_cast<uint32_t>(b.size()));
    pk.pack_bin_body(b.data(), static_cast<uint32_t>(b.size()));
  }
}

void put_json(Packer& pk, const json& j) {
  switch (j.type()) {
    case json::value_t::null: pk.pack_nil(); return;
    case json::value_t::boolean: j.get<bool>() ? pk.pack_true() : pk.pack_false(); return;
    case json::value_t::number_unsigned: pk.pack_uint64(j.get<uint64_t>()); return;
    case json::value_t::number_integer: pk.pack_int64(j.get<int64_t>()); return;
    case json::value_t::number_float: pk.pack_double(j.get<double>()); return;
    case json::value_t::string: put_str(pk, j.get_ref<const std::string&>()); return;
    case json::value_t::array:
      pk.pack_array(static_cast<uint32_t>(j.size()));
      for (const auto& e : j) put_json(pk, e);
      return;
    case json::value_t::object:
      pk.pack_map(static_cast<uint32_t>(j.size()));
      for (const auto& [k, v] : j.items()) {
        put_str(pk, k);
        put_json(pk, v);
      }
      return;
    default: throw std::invalid_argument("pack_json: unsupported JSON value");
  }
}

std::string str_of(const msgpack::sbuffer& b) { return std::string(b.data(), b.size()); }

// Reads the envelope into `d`; returns the error, "" when it is whole.
std::string read_envelope(const msgpack::object& top, Decoded& d, Request& r) {
  if (top.type != msgpack::type::MAP) return std::string("the request is a msgpack ") + type_name(top) + ", not a map";
  const msgpack::object* args = nullptr;
  bool has_method = false, has_object = false;
  std::string err;
  auto note = [&](std::string e) {
    if (err.empty()) err = std::move(e);
  };
  // ID and ReplyTo first, so that an error reply can be sent whatever else is wrong.
  for (uint32_t i = 0; i < top.via.map.size; ++i) {
    const auto& kv = top.via.map.ptr[i];
    auto key = text_of(kv.key);
    if (!key) continue;
    if (*key == "ID" || *key == "ReplyTo") {
      auto v = text_of(kv.val);
      if (!v) note(*key + " is a msgpack " + type_name(kv.val) + ", not a string");
      else (*key == "ID" ? d.id : d.reply_to) = *v;
    }
  }
  for (uint32_t i = 0; i < top.via.map.size; ++i) {
    const auto& kv = top.via.map.ptr[i];
    auto key = text_of(kv.key);
    if (!key) {
      note(std::string("a key of the request is a msgpack ") + type_name(kv.key) + ", not a string");
      continue;
    }
    if (*key == "Method") {
      auto v = text_of(kv.val);
      if (!v) note(std::string("Method is a msgpack ") + type_name(kv.val) + ", not a string");
      else r.method = *v, has_method = true;
    } else if (*key == "Arguments" || *key == "Tuple") {
      args = &kv.val;
      d.dialect = *key == "Tuple" ? Dialect::kTuple : Dialect::kArguments;
    } else if (*key == "Object") {
      if (kv.val.type != msgpack::type::MAP) {
        note(std::string("Object is a msgpack ") + type_name(kv.val) + ", not a map {Name, Version}");
        continue;
      }
      has_object = true;
      for (uint32_t k = 0; k < kv.val.via.map.size; ++k) {
        const auto& o = kv.val.via.map.ptr[k];
        auto ok = text_of(o.key);
        auto ov = text_of(o.val);
        if (!ok || (*ok != "Name" && *ok != "Version")) continue;
        if (!ov) note("Object." + *ok + " is a msgpack " + type_name(o.val) + ", not a string");
        else (*ok == "Name" ? r.object.name : r.object.version) = *ov;
      }
    }
  }
  r.dialect = d.dialect;
  if (!has_method) note("the request has no Method");
  if (!has_object) note("the request has no Object");
  if (args && args->type == msgpack::type::ARRAY) {
    for (uint32_t i = 0; i < args->via.array.size; ++i) {
      const auto& a = args->via.array.ptr[i];
      auto v = text_of(a);
      if (!v) note("argument " + std::to_string(i) + " is a msgpack " + type_name(a) + ", not msgpack-encoded bytes");
      else r.args.push_back(std::move(*v));
    }
  } else if (args && args->type != msgpack::type::NIL) {
    note(std::string("Arguments is a msgpack ") + type_name(*args) + ", not an array");
  }
  return err;
}

}  // namespace

const char* type_name(const msgpack::object& o) {
  switch (o.type) {
    case msgpack::type::NIL: return "nil";
    case msgpack::type::BOOLEAN: return "bool";
    case msgpack::type::POSITIVE_INTEGER:
    case msgpack::type::NEGATIVE_INTEGER: return "integer";
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64: return "float";
    case msgpack::type::STR: return "str";
    case msgpack::type::BIN: return "bin";
    case msgpack::type::ARRAY: return "array";
    case msgpack::type::MAP: return "map";
    case msgpack::type::EXT: return "ext";
  }
  return "unknown";
}

// str, or bin holding UTF-8; nullopt for anything else.
std::optional<std::string> text_of(const msgpack::object& o) {
  if (o.type == msgpack::type::STR) return std::string(o.via.str.ptr, o.via.str.size);
  if (o.type == msgpack::type::BIN) return std::string(o.via.bin.ptr, o.via.bin.size);
  return std::nullopt;
}

std::string ObjectId::str() const { return version.empty() ? name : name + "@" + version; }

std::string queue_name(const std::string& module, const ObjectId& object) { return module + "." + object.str(); }

Decoded decode_request(std::string_view payload) {
  Decoded d;
  try {
    msgpack::object_handle oh = unpack_whole(payload);
    Request r;
    d.error = read_envelope(oh.get(), d, r);
    r.id = d.id;
    r.reply_to = d.reply_to;
    if (d.error.empty()) d.request = std::move(r);
  } catch (const std::bad_alloc&) {
    d.error = "the request is too large to decode";
  } catch (const std::exception& e) {
    d.error = std::string("the request is not valid msgpack: ") + e.what();
  }
  return d;
}

std::string encode_response(const Response& r) {
  msgpack::sbuffer buf;
  Packer pk(&buf);
  bool failed = !r.error.empty();
  // Error texts quote what the caller sent (a method, an object, a key),
  // which may be any bytes, and a client decodes them as strings. Only the
  // error texts are cleaned: the ID must come back as sent (the client
  // matches it), and the generic packer stays byte for byte (requests
  // round-trip).
  const std::string error = sys::sanitize_utf8(r.error);
  const std::string call_error = r.call_error ? sys::sanitize_utf8(*r.call_error) : std::string();
  pk.pack_map(3);
  put_str(pk, "ID");
  put_str(pk, r.id);
  if (r.dialect == Dialect::kArguments) {
    // zbus' first generation: the error is the last return value.
    std::vector<std::string> values;
    if (!failed) {
      values = r.values;
      if (r.returns_error) {
        if (!r.call_error) {
          values.push_back(pack_nil());
        } else {
          msgpack::sbuffer e;
          Packer ep(&e);
          ep.pack_map(1);
          put_str(ep, "Message");
          put_str(ep, call_error);
          values.push_back(str_of(e));
        }
      }
    }
    put_str(pk, "Arguments");
    put_bins(pk, values);
  } else {
    put_str(pk, "Return");
    pk.pack_map(2);
    put_str(pk, "Tuple");
    put_bins(pk, failed ? std::vector<std::string>{} : r.values);
    put_str(pk, "Error");
    pk.pack_map(1);
    put_str(pk, "Message");
    put_str(pk, failed ? std::string() : call_error);
  }
  put_str(pk, "Error");
  put_str(pk, error);
  return str_of(buf);
}

std::string encode_request(const Request& r) {
  msgpack::sbuffer buf;
  Packer pk(&buf);
  pk.pack_map(5);
  put_str(pk, "ID");
  put_str(pk, r.id);
  put_str(pk, r.dialect == Dialect::kTuple ? "Tuple" : "Arguments");
  put_bins(pk, r.args);
  put_str(pk, "Object");
  pk.pack_map(2);
  put_str(pk, "Name");
  put_str(pk, r.object.name);
  put_str(pk, "Version");
  put_str(pk, r.object.version);
  put_str(pk, "ReplyTo");
  put_str(pk, r.reply_to);
  put_str(pk, "Method");
  put_str(pk, r.method);
  return str_of(buf);
}

std::string pack_string(std::string_view s) {
  msgpack::sbuffer buf;
  Packer pk(&buf);
  put_str(pk, s);
  return str_of(buf);
}

std::string pack_nil() { return std::string(1, '\xc0'); }

msgpack::object_handle unpack_value(std::string_view arg) {
  try {
    return unpack_whole(arg);
  } catch (const std::bad_alloc&) {
    throw ArgumentError("too large to decode");
  } catch (const std::exception& e) {
    throw ArgumentError(std::string("not valid msgpack: ") + e.what());
  }
}

std::string unpack_string(std::string_view arg) {
  msgpack::object_handle oh = unpack_value(arg);
  auto s = text_of(oh.get());
  if (!s) throw ArgumentError(std::string("a msgpack ") + type_name(oh.get()) + ", expected a string");
  if (!valid_utf8(*s)) throw ArgumentError("the string is not valid UTF-8");
  return *s;
}

json unpack_json(std::string_view arg) {
  msgpack::object_handle oh = unpack_value(arg);
  const auto& o = oh.get();
  if (auto text = text_of(o)) {
    auto first = text->find_first_not_of(" \t\r\n");
    if (first != std::string::npos && (*text)[first] == '{') {
      try {
        return sys::parse_json(*text);
      } catch (const sys::JsonError& e) {
        throw ArgumentError(std::string("a string that starts like a JSON object but is not one we take: ") + e.what());
      }
    }
  }
  return to_json(o, "$");
}

std::string pack_json(const json& j) {
  msgpack::sbuffer buf;
  Packer pk(&buf);
  put_json(pk, j);
  return str_of(buf);
}

}  // namespace zos::zbus
