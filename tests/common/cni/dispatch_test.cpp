// cni::run: the verb dispatcher, driven with an env map and string streams.
#include <catch2/catch.hpp>
#include <sstream>

#include "common/cni/plugin.h"
#include "common/cni/version.h"
#include "common/sys/syscall.h"
#include "support/support.h"

using namespace zos::cni;
using nlohmann::json;
using Environ = std::map<std::string, std::string>;
using zos::test::quiet_logger;

namespace {

Environ env_for(const std::string& cmd) {
  return {{"CNI_COMMAND", cmd},
          {"CNI_CONTAINERID", "ctr-1"},
          {"CNI_NETNS", "/var/run/netns/ctr-1"},
          {"CNI_IFNAME", "eth0"},
          {"CNI_PATH", "/opt/cni/bin"},
          {"CNI_ARGS", "IgnoreUnknown=1;K8S_POD_NAME=web"}};
}

struct Outcome {
  int rc;
  std::string out;
  std::string err;
  json out_json() const {
    INFO("stdout: " << out);
    REQUIRE_FALSE(out.empty());
    REQUIRE(out.back() == '\n');
    REQUIRE(out.find('\n') == out.size() - 1);  // exactly one line
    return json::parse(out);
  }
};

Outcome call(const Handlers& h, const Environ& env, const std::string& stdin_text) {
  quiet_logger();
  std::istringstream in(stdin_text);
  std::ostringstream out, err;
  int rc = run(h, env, in, out, err);
  return {rc, out.str(), err.str()};
}

Outcome call(const Handlers& h, const std::string& cmd, const json& conf) { return call(h, env_for(cmd), conf.dump()); }

json conf(const std::string& version) {
  json j = {{"name", "zos-net"}, {"type", "zos-bridge"}};
  if (!version.empty()) j["cniVersion"] = version;
  return j;
}

zos::ip::Prefix P(const char* s) { return *zos::ip::Prefix::parse(s); }

Result one_ip_result() {
  Result r;
  r.interfaces.push_back({"eth0", "aa:bb:cc:dd:ee:01", "/var/run/netns/ctr-1"});
  r.ips.push_back({P("10.1.10.2/24"), zos::ip::Addr::parse("10.1.10.1"), 0});
  r.routes.push_back({P("0.0.0.0/0"), zos::ip::Addr::parse("10.1.10.1")});
  return r;
}

// Handlers that record they were called and fail the test if the wrong one is.
struct Recorder {
  std::vector<std::string> calls;
  std::optional<Request> last;
  Handlers handlers() {
    Handlers h;
    h.about = "zos-test v0.0.0 CNI 0.1.0-1.1.0";
    h.add = [this](const Request& r) {
      calls.push_back("ADD");
      last = r;
      return one_ip_result();
    };
    h.del = [this](const Request& r) {
      calls.push_back("DEL");
      last = r;
    };
    h.check = [this](const Request& r) {
      calls.push_back("CHECK");
      last = r;
    };
    h.gc = [this](const Request& r) {
      calls.push_back("GC");
      last = r;
    };
    h.status = [this](const Request& r) {
      calls.push_back("STATUS");
      last = r;
    };
    return h;
  }
};

// The run failed with `code`: exit 1, only the error JSON on stdout.
json expect_error(const Outcome& o, int code) {
  INFO("stdout: " << o.out);
  CHECK(o.rc == 1);
  json j = o.out_json();
  CHECK(j["code"] == code);
  CHECK(j["msg"].is_string());
  CHECK_FALSE(j["msg"].get<std::string>().empty());
  CHECK(j["cniVersion"].is_string());
  for (const auto& [k, v] : j.items()) {
    INFO(k);
    CHECK((k == "cniVersion" || k == "code" || k == "msg" || k == "details"));
  }
  return j;
}

}  // namespace

TEST_CASE("no CNI_COMMAND prints the about line on stderr", "[dispatch]") {
  Recorder rec;
  for (bool empty : {false, true}) {
    Environ env = env_for("ADD");
    if (empty)
      env["CNI_COMMAND"] = "";
    else
      env.erase("CNI_COMMAND");
    auto o = call(rec.handlers(), env, "not even json");
    CHECK(o.rc == 0);
    CHECK(o.out.empty());
    CHECK(o.err == "zos-test v0.0.0 CNI 0.1.0-1.1.0\n");
  }
  CHECK(rec.calls.empty());
}

