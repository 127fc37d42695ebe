// UTF-8 validation and decoding. Strict: rejects overlong forms, surrogates and
// code points above U+10FFFF, as Python's decoder does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nmt::utf8 {

inline constexpr std::size_t kValid = static_cast<std::size_t>(-1);

/// Byte offset of the first invalid sequence in `s`, or kValid.
std::size_t find_invalid(std::string_view s);

/// Length in bytes of the sequence that starts with lead byte `c` (1 for
/// continuation or invalid bytes, so a scan always advances).
inline std::size_t seq_len(unsigned char c) {
  return c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
}

/// Decodes the code point at s[i] (s must be valid UTF-8) and advances i.
char32_t next(std::string_view s, std::size_t& i);

/// Appends the UTF-8 encoding of `cp` to `out`.
void append(std::string& out, char32_t cp);

/// `s` made safe for a terminal and for one line: control characters (C0, DEL,
/// C1) and bytes that are not UTF-8 become escapes ("\\n", "\\t", "\\x1b");
/// a backslash stays itself; every other character is kept.
std::string printable(std::string_view s);

/// Decodes valid UTF-8 into code points.
std::vector<char32_t> decode(std::string_view s);

}  // namespace nmt::utf8
