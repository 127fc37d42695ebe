#include "nmt/common/error_line.h"

#include <cstdio>
#include <string>

#include "nmt/common/utf8.h"

namespace nmt {

void print_error_line(std::string_view message) {
  const std::string line = "nmt: error: " + utf8::printable(message) + "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);  // one write: lines of two threads never interleave
}

}  // namespace nmt
