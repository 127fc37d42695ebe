// One writer per model directory: `train` and `prepare` hold an exclusive
// lock on model_dir/.lock (flock(2)) while they run, so a second run into the
// same directory fails at once instead of overwriting the first one's files.
// The lock goes with the process, however it ends; readers (translate, eval)
// take none.
#pragma once

#include <cstdint>
#include <string>

namespace nmt {

class DirLock {
 public:
  /// Locks `dir` (which must exist) or throws SystemError naming the
  /// directory and the PID of the process that holds it. Once it holds the
  /// lock, it removes the temporary files a killed writer left in `dir`
  /// (remove_stale_temporaries): none can be in use.
  explicit DirLock(const std::string& dir);
  ~DirLock();
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

  /// How many temporary files it removed.
  int64_t stale_removed() const { return stale_removed_; }

 private:
  int fd_ = -1;
  int64_t stale_removed_ = 0;
};

}  // namespace nmt
