// Shared by the fuzz harnesses: a finding is any crash, sanitizer report, or
// exception other than cni::Error (the parsers' documented failure).
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <nlohmann/json.hpp>
#include <string>

#include "common/cni/error.h"

namespace zos::fuzz {

// Runs f; cni::Error is an answer, anything else aborts (a finding).
template <typename F>
void expect_only_cni_errors(F&& f) {
  try {
    f();
  } catch (const cni::Error&) {
  } catch (const std::exception& e) {
    std::fprintf(stderr, "FINDING: unexpected exception: %s\n", e.what());
    std::abort();
  } catch (...) {
    std::fprintf(stderr, "FINDING: unexpected non-std exception\n");
    std::abort();
  }
}

// A property the code promises; abort with a message when it does not hold.
inline void require(bool ok, const char* what, const std::string& detail = "") {
  if (ok) return;
  std::fprintf(stderr, "FINDING: %s\n%s\n", what, detail.c_str());
  std::abort();
}

// Input bytes as JSON the way the plugins read it (no exceptions on syntax).
inline nlohmann::json as_json(const uint8_t* data, size_t size) {
  return nlohmann::json::parse(std::string(reinterpret_cast<const char*>(data), size), nullptr, false);
}

}  // namespace zos::fuzz
