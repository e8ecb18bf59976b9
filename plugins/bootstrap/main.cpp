// zos-bootstrap: brings up the node uplink (the zos bridge on the NIC that
// gets DHCP or router advertisements) and, on exit nodes, the public
// namespace. See plugins/bootstrap/cli.h and docs/bootstrap.md.
#include <iostream>

#include "common/log/log.h"
#include "plugins/bootstrap/cli.h"
#include "zos_version.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && (args[0] == "--version" || args[0] == "version")) {
    std::cout << "zos-bootstrap " ZOS_VERSION " (" ZOS_BUILD ")\n";
    return 0;
  }
  zos::log::init("zos-bootstrap");
  return zos::bootstrap::cli(args, std::cout, std::cerr);
}