TEST_CASE("VERSION prints the supported versions", "[dispatch]") {
  Recorder rec;
  const std::string want =
      R"({"cniVersion":"1.1.0","supportedVersions":["0.1.0","0.2.0","0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]})"
      "\n";
  for (const std::string& in : {std::string(R"({"cniVersion":"0.4.0"})"), std::string(""), std::string("garbage")}) {
    INFO("stdin: " << in);
    auto o = call(rec.handlers(), {{"CNI_COMMAND", "VERSION"}}, in);
    CHECK(o.rc == 0);
    CHECK(o.out == want);
  }
  CHECK(rec.calls.empty());
}

TEST_CASE("ADD prints the handler's result in the requested version", "[dispatch]") {
  for (const auto& v : supported_versions()) {
    INFO(v);
    Recorder rec;
    auto o = call(rec.handlers(), "ADD", conf(v));
    CHECK(o.rc == 0);
    CHECK(rec.calls == std::vector<std::string>{"ADD"});
    json got = o.out_json();
    CHECK(got == one_ip_result().to_json(v));
    CHECK(got["cniVersion"] == v);
  }
}

TEST_CASE("the handler gets the parsed request", "[dispatch]") {
  Recorder rec;
  json c = conf("1.0.0");
  c["runtimeConfig"] = {{"ips", {"10.1.10.7/24"}}, {"mac", "aa:bb:cc:dd:ee:ff"}, {"nothing", nullptr}};
  c["args"] = {{"cni", {{"ips", {"10.1.10.8/24"}}}}};
  std::string raw = c.dump(2);
  auto o = call(rec.handlers(), env_for("ADD"), raw);
  REQUIRE(o.rc == 0);
  REQUIRE(rec.last);
  const Request& r = *rec.last;
  CHECK(r.raw == raw);
  CHECK(r.conf == c);
  CHECK(r.version == "1.0.0");
  CHECK_FALSE(r.prev);
  CHECK(r.env.command == "ADD");
  CHECK(r.env.container_id == "ctr-1");
  CHECK(r.env.ifname == "eth0");
  CHECK(r.env.netns == "/var/run/netns/ctr-1");
  CHECK(r.env.args.get("K8S_POD_NAME") == std::optional<std::string>("web"));
  CHECK(r.env.all == env_for("ADD"));

  REQUIRE(r.runtime_config("ips"));
  CHECK(*r.runtime_config("ips") == json{"10.1.10.7/24"});
  CHECK(*r.runtime_config("mac") == "aa:bb:cc:dd:ee:ff");
  CHECK(r.runtime_config("nothing") == nullptr);
  CHECK(r.runtime_config("portMappings") == nullptr);
  REQUIRE(r.args_cni("ips"));
  CHECK(*r.args_cni("ips") == json{"10.1.10.8/24"});
  CHECK(r.args_cni("mac") == nullptr);
}

TEST_CASE("runtime_config and args_cni tolerate absent or odd shapes", "[dispatch]") {
  Request r;
  r.conf = json::object();
  CHECK(r.runtime_config("ips") == nullptr);
  CHECK(r.args_cni("ips") == nullptr);
  r.conf = {{"runtimeConfig", "x"}, {"args", {{"cni", 5}}}};
  CHECK(r.runtime_config("ips") == nullptr);
  CHECK(r.args_cni("ips") == nullptr);
  r.conf = {{"runtimeConfig", {{"ips", nullptr}}}, {"args", "y"}};
  CHECK(r.runtime_config("ips") == nullptr);
  CHECK(r.args_cni("ips") == nullptr);
  r.conf = {{"args", {{"cni", {{"ips", {"10.0.0.1/24"}}}}}}};
  REQUIRE(r.args_cni("ips"));
  CHECK((*r.args_cni("ips"))[0] == "10.0.0.1/24");
}

