// The CNI_* environment: required variables per verb, grammar, CNI_ARGS.
#include <catch2/catch.hpp>

#include "common/cni/env.h"
#include "common/cni/error.h"
#include "support/support.h"

using namespace zos::cni;
using Environ = std::map<std::string, std::string>;

namespace {

Environ full(const std::string& cmd) {
  return {{"CNI_COMMAND", cmd},      {"CNI_CONTAINERID", "ctr-1"}, {"CNI_NETNS", "/var/run/netns/x"},
          {"CNI_IFNAME", "eth0"},    {"CNI_PATH", "/opt/cni/bin"}, {"CNI_ARGS", "IgnoreUnknown=1;K8S_POD_NAME=p"},
          {"PATH", "/usr/bin:/bin"}};
}

// Parses and returns the Error; fails the test when parse succeeds.
Error parse_error(const Environ& e) {
  INFO("Env::parse of an invalid environment");
  return zos::test::error_of([&] { Env::parse(e); });
}

}  // namespace

TEST_CASE("a complete environment parses for every verb", "[env]") {
  for (const char* cmd : {"ADD", "DEL", "CHECK", "GC", "STATUS", "VERSION"}) {
    INFO(cmd);
    auto env = full(cmd);
    Env e = Env::parse(env);
    CHECK(e.command == cmd);
    CHECK(e.container_id == "ctr-1");
    CHECK(e.netns == "/var/run/netns/x");
    CHECK(e.ifname == "eth0");
    CHECK(e.path == "/opt/cni/bin");
    CHECK(e.args.get("K8S_POD_NAME") == std::optional<std::string>("p"));
    CHECK(e.all == env);  // the whole environment, PATH included
  }
}

TEST_CASE("each required variable missing is error 4 naming it", "[env]") {
  struct Case {
    const char* cmd;
    std::vector<const char*> required;
  };
  std::vector<Case> cases = {
      {"ADD", {"CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH"}},
      {"CHECK", {"CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH"}},
      {"DEL", {"CNI_CONTAINERID", "CNI_IFNAME", "CNI_PATH"}},
      {"GC", {"CNI_PATH"}},
      {"STATUS", {"CNI_PATH"}},
  };
  for (const auto& c : cases) {
    for (const char* var : c.required) {
      INFO(c.cmd << " without " << var);
      for (bool empty : {false, true}) {
        auto env = full(c.cmd);
        if (empty)
          env[var] = "";
        else
          env.erase(var);
        auto err = parse_error(env);
        CHECK(err.code() == kInvalidEnv);
        CHECK_THAT(err.msg(), Catch::Contains(var));
      }
    }
  }
}

TEST_CASE("several missing variables are all named", "[env]") {
  auto err = parse_error({{"CNI_COMMAND", "ADD"}});
  CHECK(err.code() == 4);
  for (const char* v : {"CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH"}) CHECK_THAT(err.msg(), Catch::Contains(v));
}

TEST_CASE("verbs that do not need a variable accept it missing", "[env]") {
  // DEL: CNI_NETNS may be empty or absent (the netns is gone)
  for (bool erase : {false, true}) {
    auto env = full("DEL");
    if (erase)
      env.erase("CNI_NETNS");
    else
      env["CNI_NETNS"] = "";
    Env e = Env::parse(env);
    CHECK(e.command == "DEL");
    CHECK(e.netns.empty());
  }
  // GC and STATUS need no container, netns or ifname
  for (const char* cmd : {"GC", "STATUS"}) {
    INFO(cmd);
    CHECK_NOTHROW(Env::parse({{"CNI_COMMAND", cmd}, {"CNI_PATH", "/opt/cni/bin"}}));
  }
  // VERSION needs nothing at all
  CHECK(Env::parse({{"CNI_COMMAND", "VERSION"}}).command == "VERSION");
  // and GC does not validate a container id it does not use
  auto gc = full("GC");
  gc["CNI_CONTAINERID"] = "-bad";
  gc["CNI_IFNAME"] = "a/b";
  CHECK_NOTHROW(Env::parse(gc));
}

