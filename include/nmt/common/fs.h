// File helpers whose errors name the file.
#pragma once

#include <string>

namespace nmt {

/// Whole file as a string; DataError "cannot read 'PATH': REASON" on failure.
std::string read_file(const std::string& path);

/// Writes `content` to a temporary file beside `path`, fsyncs it, renames it
/// over `path` and fsyncs the directory, so a crash leaves either the old or
/// the new file, never a torn one.
void write_file_atomic(const std::string& path, const std::string& content);

/// Makes `to` a hard link to `from`, replacing `to` atomically (a copy where
/// the file system has no hard links).
void link_atomic(const std::string& from, const std::string& to);

/// Creates `dir` and its parents; DataError naming it when that fails.
void ensure_dir(const std::string& dir);

/// Throws DataError unless `path` names a readable regular file.
void require_readable_file(const std::string& path, const std::string& what);

}  // namespace nmt