TEST_CASE("DEL, CHECK, GC and STATUS print nothing on success", "[dispatch]") {
  for (const char* cmd : {"DEL", "CHECK", "GC", "STATUS"}) {
    INFO(cmd);
    Recorder rec;
    json c = conf("1.1.0");
    if (std::string(cmd) == "CHECK") c["prevResult"] = one_ip_result().to_json("1.1.0");
    auto o = call(rec.handlers(), cmd, c);
    CHECK(o.rc == 0);
    CHECK(o.out.empty());
    CHECK(rec.calls == std::vector<std::string>{cmd});
  }
  // DEL with CNI_NETNS empty still reaches the handler
  Recorder rec;
  Environ env = env_for("DEL");
  env["CNI_NETNS"] = "";
  auto o = call(rec.handlers(), env, conf("0.3.1").dump());
  CHECK(o.rc == 0);
  CHECK(o.out.empty());
  CHECK(rec.calls == std::vector<std::string>{"DEL"});
}

TEST_CASE("environment errors are error 4 on stdout", "[dispatch]") {
  Recorder rec;
  Environ env = env_for("ADD");
  env.erase("CNI_IFNAME");
  auto j = expect_error(call(rec.handlers(), env, conf("1.0.0").dump()), kInvalidEnv);
  CHECK_THAT(j["msg"].get<std::string>(), Catch::Contains("CNI_IFNAME"));
  CHECK(j["cniVersion"] == "1.1.0");

  env = env_for("FROB");
  expect_error(call(rec.handlers(), env, conf("1.0.0").dump()), kInvalidEnv);
  env = env_for("ADD");
  env["CNI_ARGS"] = "NOPE";
  expect_error(call(rec.handlers(), env, conf("1.0.0").dump()), kInvalidEnv);
  CHECK(rec.calls.empty());
}

TEST_CASE("stdin that is not a JSON object is error 6", "[dispatch]") {
  Recorder rec;
  for (const char* in : {"", "{", "not json", "[1,2]", "\"str\"", "42", R"({"cniVersion":1,"name":"n"})"}) {
    INFO(in);
    expect_error(call(rec.handlers(), env_for("ADD"), in), kDecodeFailure);
  }
  CHECK(rec.calls.empty());
}

TEST_CASE("version errors are error 1", "[dispatch]") {
  Recorder rec;
  SECTION("unsupported cniVersion") {
    for (const char* v : {"0.5.0", "2.0.0", "1.2.0", "", "latest"}) {
      INFO(v);
      auto c = conf("x");
      c["cniVersion"] = v;
      for (const char* cmd : {"ADD", "DEL"}) expect_error(call(rec.handlers(), cmd, c), kIncompatibleVersion);
    }
  }
  SECTION("CHECK below 0.4.0") {
    for (const char* v : {"0.1.0", "0.2.0", "0.3.0", "0.3.1"}) {
      INFO(v);
      auto c = conf(v);
      c["prevResult"] = one_ip_result().to_json(v);
      auto j = expect_error(call(rec.handlers(), "CHECK", c), kIncompatibleVersion);
      CHECK(j["cniVersion"] == v);
    }
    expect_error(call(rec.handlers(), "CHECK", conf("")), kIncompatibleVersion);  // no cniVersion: 0.1.0
  }
  SECTION("GC and STATUS below 1.1.0") {
    for (const char* cmd : {"GC", "STATUS"})
      for (const char* v : {"0.1.0", "0.3.1", "0.4.0", "1.0.0"}) {
        INFO(cmd << " " << v);
        expect_error(call(rec.handlers(), cmd, conf(v)), kIncompatibleVersion);
      }
  }
  CHECK(rec.calls.empty());
}

TEST_CASE("a missing cniVersion means 0.1.0", "[dispatch]") {
  Recorder rec;
  auto o = call(rec.handlers(), "ADD", conf(""));
  REQUIRE(o.rc == 0);
  REQUIRE(rec.last);
  CHECK(rec.last->version == "0.1.0");
  json got = o.out_json();
  CHECK(got == one_ip_result().to_json("0.1.0"));
  CHECK(got.contains("ip4"));
  CHECK_FALSE(got.contains("ips"));
}

