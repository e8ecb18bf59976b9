// zos-nr's CNI verbs and management subcommands.
#pragma once

#include <string>
#include <vector>

#include "common/cni/plugin.h"

namespace zos::nr {

cni::Handlers handlers();

// `zos-nr apply|delete|namespace|show ...`; returns the exit code.
int manage(const std::vector<std::string>& args, std::string& out, std::string& err);

}  // namespace zos::nr
