// Shared by link.cpp, bridge.cpp and veth.cpp; not part of the API.
#pragma once

#include <string>

#include "common/net/link.h"

namespace zos::nl::detail {

LinkInfo to_link_info(rtnl_link* l);

// Sends a new link (NLM_F_CREATE | NLM_F_EXCL). Returns false on EEXIST when
// a link `name` of kind `kind` exists; otherwise throws NlError(what).
bool add_new_link(Socket& s, rtnl_link* l, const std::string& name, const std::string& kind,
                  const std::string& what);

}  // namespace zos::nl::detail