TEST_CASE("CHECK needs prevResult", "[dispatch]") {
  Recorder rec;
  for (const char* v : {"0.4.0", "1.0.0", "1.1.0"}) {
    INFO(v);
    auto c = conf(v);
    auto j = expect_error(call(rec.handlers(), "CHECK", c), kInvalidConfig);
    CHECK_THAT(j["msg"].get<std::string>(), Catch::Contains("prevResult"));
    CHECK(j["cniVersion"] == v);
    c["prevResult"] = nullptr;
    expect_error(call(rec.handlers(), "CHECK", c), kInvalidConfig);
  }
  CHECK(rec.calls.empty());
}

TEST_CASE("prevResult is read in the config's version", "[dispatch]") {
  for (const char* v : {"0.2.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"}) {
    INFO(v);
    Recorder rec;
    auto c = conf(v);
    c["prevResult"] = one_ip_result().to_json(v);
    Handlers h = rec.handlers();
    // a chained plugin passes prevResult through
    h.add = [&](const Request& r) {
      rec.last = r;
      return *r.prev;
    };
    auto o = call(h, "ADD", c);
    REQUIRE(o.rc == 0);
    REQUIRE(rec.last);
    REQUIRE(rec.last->prev);
    // read back as written: the same result, less what the version lacks
    CHECK(*rec.last->prev == Result::parse(one_ip_result().to_json(v), v));
    REQUIRE(rec.last->prev->ips.size() == 1);
    CHECK(rec.last->prev->ips[0].address.str() == "10.1.10.2/24");
    CHECK(o.out_json() == one_ip_result().to_json(v));
  }
  // a CHECK sees it too
  Recorder rec;
  auto c = conf("1.1.0");
  c["prevResult"] = one_ip_result().to_json("1.1.0");
  REQUIRE(call(rec.handlers(), "CHECK", c).rc == 0);
  REQUIRE(rec.last->prev);
  CHECK(*rec.last->prev == one_ip_result());
}

TEST_CASE("a malformed prevResult is error 6", "[dispatch]") {
  Recorder rec;
  auto c = conf("1.0.0");
  c["prevResult"] = {{"ips", {{{"address", "10.1.10.300/24"}}}}};
  auto j = expect_error(call(rec.handlers(), "ADD", c), kDecodeFailure);
  CHECK_THAT(j["msg"].get<std::string>(), Catch::Contains("ips[0].address"));
  c["prevResult"] = "x";
  expect_error(call(rec.handlers(), "DEL", c), kDecodeFailure);
  CHECK(rec.calls.empty());
}

TEST_CASE("a bad network name is error 7", "[dispatch]") {
  Recorder rec;
  for (json name : {json("-net"), json(""), json("a b"), json("a/b"), json(5), json(nullptr)}) {
    INFO(name.dump());
    auto c = conf("1.0.0");
    c["name"] = name;
    expect_error(call(rec.handlers(), "ADD", c), kInvalidConfig);
  }
  auto c = conf("1.0.0");
  c.erase("name");
  auto j = expect_error(call(rec.handlers(), "DEL", c), kInvalidConfig);
  CHECK_THAT(j["msg"].get<std::string>(), Catch::Contains("name"));
  CHECK(rec.calls.empty());
}

