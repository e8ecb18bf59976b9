// common/log: every line is one line, whatever its message quotes (a
// tenant's method name or network id may hold newlines and any bytes).
#include <algorithm>
#include <catch2/catch.hpp>

#include "common/log/log.h"
#include "common/sys/file.h"
#include "common/sys/json.h"
#include "support/support.h"

using namespace zos;

TEST_CASE("printable: control bytes and bytes that are not UTF-8 become hex escapes", "[log]") {
  CHECK(sys::printable("net-0c00-0 ok") == "net-0c00-0 ok");
  CHECK(sys::printable("caf\xc3\xa9 \xe2\x82\xac") == "caf\xc3\xa9 \xe2\x82\xac");  // UTF-8 stays
  CHECK(sys::printable("a\nb\r\tc\x1b[2J\x7f") == "a\\x0ab\\x0d\\x09c\\x1b[2J\\x7f");
  CHECK(sys::printable("\xff\xc3") == "\\xff\\xc3");  // a lone byte, a cut sequence
  CHECK(sys::printable(std::string("x\0y", 3)) == "x\\x00y");
}

TEST_CASE("a log message with a newline stays on its line", "[log]") {
  test::TempDir dir;
  std::string file = dir / "log";
  log::configure({"info", file});
  spdlog::warn("unknown method {}", "Nope\n2026-12-01T00:00:00.000 zos-nr[1] error: forged\xff");
  log::init("test");  // back to stderr only
  std::string text = sys::read_file(file).value_or("");
  CHECK(std::count(text.begin(), text.end(), '\n') == 1);
  CHECK_THAT(text, Catch::EndsWith(" warning: unknown method Nope\\x0a2026-12-01T00:00:00.000 zos-nr[1] error: forged\\xff\n"));
}
