// Command-line flags for the management CLIs (zos-nr apply/delete/...,
// zos-bootstrap, zos-agent): "--name VALUE" and "--name" switches bound to
// variables; the last of a repeated flag counts. Each CLI keeps its words
// for what is wrong; a UsageError is exit 2 in all of them.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace zos::sys {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Flags {
 public:
  // --name VALUE: stored in *out, or handed to set() (which may throw UsageError).
  Flags& value(const std::string& name, std::string* out);
  Flags& value(const std::string& name, std::function<void(const std::string&)> set);
  // --name: sets *out.
  Flags& on(const std::string& name, bool* out);

  // What a word that is no flag here becomes.
  struct Unknown {
    std::string prefix;                // UsageError(prefix + word + suffix)
    std::string suffix;
    bool positional_if_no_dash = false;  // words not starting with "--" are positional
  };
  // Parses args[from..]; returns the positional words. "X needs a value"
  // when a value flag ends the line.
  std::vector<std::string> parse(const std::vector<std::string>& args, size_t from, const Unknown& unknown) const;

 private:
  struct Flag {
    std::string name;
    std::function<void(const std::string&)> set;  // null: a switch
    bool* on = nullptr;
  };
  std::vector<Flag> flags_;
};

}  // namespace zos::sys
