// zos-nr: CNI plugin for Zero-OS network resources, and the network module's
// management subcommands when run with arguments and no CNI_COMMAND.
// (No iostreams: their static initialisation costs ~0.8 MiB of RSS.)
#include <limits.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "common/cni/plugin.h"
#include "common/log/log.h"
#include "plugins/nr/manage.h"
#include "plugins/nr/verbs.h"
#include "zos_version.h"

extern char** environ;

namespace {

// `zos-nr serve <flags>` is `zos-nr-zbus <flags>`: the zbus daemon is a
// binary of its own (plugins/zbus), so this per-ADD one carries no Redis
// client, threads or msgpack decoder. exec keeps the pid a supervisor
// signals. Found beside the file this runs from (/proc/self/exe resolves a
// symlink such as /usr/sbin/zos-nr), never on PATH: a service running as
// root must not run whatever a PATH entry holds.
int exec_zbus(char** argv) {
  char self[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  std::string exe = n > 0 ? std::string(self, static_cast<size_t>(n)) : std::string();
  std::string path = exe.substr(0, exe.rfind('/') + 1) + "zos-nr-zbus";
  if (path[0] == '/') {  // never a relative path, which would be the cwd's
    argv[1] = path.data();  // zos-nr-zbus reads its flags after argv[0]
    ::execve(path.c_str(), argv + 1, environ);
  } else {
    errno = ENOENT;
  }
  std::string msg = "zos-nr: serve: cannot run " + path + " (installed beside zos-nr): " + std::strerror(errno) + "\n";
  (void)!::write(2, msg.data(), msg.size());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto put = [](int fd, const std::string& s) { return ::write(fd, s.data(), s.size()) < 0; };
  if (!args.empty() && (args[0] == "--version" || args[0] == "version"))
    return put(1, "zos-nr " ZOS_VERSION " (" ZOS_BUILD ")\n");
  const char* cmd = std::getenv("CNI_COMMAND");
  // Before the log: zos-nr-zbus sets up its own, and nothing of this
  // process's (a log file's fd) is to be handed on.
  if ((!cmd || !*cmd) && !args.empty() && args[0] == "serve") return exec_zbus(argv);
  zos::log::init("zos-nr");
  if ((!cmd || !*cmd) && !args.empty()) {
    std::string out, err;
    int rc = zos::nr::manage(args, out, err);
    put(1, out);
    put(2, err);
    return rc;
  }
  return zos::cni::run_process(zos::nr::handlers(), environ);
}
