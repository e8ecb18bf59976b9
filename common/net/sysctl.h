// Kernel parameters under /proc/sys. Unlike /sys, /proc/sys/net follows the
// calling thread's network namespace, so these work inside in_netns().
//
// Keys are "net/ipv4/ip_forward" or "net.ipv4.ip_forward". A key containing
// '/' is taken as a path as is, so interface names with dots must be given
// in slash form: "net/ipv4/conf/eth0.100/forwarding".
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace zos::nl {

// "/proc/sys/net/ipv4/ip_forward" for either spelling of the key.
std::string sysctl_path(const std::string& key);

// The value without its trailing newline. Throws SysError when absent.
std::string sysctl_get(const std::string& key);
// nullopt when the key does not exist (e.g. an interface that is gone).
std::optional<std::string> sysctl_get_if_exists(const std::string& key);
// Writes `value`; throws SysError naming the key.
void sysctl_set(const std::string& key, const std::string& value);

// Writes several values below one folder ("net", "net/ipv6/conf/eth0"; each
// key relative to it, in slash form: "ipv4/ip_forward"), in order. The
// folder is looked up once: /proc/sys/net is one dentry per network
// namespace under one parent, so every path from /proc/sys scans them all
// (~40 us a lookup with 200 namespaces on the node); below an open folder
// a lookup does not.
void sysctl_set_below(const std::string& dir,
                      std::initializer_list<std::pair<std::string_view, std::string_view>> values);

}  // namespace zos::nl