TEST_CASE("unknown or absent CNI_COMMAND is error 4", "[env]") {
  for (const char* cmd : {"", "add", "Add", "UPDATE", "ADD ", "DELETE"}) {
    INFO(cmd);
    auto env = full(cmd);
    auto err = parse_error(env);
    CHECK(err.code() == kInvalidEnv);
    CHECK_THAT(err.msg(), Catch::Contains("CNI_COMMAND"));
  }
  auto env = full("ADD");
  env.erase("CNI_COMMAND");
  CHECK(parse_error(env).code() == 4);
}

TEST_CASE("container id grammar", "[env]") {
  for (const char* s : {"a", "0", "abc123", "default-1234", "A.b_c-d", "9f86d081884c7d659a2feaa0c55ad015",
                        "x.", "x-", "x_"}) {
    INFO(s);
    CHECK(valid_container_id(s));
    CHECK(valid_network_name(s));
  }
  for (const char* s : {"", "-a", "_a", ".a", "a b", "a/b", "a:b", "a;b", "a=b", "é", "a\n", "a+b"}) {
    INFO(s);
    CHECK_FALSE(valid_container_id(s));
    CHECK_FALSE(valid_network_name(s));
  }
  for (const char* cmd : {"ADD", "DEL", "CHECK"}) {
    INFO(cmd);
    auto env = full(cmd);
    env["CNI_CONTAINERID"] = "-bad";
    auto err = parse_error(env);
    CHECK(err.code() == 4);
    CHECK_THAT(err.msg(), Catch::Contains("CNI_CONTAINERID"));
    env["CNI_CONTAINERID"] = "default-0123.a_b";
    CHECK(Env::parse(env).container_id == "default-0123.a_b");
  }
}

TEST_CASE("ifname rules", "[env]") {
  CHECK(valid_ifname("eth0"));
  CHECK(valid_ifname("a"));
  CHECK(valid_ifname(std::string(15, 'x')));
  CHECK(valid_ifname("a.b"));
  CHECK(valid_ifname("..."));
  CHECK(valid_ifname("veth-1_a"));
  for (std::string s : {std::string(16, 'x'), std::string(""), std::string("."), std::string(".."),
                        std::string("a/b"), std::string("a:b"), std::string("a b"), std::string("a\tb"),
                        std::string("a\nb"), std::string("/"), std::string(" eth0")}) {
    INFO("\"" << s << "\"");
    CHECK_FALSE(valid_ifname(s));
  }
  for (const char* cmd : {"ADD", "DEL", "CHECK"}) {
    for (std::string bad : {std::string(16, 'x'), std::string("."), std::string(".."), std::string("a/b"),
                            std::string("a:b"), std::string("a b")}) {
      INFO(cmd << " CNI_IFNAME=\"" << bad << "\"");
      auto env = full(cmd);
      env["CNI_IFNAME"] = bad;
      auto err = parse_error(env);
      CHECK(err.code() == kInvalidEnv);
      CHECK_THAT(err.msg(), Catch::Contains("CNI_IFNAME"));
    }
    auto env = full(cmd);
    env["CNI_IFNAME"] = std::string(15, 'x');
    CHECK(Env::parse(env).ifname == std::string(15, 'x'));
  }
}

TEST_CASE("CNI_ARGS parses K=V pairs", "[env][args]") {
  auto a = Args::parse("IgnoreUnknown=1;K8S_POD_NAME=web;K8S_POD_NAMESPACE=default;IP=10.1.0.5");
  REQUIRE(a.pairs().size() == 4);
  CHECK(a.pairs()[0] == std::pair<std::string, std::string>("IgnoreUnknown", "1"));
  CHECK(a.pairs()[3] == std::pair<std::string, std::string>("IP", "10.1.0.5"));
  CHECK(a.get("K8S_POD_NAME") == std::optional<std::string>("web"));
  CHECK(a.get("IP") == std::optional<std::string>("10.1.0.5"));
  CHECK_FALSE(a.get("MAC"));
  CHECK_FALSE(a.get("ip"));  // keys are case sensitive

  CHECK(Args::parse("").pairs().empty());
  CHECK(Args::parse(";").pairs().empty());
  CHECK(Args::parse(";;A=1;;").pairs().size() == 1);
  CHECK(Args::parse("A=").get("A") == std::optional<std::string>(""));
  CHECK(Args::parse("A=b=c").get("A") == std::optional<std::string>("b=c"));
  CHECK(Args::parse("A=1;").pairs().size() == 1);
}

