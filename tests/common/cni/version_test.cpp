// Supported CNI versions and how they compare.
#include <catch2/catch.hpp>

#include "common/cni/version.h"

using namespace zos::cni;

TEST_CASE("supported versions are the seven spec versions in order", "[version]") {
  std::vector<std::string> want = {"0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"};
  CHECK(supported_versions() == want);
  CHECK(kCurrentVersion == "1.1.0");
  CHECK(supported_versions().back() == kCurrentVersion);
  for (const auto& v : want) CHECK(is_supported(v));
  for (const char* v : {"", "0.5.0", "1.2.0", "2.0.0", "1.0", "1.1", "v1.0.0", "1.0.0 ", "0.3.2", "0.0.1"}) {
    INFO(v);
    CHECK_FALSE(is_supported(v));
  }
}

TEST_CASE("compare_versions orders dotted numbers", "[version]") {
  CHECK(compare_versions("0.3.1", "0.4.0") == -1);
  CHECK(compare_versions("0.4.0", "0.3.1") == 1);
  CHECK(compare_versions("1.0.0", "1.0.0") == 0);
  CHECK(compare_versions("0.3.0", "0.3.1") == -1);
  CHECK(compare_versions("1.1.0", "1.0.0") == 1);
  CHECK(compare_versions("0.1.0", "1.1.0") == -1);
  CHECK(compare_versions("1.10.0", "1.9.0") == 1);   // numeric, not lexical
  CHECK(compare_versions("0.10.0", "0.9.9") == 1);
  CHECK(compare_versions("1.0", "1.0.0") == 0);      // missing parts are 0
  CHECK(compare_versions("1.0.1", "1.0") == 1);
  CHECK(compare_versions("2.0.0", "10.0.0") == -1);
  // every supported version is above the ones before it
  const auto& v = supported_versions();
  for (size_t i = 0; i < v.size(); ++i)
    for (size_t j = 0; j < v.size(); ++j) {
      INFO(v[i] << " vs " << v[j]);
      CHECK(compare_versions(v[i], v[j]) == (i < j ? -1 : i > j ? 1 : 0));
    }
}

TEST_CASE("at_least", "[version]") {
  CHECK(at_least("0.4.0", "0.4.0"));
  CHECK(at_least("1.0.0", "0.4.0"));
  CHECK(at_least("1.1.0", "1.1.0"));
  CHECK_FALSE(at_least("0.3.1", "0.4.0"));
  CHECK_FALSE(at_least("1.0.0", "1.1.0"));
  CHECK_FALSE(at_least("0.2.0", "0.3.0"));
  CHECK(at_least("0.3.0", "0.3.0"));
  CHECK(at_least("0.3.1", "0.3.0"));
}
