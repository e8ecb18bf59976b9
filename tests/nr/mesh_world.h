// Network objects of a WireGuard mesh for the multi-node tests: members (a
// nibble on a node, its endpoint and key), every member a peer of every
// other. Used by grid_test.cpp and spoof_test.cpp.
#pragma once

#include <string>
#include <vector>

#include "common/wg/wg.h"
#include "nr/nr_support.h"

namespace zos::test::nr {

std::string key64(const zos::wg::Key& k);
std::string pub64(const zos::wg::Key& k);

// A peer entry; `ip` "" is a hidden node: no endpoint for the others to use.
json wg_peer(int n, const std::string& ip, int port, const zos::wg::Key& priv, bool own);

struct Member {
  int nibble;
  std::string node_id;
  std::string endpoint;
  int port;
  zos::wg::Key key = zos::wg::generate_private_key();
};

// The network object: every member a resource whose peers are all members
// (its own entry with its private key); `exit_nibble` the exit (-1: none).
json network_of(const std::string& id, uint64_t version, const std::vector<Member>& ms, int exit_nibble);

}  // namespace zos::test::nr
