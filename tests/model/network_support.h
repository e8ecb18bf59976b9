// Helper of the network object tests (network_test.cpp, zos_json_test.cpp).
#pragma once

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/cni/error.h"
#include "model/network.h"
#include "support/support.h"

namespace zos::test {

// The error Network::parse raises for `j`; fails the test when it accepts it.
inline cni::Error parse_error(const nlohmann::json& j) {
  INFO("parsing " << j.dump());
  return error_of([&] { model::Network::parse(j); });
}

}  // namespace zos::test
