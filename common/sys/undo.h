// The undo of a half-done change, run when the scope ends unless the change
// completed:
//   sys::Undo undo([&] { delete_link(s, name); }, "undoing veth " + name + " failed");
//   ...build...
//   undo.dismiss();
// Undos run in reverse order of declaration, as destructors do. An undo that
// throws is logged as "<what>: <error>", never thrown from the destructor
// (the error that unwinds is the one the caller must see).
#pragma once

#include <functional>
#include <string>

namespace zos::sys {

class Undo {
 public:
  Undo(std::function<void()> undo, std::string what) : undo_(std::move(undo)), what_(std::move(what)) {}
  ~Undo();
  Undo(const Undo&) = delete;
  Undo& operator=(const Undo&) = delete;
  void dismiss() { undo_ = nullptr; }

 private:
  std::function<void()> undo_;
  std::string what_;
};

}  // namespace zos::sys
