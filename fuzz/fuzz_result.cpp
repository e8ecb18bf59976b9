// cni::Result::parse for every spec version, and conversion between them.
// Input: one byte picking the version, then a JSON result.
// Properties: parse either succeeds or raises cni::Error; a parsed result
// writes in every version; writing and reading back in the same version is
// stable after one round (to_json(parse(to_json(r))) == to_json(r)).
#include "common/cni/result.h"
#include "common/cni/version.h"
#include "fuzz_support.h"

using namespace zos;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const auto& versions = cni::supported_versions();
  size_t pick = data[0] % (versions.size() + 1);
  std::string version = pick < versions.size() ? versions[pick] : "0.9.9";  // one unsupported
  auto j = fuzz::as_json(data + 1, size - 1);
  if (j.is_discarded()) return 0;
  fuzz::expect_only_cni_errors([&] {
    cni::Result r = cni::Result::parse(j, version);
    for (const auto& out : versions) {
      nlohmann::json once = r.to_json(out);
      once.dump();  // must serialise (valid UTF-8 etc.)
      nlohmann::json twice = cni::Result::parse(once, out).to_json(out);
      fuzz::require(once == twice, ("round trip through " + out + " is not stable").c_str(),
                    "in:  " + j.dump() + "\nonce:  " + once.dump() + "\ntwice: " + twice.dump());
    }
  });
  return 0;
}
