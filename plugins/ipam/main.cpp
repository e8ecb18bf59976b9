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
  if (argc > 1 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
    const char u[] =
        "usage: CNI_COMMAND=ADD|DEL|CHECK|GC|STATUS|VERSION CNI_CONTAINERID=... CNI_IFNAME=... zos-ipam < config.json\n"
        "       zos-ipam --version\n"
        "zos-ipam is a CNI IPAM plugin: a runtime (or zos-nr) runs it with the network config on stdin.\n"
        "See /usr/share/doc/zos-cni/README.md (section zos-ipam).\n";
    return ::write(1, u, sizeof u - 1) < 0;
  }
  zos::log::init("zos-ipam");
  return zos::cni::run_process(zos::ipam::handlers(), environ);
}