TEST_CASE("malformed CNI_ARGS pairs are error 4", "[env][args]") {
  for (const char* raw : {"A", "A=1;B", "=1", "A=1;=2", "IgnoreUnknown"}) {
    INFO(raw);
    try {
      Args::parse(raw);
      FAIL("accepted");
    } catch (const Error& e) {
      CHECK(e.code() == kInvalidEnv);
      CHECK_THAT(e.msg(), Catch::Contains("CNI_ARGS"));
    }
  }
  auto env = full("ADD");
  env["CNI_ARGS"] = "IgnoreUnknown=1;BROKEN";
  auto err = parse_error(env);
  CHECK(err.code() == 4);
  CHECK_THAT(err.msg(), Catch::Contains("BROKEN"));
  env.erase("CNI_ARGS");
  CHECK(Env::parse(env).args.pairs().empty());
}

TEST_CASE("IgnoreUnknown and reject_unknown", "[env][args]") {
  for (const char* v : {"1", "true", "TRUE", "True"}) {
    INFO(v);
    auto a = Args::parse(std::string("IgnoreUnknown=") + v + ";FOO=bar");
    CHECK(a.ignore_unknown());
    CHECK_NOTHROW(a.reject_unknown({"IP"}));
  }
  for (const char* raw : {"IgnoreUnknown=0;FOO=bar", "IgnoreUnknown=false;FOO=bar", "IgnoreUnknown=;FOO=bar",
                          "FOO=bar", "ignoreunknown=1;FOO=bar"}) {
    INFO(raw);
    auto a = Args::parse(raw);
    CHECK_FALSE(a.ignore_unknown());
    try {
      a.reject_unknown({"IP", "MAC"});
      FAIL("unknown key accepted");
    } catch (const Error& e) {
      CHECK(e.code() == kInvalidEnv);
      CHECK_THAT(e.msg(), Catch::Contains("\"FOO\"") || Catch::Contains("\"ignoreunknown\""));
    }
  }
  // known keys, and IgnoreUnknown itself, are fine
  CHECK_NOTHROW(Args::parse("IP=10.0.0.2;MAC=aa:bb:cc:dd:ee:ff").reject_unknown({"IP", "MAC"}));
  CHECK_NOTHROW(Args::parse("IgnoreUnknown=0;IP=10.0.0.2").reject_unknown({"IP"}));
  CHECK_NOTHROW(Args::parse("").reject_unknown({}));
  // the first unknown key is named
  try {
    Args::parse("IP=1;ZZZ=2;YYY=3").reject_unknown({"IP"});
    FAIL("unknown key accepted");
  } catch (const Error& e) {
    CHECK_THAT(e.msg(), Catch::Contains("ZZZ"));
  }
}

TEST_CASE("CNI_PATH splits into folders", "[env]") {
  Env e;
  e.path = "/opt/cni/bin:/usr/lib/cni::/x/";
  CHECK(e.path_dirs() == std::vector<std::string>{"/opt/cni/bin", "/usr/lib/cni", "/x/"});
  e.path = "";
  CHECK(e.path_dirs().empty());
  e.path = "/only";
  CHECK(e.path_dirs() == std::vector<std::string>{"/only"});
  e.path = ":/a:";
  CHECK(e.path_dirs() == std::vector<std::string>{"/a"});
}

TEST_CASE("environ_map", "[env]") {
  char a[] = "A=1", b[] = "B=x=y", c[] = "C=", d[] = "NOEQ";
  char* envp[] = {a, b, c, d, nullptr};
  auto m = environ_map(envp);
  CHECK(m == Environ{{"A", "1"}, {"B", "x=y"}, {"C", ""}});
  CHECK(environ_map(nullptr).empty());
}
