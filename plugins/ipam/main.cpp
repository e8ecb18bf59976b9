// zos-ipam: CNI IPAM plugin for Zero-OS network resources.
#include <iostream>

#include "common/cni/plugin.h"
#include "common/log/log.h"
#include "plugins/ipam/ipam.h"

extern char** environ;

int main(int argc, char** argv) {
  if (argc > 1 && (std::string(argv[1]) == "--version" || std::string(argv[1]) == "version")) {
    std::cout << "zos-ipam " ZOS_VERSION " (" ZOS_BUILD ")\n";
    return 0;
  }
  zos::log::init("zos-ipam");
  return zos::cni::run(zos::ipam::handlers(), zos::cni::environ_map(environ), std::cin, std::cout, std::cerr);
}