TEST_CASE("handler exceptions become CNI errors", "[dispatch]") {
  Handlers h;
  SECTION("cni::Error keeps its code, message and details") {
    h.add = [](const Request&) -> Result { throw Error(kTryAgainLater, "store busy", "lock held by 42"); };
    auto o = call(h, "ADD", conf("1.0.0"));
    auto j = expect_error(o, kTryAgainLater);
    CHECK(j == json{{"cniVersion", "1.0.0"}, {"code", 11}, {"msg", "store busy"}, {"details", "lock held by 42"}});
  }
  SECTION("no details, no details key") {
    h.del = [](const Request&) { throw Error(kUnknownContainer, "gone"); };
    auto j = expect_error(call(h, "DEL", conf("0.4.0")), kUnknownContainer);
    CHECK(j == json{{"cniVersion", "0.4.0"}, {"code", 3}, {"msg", "gone"}});
  }
  SECTION("SysError is an I/O failure, code 5") {
    h.add = [](const Request&) -> Result { throw zos::sys::SysError(EIO, "write /var/lib/x"); };
    auto j = expect_error(call(h, "ADD", conf("1.1.0")), kIoFailure);
    CHECK_THAT(j["msg"].get<std::string>(), Catch::Contains("write /var/lib/x"));
    CHECK(j["cniVersion"] == "1.1.0");
  }
  SECTION("anything else is internal, code 999") {
    h.add = [](const Request&) -> Result { throw std::runtime_error("boom"); };
    auto j = expect_error(call(h, "ADD", conf("1.0.0")), kInternal);
    CHECK(j["code"] == 999);
    CHECK_THAT(j["msg"].get<std::string>(), Catch::Contains("boom"));
  }
  SECTION("STATUS reports unavailable") {
    h.status = [](const Request&) { throw Error(kUnavailable, "no uplink"); };
    expect_error(call(h, "STATUS", conf("1.1.0")), kUnavailable);
  }
  SECTION("a verb without a handler fails, it does not crash") {
    auto o = call(h, "CHECK", [] {
      auto c = conf("1.1.0");
      c["prevResult"] = json::object();
      return c;
    }());
    CHECK(o.rc == 1);
    CHECK(o.out_json()["code"].is_number_integer());
  }
}

TEST_CASE("error_json", "[dispatch]") {
  CHECK(error_json(Error(7, "bad"), "0.4.0") == json{{"cniVersion", "0.4.0"}, {"code", 7}, {"msg", "bad"}});
  CHECK(error_json(Error(7, "bad", "why"), "") ==
        json{{"cniVersion", "1.1.0"}, {"code", 7}, {"msg", "bad"}, {"details", "why"}});
}

TEST_CASE("valid_attachments reads both keys", "[dispatch][gc]") {
  json att = {{{"containerID", "c1"}, {"ifname", "eth0"}}, {{"containerID", "c2"}, {"ifname", "eth1"}}};
  std::vector<Attachment> want = {{"c1", "eth0"}, {"c2", "eth1"}};
  CHECK(valid_attachments({{"cni.dev/valid-attachments", att}}) == want);
  CHECK(valid_attachments({{"cni.dev/attachments", att}}) == want);  // legacy libcni key
  // both: the spec key wins
  json other = {{{"containerID", "c9"}, {"ifname", "eth9"}}};
  CHECK(valid_attachments({{"cni.dev/valid-attachments", att}, {"cni.dev/attachments", other}}) == want);
  CHECK(valid_attachments({{"name", "n"}}).empty());
  CHECK(valid_attachments({{"cni.dev/valid-attachments", json::array()}}).empty());
  for (const char* text : {R"("x")", R"({"containerID":"c1","ifname":"eth0"})", R"([{"containerID":"c1"}])",
                           R"([{"containerID":1,"ifname":"e"}])", R"(["c1"])", R"([{"containerID":"c1","ifname":null}])"}) {
    json bad = json::parse(text);
    INFO(bad.dump());
    try {
      valid_attachments({{"cni.dev/valid-attachments", bad}});
      FAIL("accepted");
    } catch (const Error& e) {
      CHECK(e.code() == kInvalidConfig);
      CHECK_THAT(e.msg(), Catch::Contains("cni.dev/valid-attachments"));
    }
  }
}

TEST_CASE("GC hands the attachments to its handler", "[dispatch][gc]") {
  Recorder rec;
  auto c = conf("1.1.0");
  c["cni.dev/valid-attachments"] = {{{"containerID", "c1"}, {"ifname", "eth0"}}};
  Environ env = {{"CNI_COMMAND", "GC"}, {"CNI_PATH", "/opt/cni/bin"}};
  auto o = call(rec.handlers(), env, c.dump());
  CHECK(o.rc == 0);
  CHECK(o.out.empty());
  REQUIRE(rec.last);
  CHECK(valid_attachments(rec.last->conf) == std::vector<Attachment>{{"c1", "eth0"}});
}
