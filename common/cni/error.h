// CNI errors: raised with their spec code where the problem is found, and
// printed as {cniVersion, code, msg, details} on stdout by the dispatcher.
#pragma once

#include <stdexcept>
#include <string>

namespace zos::cni {

enum Code : int {
  kIncompatibleVersion = 1,
  kUnsupportedField = 2,
  kUnknownContainer = 3,
  kInvalidEnv = 4,
  kIoFailure = 5,
  kDecodeFailure = 6,
  kInvalidConfig = 7,
  kTryAgainLater = 11,
  kUnavailable = 50,          // STATUS only
  kUnavailableDegraded = 51,  // STATUS only
  kInternal = 999,            // anything unexpected, at the boundary
};

class Error : public std::runtime_error {
 public:
  Error(int code, std::string msg, std::string details = "")
      : std::runtime_error(msg), code_(code), msg_(std::move(msg)), details_(std::move(details)) {}
  int code() const { return code_; }
  const std::string& msg() const { return msg_; }
  const std::string& details() const { return details_; }

 private:
  int code_;
  std::string msg_;
  std::string details_;
};

}  // namespace zos::cni
