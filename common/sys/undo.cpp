#include "common/sys/undo.h"

#include "common/log/log.h"

namespace zos::sys {

Undo::~Undo() {
  if (!undo_) return;
  try {
    undo_();
  } catch (const std::exception& e) {
    spdlog::error("{}: {}", what_, e.what());
  }
}

}  // namespace zos::sys
