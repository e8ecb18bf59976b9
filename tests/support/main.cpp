// One main for every test binary. Product code logs through the default
// logger, which the build leaves unset (SPDLOG_DISABLE_DEFAULT_LOGGER) until
// log::init: set it here, so a test case run alone (ctest runs each case in
// its own process) logs as it would after another case had set it.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "common/log/log.h"

int main(int argc, char* argv[]) {
  zos::log::init("test");
  return Catch::Session().run(argc, argv);
}
