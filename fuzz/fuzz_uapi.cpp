// wireguard-go's UAPI "get=1" reply (common/wg/wg_uapi.h), as zos-nr reads
// it for CHECK and apply, and the CNI error a bad reply becomes.
// Properties: parse_get either reads the reply or throws runtime_error
// (never another exception, never a crash); a parsed endpoint formats and
// parses back to itself; the error reply is one JSON document.
#include "common/cni/plugin.h"
#include "common/sys/json.h"
#include "common/wg/wg_uapi.h"
#include "fuzz_support.h"

using namespace zos;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string in(reinterpret_cast<const char*>(data), size);
  std::string problem;
  try {
    wg::uapi::reply_errno(in);
    auto st = wg::uapi::parse_get("wg-fuzz", in);
    for (const auto& p : st.peers)
      if (p.endpoint) {
        auto back = wg::uapi::parse_endpoint(wg::uapi::format_endpoint(*p.endpoint));
        fuzz::require(back && *back == *p.endpoint, "endpoint does not round-trip", wg::uapi::format_endpoint(*p.endpoint));
      }
  } catch (const std::runtime_error& e) {
    problem = e.what();
  } catch (const std::exception& e) {
    fuzz::require(false, "unexpected exception", e.what());
  }
  // CHECK reports it: "WireGuard link ... has no live WireGuard behind it: <why>".
  auto reply = sys::dump_json(cni::error_json(cni::Error(110, "WireGuard link wg-fuzz: " + problem), "1.1.0"));
  fuzz::require(!nlohmann::json::parse(reply, nullptr, false).is_discarded(), "error reply is not JSON", reply);
  return 0;
}
