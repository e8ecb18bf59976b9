// One WG_CMD_GET_DEVICE reply part as the kernel (or anything that can
// write to our generic netlink socket) sends it: parse_device_part
// (common/wg/wg_kernel.h). Input: the message after its nlmsghdr (the
// genlmsghdr, then attributes); the header is filled in with the length.
// Properties: no crash, sanitizer report or exception whatever the
// attribute lengths claim; what was read prints (CHECK and `show` put it
// in their replies).
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <cstring>
#include <vector>

#include "common/sys/json.h"
#include "common/wg/wg_kernel.h"
#include "fuzz_support.h"

using namespace zos;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < GENL_HDRLEN || size > 65000) return 0;
  std::vector<uint32_t> buf((NLMSG_HDRLEN + size + 3) / 4 + 1, 0);  // aligned, as a socket buffer is
  auto* hdr = reinterpret_cast<nlmsghdr*>(buf.data());
  hdr->nlmsg_len = static_cast<uint32_t>(NLMSG_HDRLEN + size);
  hdr->nlmsg_type = 0x20;
  std::memcpy(reinterpret_cast<char*>(buf.data()) + NLMSG_HDRLEN, data, size);
  wg::DeviceState st;
  try {
    wg::kernel::parse_device_part(hdr, st);
  } catch (const std::exception& e) {
    fuzz::require(false, "unexpected exception", e.what());
  }
  nlohmann::json j = {{"name", st.name}, {"peers", st.peers.size()}};
  for (const auto& p : st.peers)
    for (const auto& a : p.allowed_ips) j["allowed"].push_back(a.str());
  fuzz::require(!sys::dump_json(j).empty(), "state does not print");
  return 0;
}
