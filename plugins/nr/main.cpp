// zos-nr: CNI plugin for Zero-OS network resources, and the network module's
// management subcommands when run with arguments and no CNI_COMMAND.
// (No iostreams: their static initialisation costs ~0.8 MiB of RSS.)
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "common/cni/plugin.h"
#include "common/log/log.h"
#include "plugins/nr/manage.h"
#include "plugins/nr/serve.h"
#include "plugins/nr/verbs.h"
#include "zos_version.h"

extern char** environ;

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto put = [](int fd, const std::string& s) { return ::write(fd, s.data(), s.size()) < 0; };
  if (!args.empty() && (args[0] == "--version" || args[0] == "version"))
    return put(1, "zos-nr " ZOS_VERSION " (" ZOS_BUILD ")\n");
  zos::log::init("zos-nr");
  const char* cmd = std::getenv("CNI_COMMAND");
  if ((!cmd || !*cmd) && !args.empty() && args[0] == "serve") return zos::nr::serve(args);
  if ((!cmd || !*cmd) && !args.empty()) {
    std::string out, err;
    int rc = zos::nr::manage(args, out, err);
    put(1, out);
    put(2, err);
    return rc;
  }
  return zos::cni::run_process(zos::nr::handlers(), environ);
}
