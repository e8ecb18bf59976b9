#include "support/support.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include "common/log/log.h"
#include "common/sys/exec.h"
#include <filesystem>
#include <stdexcept>

namespace zos::test {

using nlohmann::json;

TempDir::TempDir() {
  char tmpl[] = "/tmp/zos-test-XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

Exec run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
         const std::string& in) {
  auto r = sys::exec(argv, env, in);
  return Exec{r.status, std::move(r.out), std::move(r.err)};
}

std::string bin(const std::string& name) { return std::string(ZOS_BIN_DIR) + "/" + name; }

int sh(const std::string& cmd) {
  int st = std::system(cmd.c_str());
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

std::string sh_out(const std::string& cmd) {
  std::string out;
  FILE* f = ::popen(cmd.c_str(), "r");
  if (!f) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  ::pclose(f);
  return out;
}

void quiet_logger() {
  static bool done = [] {
    log::init("test");
    log::configure({"off", ""});
    return true;
  }();
  (void)done;
}

cni::Error error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const cni::Error& e) {
    return e;
  }
  FAIL("no cni::Error thrown");
  return cni::Error(0, "");
}

int code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const cni::Error& e) {
    return e.code();
  }
  return 0;
}

int code_of(const Exec& r) {
  if (r.status == 0) return 0;
  json j = json::parse(r.out, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("code")) return -1;
  return j["code"].get<int>();
}

std::string msg_of(const Exec& r) {
  json j = json::parse(r.out, nullptr, false);
  return j.is_discarded() || !j.is_object() ? r.out : j.value("msg", "");
}

json out_json(const Exec& r) {
  ZOS_SHOW(r);
  json j = json::parse(r.out, nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  return j;
}

json succeeded(const Exec& r) {
  ZOS_SHOW(r);
  REQUIRE(r.status == 0);
  return out_json(r);
}

}  // namespace zos::test
