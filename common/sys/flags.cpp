#include "common/sys/flags.h"

namespace zos::sys {

Flags& Flags::value(const std::string& name, std::string* out) {
  return value(name, [out](const std::string& v) { *out = v; });
}

Flags& Flags::value(const std::string& name, std::function<void(const std::string&)> set) {
  flags_.push_back({name, std::move(set), nullptr});
  return *this;
}

Flags& Flags::on(const std::string& name, bool* out) {
  flags_.push_back({name, nullptr, out});
  return *this;
}

std::vector<std::string> Flags::parse(const std::vector<std::string>& args, size_t from,
                                      const Unknown& unknown) const {
  std::vector<std::string> pos;
  for (size_t i = from; i < args.size(); ++i) {
    const std::string& w = args[i];
    const Flag* f = nullptr;
    for (const auto& c : flags_)
      if (c.name == w) f = &c;
    if (!f) {
      if (unknown.positional_if_no_dash && w.rfind("--", 0) != 0) {
        pos.push_back(w);
        continue;
      }
      throw UsageError(unknown.prefix + w + unknown.suffix);
    }
    if (f->on) {
      *f->on = true;
      continue;
    }
    if (i + 1 >= args.size()) throw UsageError(w + " needs a value");
    f->set(args[++i]);
  }
  return pos;
}

}  // namespace zos::sys
