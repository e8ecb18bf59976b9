// EINTR-safe system calls that throw with the call and its arguments.
#pragma once

#include <cerrno>
#include <string>
#include <system_error>

namespace zos::sys {

// The error a failed call raises: what was called, on what, and errno.
class SysError : public std::system_error {
 public:
  SysError(int err, const std::string& what) : std::system_error(err, std::generic_category(), what) {}
  int err() const { return code().value(); }
};

[[noreturn]] void throw_errno(const std::string& what, int err = errno);

// Runs f() until it does not fail with EINTR; throws SysError(what) when it
// fails otherwise. Returns f()'s result.
template <typename F>
auto check(const std::string& what, F&& f) {
  for (;;) {
    auto r = f();
    if (r >= 0) return r;
    if (errno != EINTR) throw_errno(what);
  }
}

// Like check(), but returns -errno instead of throwing when the error is one
// of the expected ones (e.g. ENOENT for "absent is a value").
template <typename F>
auto check_or(const std::string& what, std::initializer_list<int> expected, F&& f) -> decltype(f()) {
  for (;;) {
    auto r = f();
    if (r >= 0) return r;
    if (errno == EINTR) continue;
    for (int e : expected)
      if (errno == e) return -errno;
    throw_errno(what);
  }
}

}  // namespace zos::sys

#define ZOS_SYSCALL(call) ::zos::sys::check(#call, [&] { return (call); })
