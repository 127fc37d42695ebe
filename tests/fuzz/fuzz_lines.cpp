// The UTF-8 line reader, as training and eval use it (no length limit), and as
// translate uses it (the first byte picks a limit of 1 to 64 bytes). Any input
// gives lines of valid UTF-8 within the limit, one per '\n', or a DataError of
// one line naming the line; never more memory than a line.
#include <cstdint>
#include <string>

#include "fuzz_util.h"
#include "nmt/common/error.h"
#include "nmt/common/utf8.h"
#include "nmt/data/lines.h"

namespace {

void read_all(const uint8_t* data, std::size_t size, std::size_t limit) {
  const nmt::fuzz::MemoryFile file(data, size);
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  int64_t expected = 0;
  for (const char c : input) expected += c == '\n';
  if (!input.empty() && input.back() != '\n') ++expected;
  try {
    nmt::data::LineReader reader(file.path(), limit);
    std::string line;
    int64_t n = 0;
    while (true) {
      reader.ready();  // as translate polls it between batches
      if (!reader.next(line)) break;
      ++n;
      if (reader.line_number() != n) nmt::fuzz::violated("line numbers skip", line);
      if (line.find('\n') != std::string::npos) nmt::fuzz::violated("a line holds a newline", line);
      if (nmt::utf8::find_invalid(line) != nmt::utf8::kValid) nmt::fuzz::violated("a line is invalid UTF-8", line);
      if (limit > 0 && line.size() > limit) nmt::fuzz::violated("a line is over the limit", line);
    }
    if (n != expected) nmt::fuzz::violated("lines lost or invented", input);
  } catch (const nmt::DataError& e) {
    nmt::fuzz::check_message(e.what());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  read_all(data, size, 0);
  if (size > 0) read_all(data + 1, size - 1, 1 + data[0] % 64);
  return 0;
}
