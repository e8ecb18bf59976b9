// Helpers of the multi-node tests (grid_test.cpp, golden_test.cpp): a
// background shell command ended with its scope, TCP from inside a
// namespace. (A grid's extra namespaces, switch and Internet, are the shared
// fixture, support/netns.h.)
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace zos::test::nr {

// A shell command in the background, ended (by its pid) with the scope.
class Background {
 public:
  explicit Background(const std::string& cmd);
  ~Background() { stop(); }
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;
  // Waits for it to end by itself; its exit status.
  int wait();
  void stop();

 private:
  pid_t pid_ = -1;
};

// Every ordered pair of containers (netns paths) pings over IPv4 and IPv6
// (their addresses v4[i], v6[i]); each failure is a failed CHECK naming it.
void check_all_pairs(const std::vector<std::string>& ns, const std::vector<std::string>& v4,
                     const std::vector<std::string>& v6);

// What a TCP port answers, from inside `ns` (empty when nothing answered).
// busybox's nc: on the host (busybox-static) and in the qemu guest alike.
std::string tcp_fetch(const std::string& ns, const std::string& addr, int port);

}  // namespace zos::test::nr
