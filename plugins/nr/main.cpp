// zos-nr: CNI plugin for Zero-OS network resources, and the network module's
// management subcommands when run with arguments and no CNI_COMMAND.
#include <cstdlib>
#include <iostream>

#include "common/cni/plugin.h"
#include "common/log/log.h"
#include "plugins/nr/verbs.h"

extern char** environ;

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && (args[0] == "--version" || args[0] == "version")) {
    std::cout << "zos-nr " ZOS_VERSION " (" ZOS_BUILD ")\n";
    return 0;
  }
  zos::log::init("zos-nr");
  const char* cmd = std::getenv("CNI_COMMAND");
  if ((!cmd || !*cmd) && !args.empty()) return zos::nr::manage(args, std::cout, std::cerr);
  return zos::cni::run(zos::nr::handlers(), zos::cni::environ_map(environ), std::cin, std::cout, std::cerr);
}
