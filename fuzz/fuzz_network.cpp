// model::Network::parse: the 0-OS network object.
// Properties: parse either succeeds or raises cni::Error(7); lookups on a
// parsed object are safe; a parsed object's raw JSON parses to the same.
#include "fuzz_support.h"
#include "model/network.h"
#include "model/plan.h"

using namespace zos;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto j = fuzz::as_json(data, size);
  if (j.is_discarded()) return 0;
  try {
    model::Network n = model::Network::parse(j);
    for (const auto& r : n.resources) {
      fuzz::require(n.resource_of(r.node_id.id) != nullptr, "resource_of misses a parsed resource");
      // Every NR prefix is usable by the address plan, or refused with a cni::Error.
      fuzz::expect_only_cni_errors([&] { model::Plan::of(r.prefix, n.allocation_nr); });
    }
    n.exit_resource();
    model::Network again = model::Network::parse(n.raw);
    fuzz::require(again.resources.size() == n.resources.size() && again.network_id == n.network_id,
                  "parsing raw again gives another network", j.dump());
  } catch (const cni::Error& e) {
    fuzz::require(e.code() == cni::kInvalidConfig, "network object error is not code 7", e.msg());
  } catch (const std::exception& e) {
    fuzz::require(false, "unexpected exception", e.what());
  }
  return 0;
}
