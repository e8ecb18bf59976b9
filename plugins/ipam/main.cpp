// zos-ipam: CNI IPAM plugin for Zero-OS network resources.
#include <unistd.h>

#include <cstring>

#include "common/cni/plugin.h"
#include "common/log/log.h"
#include "plugins/ipam/ipam.h"
#include "zos_version.h"

extern char** environ;

int main(int argc, char** argv) {
  if (argc > 1 && (std::strcmp(argv[1], "--version") == 0 || std::strcmp(argv[1], "version") == 0)) {
    const char v[] = "zos-ipam " ZOS_VERSION " (" ZOS_BUILD ")\n";
    return ::write(1, v, sizeof v - 1) < 0;
  }
  zos::log::init("zos-ipam");
  return zos::cni::run_process(zos::ipam::handlers(), environ);
}
