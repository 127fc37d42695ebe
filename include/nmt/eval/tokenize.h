// The text processing of sacreBLEU 2.x, byte-exact: its tokenizers, Python's
// str.lower() and str.split(). Strings in, strings out; no tensors.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace nmt::eval {

enum class Tokenizer { k13a, kIntl, kChar, kNone };

/// "13a", "intl", "char" or "none"; ConfigError naming the option otherwise.
Tokenizer parse_tokenizer(const std::string& name);
const char* tokenizer_name(Tokenizer t);

/// Applies sacreBLEU's tokenizer: the result is tokens joined by single spaces.
std::string tokenize(std::string_view line, Tokenizer t);

/// Python's str.lower() on UTF-8 text.
std::string lowercase(std::string_view line);

/// Python's str.rstrip(): drops trailing Unicode whitespace.
std::string_view rstrip(std::string_view line);

/// Python's str.split(): tokens separated by runs of Unicode whitespace.
std::vector<std::string_view> split_whitespace(std::string_view line);

/// True when the code point is whitespace by Python's str.isspace().
bool is_space(char32_t cp);

}  // namespace nmt::eval
