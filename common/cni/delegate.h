// Delegation to another plugin (IPAM) found on CNI_PATH: same environment,
// the whole config on stdin, its stderr passed through, its errors re-raised
// with their own code.
#pragma once

#include <optional>
#include <string>

#include "common/cni/plugin.h"

namespace zos::cni {

// The executable `type` in the CNI_PATH folders; Error(7) when none is there.
std::string find_plugin(const std::string& type, const Env& env);

// Runs `type` with CNI_COMMAND=`command` and `stdin_conf` (default: the
// request's stdin). Returns the parsed result for ADD, nullopt otherwise.
std::optional<Result> delegate(const std::string& type, const std::string& command, const Request& req,
                               const std::string* stdin_conf = nullptr);

}  // namespace zos::cni
