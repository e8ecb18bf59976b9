#include "common/net/sysctl.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "common/sys/fd.h"
#include "common/sys/syscall.h"

namespace zos::nl {

namespace {

// No way out of /proc/sys (or the folder): no empty, "." or ".." component.
void check_components(std::string_view k, const std::string& key) {
  for (size_t b = 0;;) {
    const size_t e = k.find('/', b);
    const std::string_view part = k.substr(b, e == std::string_view::npos ? std::string_view::npos : e - b);
    if (part.empty() || part == "." || part == "..")
      throw sys::SysError(EINVAL, "sysctl key '" + key + "' is not valid");
    if (e == std::string_view::npos) break;
    b = e + 1;
  }
}

// procfs takes a value in one write.
void write_value(int fd, const std::string& path, std::string_view value) {
  ssize_t n = sys::check("write '" + std::string(value) + "' to sysctl " + path,
                         [&] { return ::write(fd, value.data(), value.size()); });
  if (static_cast<size_t>(n) != value.size())
    throw sys::SysError(EIO, "write '" + std::string(value) + "' to sysctl " + path + ": short write");
}

}  // namespace

std::string sysctl_path(const std::string& key) {
  std::string k = key;
  while (!k.empty() && (k.front() == '/' || k.front() == '.')) k.erase(0, 1);
  if (k.find('/') == std::string::npos) std::replace(k.begin(), k.end(), '.', '/');
  check_components(k, key);
  return "/proc/sys/" + k;
}

std::optional<std::string> sysctl_get_if_exists(const std::string& key) {
  const std::string path = sysctl_path(key);
  int r = sys::check_or("open sysctl " + path, {ENOENT},
                        [&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); });
  if (r < 0) return std::nullopt;
  sys::Fd fd(r);
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = sys::check("read sysctl " + path, [&] { return ::read(fd.get(), buf, sizeof buf); });
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string sysctl_get(const std::string& key) {
  auto v = sysctl_get_if_exists(key);
  if (!v) throw sys::SysError(ENOENT, "read sysctl " + sysctl_path(key));
  return *v;
}

void sysctl_set(const std::string& key, const std::string& value) {
  const std::string path = sysctl_path(key);
  sys::Fd fd(sys::check("open sysctl " + path + " for writing",
                        [&] { return ::open(path.c_str(), O_WRONLY | O_CLOEXEC); }));
  write_value(fd.get(), path, value);
}

void sysctl_set_below(const std::string& dir,
                      std::initializer_list<std::pair<std::string_view, std::string_view>> values) {
  const std::string base = sysctl_path(dir);
  sys::Fd d(sys::check("open sysctl folder " + base,
                       [&] { return ::open(base.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); }));
  for (const auto& [key, value] : values) {
    const std::string path = base + "/" + std::string(key);
    check_components(key, path);
    const std::string rel(key);
    sys::Fd fd(sys::check("open sysctl " + path + " for writing",
                          [&] { return ::openat(d.get(), rel.c_str(), O_WRONLY | O_CLOEXEC); }));
    write_value(fd.get(), path, value);
  }
}

}  // namespace zos::nl
