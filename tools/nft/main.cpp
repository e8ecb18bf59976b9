// zos-nft: applies an nftables script read on stdin through libnftables, in
// the network namespace it was started in.
//
// Why a separate program: libnftables exists only as a shared library, and
// the plugins are static binaries (small, fast to exec). Firewall changes
// happen when a network resource is applied, not on a container's warm ADD,
// so only that cold path pays for loading libnftables.
//
// Its start is on the cold ADD's path: no iostream and no libstdc++.so
// (linked statically, tools/CMakeLists.txt), whose relocations were a third
// of the helper's instructions.
//
//   zos-nft            run the script on stdin (one atomic transaction)
//   zos-nft --list     run the commands and print their JSON output (checks
//                      in scripts/package-test.sh)
#include <nftables/libnftables.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include "zos_version.h"

namespace {

// All of stdin, NUL-terminated (nullptr when it cannot be read).
char* read_stdin() {
  size_t cap = 0, len = 0;
  char* buf = nullptr;
  for (;;) {
    if (len + 1 >= cap) {
      char* more = static_cast<char*>(std::realloc(buf, cap = cap ? cap * 2 : 4096));
      if (!more) break;
      buf = more;
    }
    ssize_t n = ::read(0, buf + len, cap - 1 - len);
    if (n == 0) {
      buf[len] = '\0';
      return buf;
    }
    if (n < 0 && errno != EINTR) break;
    if (n > 0) len += static_cast<size_t>(n);
  }
  std::free(buf);
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  bool list = argc > 1 && std::strcmp(argv[1], "--list") == 0;
  if (argc > 1 && std::strcmp(argv[1], "--version") == 0) {
    std::fputs("zos-nft " ZOS_VERSION " (" ZOS_BUILD ")\n", stdout);
    return 0;
  }
  if (argc > 1 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
    std::fputs("usage: zos-nft [--list] < script.nft\n"
               "Runs an nftables script through libnftables in the network namespace it runs in\n"
               "(one transaction); --list prints the commands' JSON output.\n"
               "zos-nr runs it when it applies an NR's firewall.\n",
               stdout);
    return 0;
  }
  if (argc > 2 || (argc == 2 && !list)) {
    std::fprintf(stderr, "zos-nft: unknown argument %s (usage: zos-nft [--list] < script.nft)\n", argv[argc - 1]);
    return 2;
  }
  char* script = read_stdin();
  if (!script) {
    std::fprintf(stderr, "zos-nft: cannot read the script on stdin: %s\n", std::strerror(errno ? errno : ENOMEM));
    return 2;
  }
  nft_ctx* ctx = nft_ctx_new(NFT_CTX_DEFAULT);
  if (!ctx) {
    std::fprintf(stderr, "zos-nft: cannot create an nftables context\n");
    return 2;
  }
  nft_ctx_buffer_error(ctx);
  if (list) nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_JSON);
  if (!list) nft_ctx_buffer_output(ctx);
  int rc = nft_run_cmd_from_buffer(ctx, script);
  const char* err = nft_ctx_get_error_buffer(ctx);
  if (rc != 0 && err && *err) std::fprintf(stderr, "%s", err);
  nft_ctx_free(ctx);
  std::free(script);
  return rc == 0 ? 0 : 1;
}
