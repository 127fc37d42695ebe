// One writer per model directory: `train` and `prepare` hold an exclusive
// lock on model_dir/.lock (flock(2)) while they run, so a second run into the
// same directory fails at once instead of overwriting the first one's files.
// The lock goes with the process, however it ends; readers (translate, eval)
// take none.
#pragma once

#include <string>

namespace nmt {

class DirLock {
 public:
  /// Locks `dir` (which must exist) or throws SystemError naming the
  /// directory and the PID of the process that holds it.
  explicit DirLock(const std::string& dir);
  ~DirLock();
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace nmt
