#include "common/sys/file.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/sys/syscall.h"

namespace zos::sys {

namespace {

std::string dir_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

void write_all(int fd, const std::string& data, const std::string& path) {
  size_t off = 0;
  while (off < data.size()) {
    auto n = check("write " + path, [&] { return ::write(fd, data.data() + off, data.size() - off); });
    off += static_cast<size_t>(n);
  }
}

void fsync_dir(const std::string& dir) {
  Fd d(check("open " + dir, [&] { return ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); }));
  check("fsync " + dir, [&] { return ::fsync(d.get()); });
}

// Writes `data` to a fresh temporary file beside `path`; returns its name.
std::string write_temp(const std::string& path, const std::string& data, unsigned mode, Sync sync) {
  std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  Fd fd(check("create " + tmp,
              [&] { return ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode); }));
  try {
    check("chmod " + tmp, [&] { return ::fchmod(fd.get(), mode); });
    write_all(fd.get(), data, tmp);
    if (sync == Sync::kDurable) check("fsync " + tmp, [&] { return ::fsync(fd.get()); });
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  return tmp;
}

}  // namespace

std::optional<std::string> read_file(const std::string& path) {
  int raw = check_or("open " + path, {ENOENT}, [&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); });
  if (raw < 0) return std::nullopt;
  return read_all(Fd(raw), path);
}

std::string read_all(const Fd& fd, const std::string& path) {
  std::string out;
  char buf[8192];
  for (;;) {
    auto n = check("read " + path, [&] { return ::read(fd.get(), buf, sizeof buf); });
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

void write_file_atomic(const std::string& path, const std::string& data, unsigned mode, Sync sync) {
  std::string tmp = write_temp(path, data, mode, sync);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw_errno("rename " + tmp + " to " + path, err);
  }
  if (sync == Sync::kDurable) fsync_dir(dir_of(path));
}

bool write_if_changed(const std::string& path, const std::string& data, unsigned mode, Sync sync) {
  if (read_file(path) == data) return false;
  if (auto slash = path.rfind('/'); slash != std::string::npos && slash > 0) make_dirs(path.substr(0, slash));
  write_file_atomic(path, data, mode, sync);
  return true;
}

bool create_file_exclusive(const std::string& path, const std::string& data, unsigned mode, Sync sync) {
  std::string tmp = write_temp(path, data, mode, sync);
  int rc = ::link(tmp.c_str(), path.c_str());
  int err = errno;
  ::unlink(tmp.c_str());
  if (rc != 0) {
    if (err == EEXIST) return false;
    throw_errno("link " + path, err);
  }
  if (sync == Sync::kDurable) fsync_dir(dir_of(path));
  return true;
}

bool remove_if_exists(const std::string& path) {
  return check_or("unlink " + path, {ENOENT}, [&] { return ::unlink(path.c_str()); }) == 0;
}

bool is_temp_leftover(const std::string& name) {
  auto at = name.rfind(".tmp-");
  if (at == std::string::npos) return false;
  // A writer that still runs may be between write and rename.
  std::string pid = name.substr(at + 5);
  bool numeric = !pid.empty() && pid.size() < 10 && pid.find_first_not_of("0123456789") == std::string::npos;
  return !(numeric && (::kill(std::stoi(pid), 0) == 0 || errno == EPERM));
}

void clean_temp_files(const std::string& dir) {
  for (const auto& name : list_dir(dir))
    if (is_temp_leftover(name)) remove_if_exists(dir + "/" + name);
}

void make_dirs(const std::string& path, unsigned mode) {
  if (path.empty()) return;
  // The folder itself first: it is there on all but the first call (one
  // mkdir and one stat, not one mkdir per component of the path).
  if (::mkdir(path.c_str(), mode) != 0) {
    int err = errno;
    if (err == ENOENT) {
      std::string parent = dir_of(path);
      if (parent != path && parent != ".") make_dirs(parent, mode);
      check_or("mkdir " + path, {EEXIST}, [&] { return ::mkdir(path.c_str(), mode); });
    } else if (err != EEXIST) {
      throw_errno("mkdir " + path, err);
    }
  }
  struct stat st;
  check("stat " + path, [&] { return ::stat(path.c_str(), &st); });
  if (!S_ISDIR(st.st_mode)) throw_errno("mkdir " + path, ENOTDIR);
}

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) {
    if (errno == ENOENT) return out;
    throw_errno("opendir " + dir);
  }
  while (auto* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.push_back(std::move(n));
  }
  ::closedir(d);
  return out;
}

FileLock::FileLock(const std::string& path, Mode mode)
    : fd_(check("open " + path, [&] { return ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600); })) {
  set_mode(mode);
}

void FileLock::set_mode(Mode mode) {
  int op = mode == Mode::kExclusive ? LOCK_EX : LOCK_SH;
  check("flock", [&] { return ::flock(fd_.get(), op); });
}

}  // namespace zos::sys
