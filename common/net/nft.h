// nftables through libnftables, in a given network namespace, by way of the
// zos-nft helper program (tools/nft): the plugins are static and libnftables
// is shared-only.
#pragma once

#include <string>

namespace zos::nft {

// Where zos-nft is: $ZOS_NFT, else beside the running program, else on
// CNI_PATH-style `search` (colon-separated folders).
std::string helper_path(const std::string& search = "");

// Runs `script` as one nftables transaction in the namespace `nsfd` (-1: the
// current one). Throws std::runtime_error with nft's own message on failure.
void run(const std::string& script, int nsfd = -1, const std::string& search = "");

}  // namespace zos::nft
