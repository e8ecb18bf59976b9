// zos-nr-zbus: the network module on zbus, a daemon (serve.h). `zos-nr serve`
// runs it (exec, same pid), so the per-ADD zos-nr binary carries no Redis
// client, worker threads or msgpack decoder (docs/architecture.md).
#include <unistd.h>

#include <string>
#include <vector>

#include "plugins/zbus/serve.h"
#include "zos_version.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  auto put = [](const std::string& s) { return ::write(1, s.data(), s.size()) < 0; };
  if (args.size() == 2 && (args[1] == "--version" || args[1] == "version"))
    return put("zos-nr-zbus " ZOS_VERSION " (" ZOS_BUILD ")\n");
  if (args.size() == 2 && (args[1] == "--help" || args[1] == "-h" || args[1] == "help"))
    return put(zos::nr::serve_usage());
  return zos::nr::serve(args);  // sets up its log (threaded) once its flags are read
}
