// Delegation to a plugin on CNI_PATH, against fake plugins written as shell
// scripts at test time (fakes exist only inside these unit tests).
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "common/cni/delegate.h"
#include "support/support.h"

using namespace zos::cni;
using nlohmann::json;
using zos::test::error_of;
using zos::test::quiet_logger;
using zos::test::TempDir;

namespace {

void write_file(const std::string& path, const std::string& text, mode_t mode) {
  {
    std::ofstream f(path, std::ios::trunc);
    REQUIRE(f);
    f << text;
  }
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// A fake plugin: appends "$CNI_COMMAND" to <rec>/calls, saves its env and
// stdin as <rec>/env.<CMD> and <rec>/stdin.<CMD>, writes `out` on stdout, some
// noise on stderr, and exits with `status`.
void fake_plugin(const std::string& path, const std::string& rec, const std::string& out, int status = 0) {
  std::string script = "#!/bin/sh\n"
                       "echo \"$CNI_COMMAND\" >> '" + rec + "/calls'\n"
                       "/usr/bin/env > '" + rec + "/env.'\"$CNI_COMMAND\"\n"
                       "/bin/cat > '" + rec + "/stdin.'\"$CNI_COMMAND\"\n"
                       "echo 'fake plugin: this stderr line is expected in test output' >&2\n"
                       "cat <<'ZOS_EOF'\n" + out + "\nZOS_EOF\n"
                       "exit " + std::to_string(status) + "\n";
  write_file(path, script, 0755);
}

std::map<std::string, std::string> parse_env_dump(const std::string& text) {
  std::map<std::string, std::string> m;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq != std::string::npos) m[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return m;
}

Request request(const std::string& cni_path, const std::string& version = "1.0.0",
                const std::string& cmd = "ADD") {
  std::map<std::string, std::string> environ = {{"CNI_COMMAND", cmd},
                                                {"CNI_CONTAINERID", "ctr-1"},
                                                {"CNI_NETNS", "/var/run/netns/ctr-1"},
                                                {"CNI_IFNAME", "eth0"},
                                                {"CNI_PATH", cni_path},
                                                {"CNI_ARGS", "IgnoreUnknown=1;K8S_POD_NAME=web"},
                                                {"ZOS_MARKER", "kept"}};
  Request r;
  r.env = Env::parse(environ);
  r.conf = {{"cniVersion", version}, {"name", "zos-net"}, {"type", "zos-bridge"},
            {"ipam", {{"type", "fake-ipam"}}}};
  r.raw = r.conf.dump();
  r.version = version;
  return r;
}

const char* kResult100 =
    R"({"cniVersion":"1.0.0","ips":[{"address":"10.1.10.5/24","gateway":"10.1.10.1"}],)"
    R"("routes":[{"dst":"0.0.0.0/0","gw":"10.1.10.1"}],"dns":{"nameservers":["10.1.10.1"]}})";


}  // namespace

TEST_CASE("find_plugin searches CNI_PATH in order", "[delegate]") {
  TempDir a, b, c;
  fake_plugin(b / "fake-ipam", b.path(), "{}");
  fake_plugin(c / "fake-ipam", c.path(), "{}");
  Request r = request(a.path() + ":" + b.path() + ":" + c.path());
  CHECK(find_plugin("fake-ipam", r.env) == b / "fake-ipam");  // first folder that has it

  fake_plugin(a / "fake-ipam", a.path(), "{}");
  CHECK(find_plugin("fake-ipam", r.env) == a / "fake-ipam");

  // a file that is not executable is skipped
  write_file(a / "other", "#!/bin/sh\n", 0644);
  fake_plugin(c / "other", c.path(), "{}");
  // (even for root: access(X_OK) needs at least one x bit, 0644 has none)
  CHECK(find_plugin("other", r.env) == c / "other");
  // empty entries in CNI_PATH are ignored
  Request r2 = request(":" + c.path() + ":");
  CHECK(find_plugin("other", r2.env) == c / "other");
}

TEST_CASE("find_plugin skips a folder named like the plugin", "[delegate]") {
  // libcni's FindInPath takes regular files only; access(X_OK) is true for a directory.
  TempDir a, b;
  REQUIRE(::mkdir((a / "fake-ipam").c_str(), 0755) == 0);
  fake_plugin(b / "fake-ipam", b.path(), "{}");
  Request r = request(a.path() + ":" + b.path());
  CHECK(find_plugin("fake-ipam", r.env) == b / "fake-ipam");
}

TEST_CASE("a missing plugin is error 7", "[delegate]") {
  TempDir a, b;
  Request r = request(a.path() + ":" + b.path());
  auto e = error_of([&] { find_plugin("nosuch", r.env); });
  CHECK(e.code() == kInvalidConfig);
  CHECK_THAT(e.msg(), Catch::Contains("nosuch"));
  CHECK_THAT(e.msg(), Catch::Contains(a.path()));
  CHECK(error_of([&] { delegate("nosuch", "ADD", r); }).code() == kInvalidConfig);
  // a type with a '/' or none at all is refused, not looked up
  fake_plugin(a / "x", a.path(), "{}");
  CHECK(error_of([&] { find_plugin("../" + std::string(a.path().substr(5)) + "/x", r.env); }).code() == 7);
  CHECK(error_of([&] { find_plugin(a / "x", r.env); }).code() == 7);
  CHECK(error_of([&] { find_plugin("", r.env); }).code() == 7);
  // no CNI_PATH at all
  Request none = request(a.path());
  none.env.path = "";
  CHECK(error_of([&] { find_plugin("x", none.env); }).code() == 7);
}

TEST_CASE("delegate ADD parses the result in the request's version", "[delegate]") {
  quiet_logger();
  TempDir bin, rec;
  fake_plugin(bin / "fake-ipam", rec.path(), kResult100);
  Request r = request(bin.path());
  auto res = delegate("fake-ipam", "ADD", r);
  REQUIRE(res);
  REQUIRE(res->ips.size() == 1);
  CHECK(res->ips[0].address.str() == "10.1.10.5/24");
  CHECK(res->ips[0].gateway->str() == "10.1.10.1");
  REQUIRE(res->routes.size() == 1);
  CHECK(res->routes[0].dst.str() == "0.0.0.0/0");
  CHECK(res->dns.nameservers == std::vector<std::string>{"10.1.10.1"});
  CHECK(res->interfaces.empty());
  CHECK(read_file(rec / "calls") == "ADD\n");

  // an old-version request reads the old shape
  TempDir bin2, rec2;
  fake_plugin(bin2 / "fake-ipam", rec2.path(),
              R"({"cniVersion":"0.2.0","ip4":{"ip":"10.1.10.6/24","gateway":"10.1.10.1"}})");
  Request old = request(bin2.path(), "0.2.0");
  auto res2 = delegate("fake-ipam", "ADD", old);
  REQUIRE(res2);
  REQUIRE(res2->ips.size() == 1);
  CHECK(res2->ips[0].address.str() == "10.1.10.6/24");
}

TEST_CASE("delegate passes the environment with CNI_COMMAND replaced, and stdin", "[delegate]") {
  quiet_logger();
  TempDir bin, rec;
  fake_plugin(bin / "fake-ipam", rec.path(), "");
  Request r = request(bin.path(), "1.0.0", "CHECK");

  CHECK_FALSE(delegate("fake-ipam", "DEL", r));  // no result for DEL
  auto env = parse_env_dump(read_file(rec / "env.DEL"));
  CHECK(env["CNI_COMMAND"] == "DEL");
  CHECK(env["CNI_CONTAINERID"] == "ctr-1");
  CHECK(env["CNI_NETNS"] == "/var/run/netns/ctr-1");
  CHECK(env["CNI_IFNAME"] == "eth0");
  CHECK(env["CNI_PATH"] == bin.path());
  CHECK(env["CNI_ARGS"] == "IgnoreUnknown=1;K8S_POD_NAME=web");
  CHECK(env["ZOS_MARKER"] == "kept");  // the whole environment, not just CNI_*
  CHECK(read_file(rec / "stdin.DEL") == r.raw);

  // an explicit stdin replaces the request's
  std::string conf = R"({"cniVersion":"1.0.0","name":"zos-net","type":"fake-ipam","subnet":"10.9.0.0/16"})";
  CHECK_FALSE(delegate("fake-ipam", "CHECK", r, &conf));
  CHECK(parse_env_dump(read_file(rec / "env.CHECK"))["CNI_COMMAND"] == "CHECK");
  CHECK(read_file(rec / "stdin.CHECK") == conf);

  CHECK_FALSE(delegate("fake-ipam", "GC", r));
  CHECK(parse_env_dump(read_file(rec / "env.GC"))["CNI_COMMAND"] == "GC");
  CHECK(read_file(rec / "calls") == "DEL\nCHECK\nGC\n");
}

TEST_CASE("a delegate's error is re-raised with its code", "[delegate]") {
  quiet_logger();
  TempDir bin, rec;
  SECTION("error JSON with details") {
    fake_plugin(bin / "fake-ipam", rec.path(),
                R"({"cniVersion":"1.0.0","code":11,"msg":"store locked","details":"pid 42"})", 1);
    auto e = error_of([&] { delegate("fake-ipam", "ADD", request(bin.path())); });
    CHECK(e.code() == 11);
    CHECK(e.msg() == "store locked");
    CHECK(e.details() == "pid 42");
  }
  SECTION("error JSON without details, other exit status") {
    fake_plugin(bin / "fake-ipam", rec.path(), R"({"code":107,"msg":"no address left in 10.1.10.0/24"})", 2);
    auto e = error_of([&] { delegate("fake-ipam", "DEL", request(bin.path())); });
    CHECK(e.code() == 107);
    CHECK(e.msg() == "no address left in 10.1.10.0/24");
    CHECK(e.details().empty());
  }
  SECTION("a failure without error JSON is internal") {
    fake_plugin(bin / "fake-ipam", rec.path(), "segfault or whatever", 3);
    auto e = error_of([&] { delegate("fake-ipam", "ADD", request(bin.path())); });
    CHECK(e.code() == kInternal);
    CHECK_THAT(e.msg(), Catch::Contains("fake-ipam"));
    CHECK_THAT(e.msg(), Catch::Contains("3"));
    CHECK_THAT(e.details(), Catch::Contains("segfault or whatever"));
  }
  SECTION("ADD output that is not JSON is error 6") {
    fake_plugin(bin / "fake-ipam", rec.path(), "not json", 0);
    auto e = error_of([&] { delegate("fake-ipam", "ADD", request(bin.path())); });
    CHECK(e.code() == kDecodeFailure);
  }
  SECTION("ADD output with a bad address is error 6 naming it") {
    fake_plugin(bin / "fake-ipam", rec.path(), R"({"cniVersion":"1.0.0","ips":[{"address":"10.1.10.999/24"}]})", 0);
    auto e = error_of([&] { delegate("fake-ipam", "ADD", request(bin.path())); });
    CHECK(e.code() == kDecodeFailure);
    CHECK_THAT(e.msg(), Catch::Contains("ips[0].address"));
  }
}
