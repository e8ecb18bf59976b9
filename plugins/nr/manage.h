// zos-nr's management subcommands, the network module's contract on the
// command line: `zos-nr apply|delete|namespace|show ...`.
#pragma once

#include <string>
#include <vector>

namespace zos::nr {

// Runs one subcommand; fills `out` (stdout) and `err` (stderr) and returns
// the process's exit code.
int manage(const std::vector<std::string>& args, std::string& out, std::string& err);

}  // namespace zos::nr
