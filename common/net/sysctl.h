// Kernel parameters under /proc/sys. Unlike /sys, /proc/sys/net follows the
// calling thread's network namespace, so these work inside in_netns().
//
// Keys are "net/ipv4/ip_forward" or "net.ipv4.ip_forward". A key containing
// '/' is taken as a path as is, so interface names with dots must be given
// in slash form: "net/ipv4/conf/eth0.100/forwarding".
#pragma once

#include <optional>
#include <string>

namespace zos::nl {

// "/proc/sys/net/ipv4/ip_forward" for either spelling of the key.
std::string sysctl_path(const std::string& key);

// The value without its trailing newline. Throws SysError when absent.
std::string sysctl_get(const std::string& key);
// nullopt when the key does not exist (e.g. an interface that is gone).
std::optional<std::string> sysctl_get_if_exists(const std::string& key);
// Writes `value`; throws SysError naming the key.
void sysctl_set(const std::string& key, const std::string& value);

}  // namespace zos::nl
