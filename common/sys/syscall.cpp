#include "common/sys/syscall.h"

namespace zos::sys {

void throw_errno(const std::string& what, int err) { throw SysError(err, what); }

}  // namespace zos::sys
