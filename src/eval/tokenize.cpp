#include "nmt/eval/tokenize.h"

#include <algorithm>
#include <cstdint>

#include "nmt/common/error.h"
#include "nmt/common/utf8.h"

namespace nmt::eval {
namespace {

struct CodeRange {
  char32_t lo, hi;
};
struct CodeMap {
  char32_t from, to;
};

#include "unicode_tables.inc"

template <std::size_t N>
bool in_table(const CodeRange (&table)[N], char32_t cp) {
  const auto* it = std::upper_bound(std::begin(table), std::end(table), cp,
                                    [](char32_t c, const CodeRange& r) { return c < r.lo; });
  return it != std::begin(table) && cp <= (it - 1)->hi;
}

bool is_digit_ascii(char c) { return c >= '0' && c <= '9'; }

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  std::string out;
  std::size_t start = 0;
  for (std::size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, start)) {
    out.append(s, start, pos - start);
    out.append(to);
    start = pos + from.size();
  }
  if (start == 0) return;
  out.append(s, start, std::string::npos);
  s.swap(out);
}

// ' '.join(line.split())
std::string normalize_spaces(std::string_view line) {
  std::string out;
  out.reserve(line.size());
  for (const auto tok : split_whitespace(line)) {
    if (!out.empty()) out += ' ';
    out.append(tok);
  }
  return out;
}

// ASCII characters that 13a separates wherever they occur:
// [\{-\~\[-\` -\&\(-\+\:-\@\/]
bool is_13a_separated(unsigned char c) {
  return (c >= 0x7B && c <= 0x7E) || (c >= 0x5B && c <= 0x60) || (c >= 0x20 && c <= 0x26) ||
         (c >= 0x28 && c <= 0x2B) || (c >= 0x3A && c <= 0x40) || c == 0x2F;
}

// mteval-v13a tokenization, following sacreBLEU's Tokenizer13a + TokenizerRegexp.
// The three context rules are Python re.sub passes: leftmost, non-overlapping
// two-character matches, scanned left to right. Working on UTF-8 bytes gives the
// same result, since only ASCII characters are ever matched on the right.
std::string tokenize_13a(std::string_view input) {
  std::string line(input);
  replace_all(line, "<skipped>", "");
  replace_all(line, "-\n", "");
  replace_all(line, "\n", " ");
  if (line.find('&') != std::string::npos) {
    replace_all(line, "&quot;", "\"");
    replace_all(line, "&amp;", "&");
    replace_all(line, "&lt;", "<");
    replace_all(line, "&gt;", ">");
  }
  std::string a;
  a.reserve(line.size() * 2 + 2);
  a += ' ';
  for (const char c : line) {
    if (is_13a_separated(static_cast<unsigned char>(c))) {
      a += ' ';
      a += c;
      a += ' ';
    } else {
      a += c;
    }
  }
  a += ' ';

  auto is_period_comma = [](char c) { return c == '.' || c == ','; };
  // ([^0-9])([\.,]) -> "\1 \2 "
  std::string b;
  b.reserve(a.size() * 2);
  for (std::size_t i = 0; i < a.size();) {
    if (i + 1 < a.size() && !is_digit_ascii(a[i]) && is_period_comma(a[i + 1])) {
      b += a[i];
      b += ' ';
      b += a[i + 1];
      b += ' ';
      i += 2;
    } else {
      b += a[i++];
    }
  }
  // ([\.,])([^0-9]) -> " \1 \2"
  a.clear();
  for (std::size_t i = 0; i < b.size();) {
    if (i + 1 < b.size() && is_period_comma(b[i]) && !is_digit_ascii(b[i + 1])) {
      a += ' ';
      a += b[i];
      a += ' ';
      a += b[i + 1];
      i += 2;
    } else {
      a += b[i++];
    }
  }
  // ([0-9])(-) -> "\1 \2 "
  b.clear();
  for (std::size_t i = 0; i < a.size();) {
    if (i + 1 < a.size() && is_digit_ascii(a[i]) && a[i + 1] == '-') {
      b += a[i];
      b += " - ";
      i += 2;
    } else {
      b += a[i++];
    }
  }
  return normalize_spaces(b);
}

// sacreBLEU's TokenizerV14International on code points:
//   (\P{N})(\p{P}) -> "\1 \2 ";  (\p{P})(\P{N}) -> " \1 \2";  (\p{S}) -> " \1 "
std::string tokenize_intl(std::string_view line) {
  const std::vector<char32_t> cps = utf8::decode(line);
  auto is_number = [](char32_t c) { return in_table(kNumber, c); };
  auto is_punct = [](char32_t c) { return in_table(kPunctuation, c); };
  std::vector<char32_t> a, b;
  a.reserve(cps.size() * 2);
  for (std::size_t i = 0; i < cps.size();) {
    if (i + 1 < cps.size() && !is_number(cps[i]) && is_punct(cps[i + 1])) {
      a.insert(a.end(), {cps[i], U' ', cps[i + 1], U' '});
      i += 2;
    } else {
      a.push_back(cps[i++]);
    }
  }
  b.reserve(a.size() * 2);
  for (std::size_t i = 0; i < a.size();) {
    if (i + 1 < a.size() && is_punct(a[i]) && !is_number(a[i + 1])) {
      b.insert(b.end(), {U' ', a[i], U' ', a[i + 1]});
      i += 2;
    } else {
      b.push_back(a[i++]);
    }
  }
  std::string out;
  out.reserve(line.size() * 2);
  for (const char32_t c : b) {
    if (in_table(kSymbol, c)) {
      out += ' ';
      utf8::append(out, c);
      out += ' ';
    } else {
      utf8::append(out, c);
    }
  }
  return normalize_spaces(out);
}

// Every non-whitespace character is a token.
std::string tokenize_char(std::string_view line) {
  std::string out;
  out.reserve(line.size() * 2);
  for (std::size_t i = 0; i < line.size();) {
    const std::size_t start = i;
    const char32_t c = utf8::next(line, i);
    if (is_space(c)) continue;
    if (!out.empty()) out += ' ';
    out.append(line.substr(start, i - start));
  }
  return out;
}

char32_t lower_one(char32_t c) {
  if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
  const auto* it = std::lower_bound(std::begin(kLowercase), std::end(kLowercase), c,
                                    [](const CodeMap& m, char32_t x) { return m.from < x; });
  return (it != std::end(kLowercase) && it->from == c) ? it->to : c;
}

}  // namespace

bool is_space(char32_t cp) { return in_table(kWhitespace, cp); }

Tokenizer parse_tokenizer(const std::string& name) {
  if (name == "13a") return Tokenizer::k13a;
  if (name == "intl") return Tokenizer::kIntl;
  if (name == "char") return Tokenizer::kChar;
  if (name == "none") return Tokenizer::kNone;
  throw ConfigError("--tokenize: expected one of 13a, intl, char, none; got '" + name + "'");
}

const char* tokenizer_name(Tokenizer t) {
  switch (t) {
    case Tokenizer::k13a: return "13a";
    case Tokenizer::kIntl: return "intl";
    case Tokenizer::kChar: return "char";
    case Tokenizer::kNone: return "none";
  }
  return "?";
}

std::string tokenize(std::string_view line, Tokenizer t) {
  switch (t) {
    case Tokenizer::k13a: return tokenize_13a(line);
    case Tokenizer::kIntl: return tokenize_intl(line);
    case Tokenizer::kChar: return tokenize_char(line);
    case Tokenizer::kNone: return std::string(line);
  }
  return std::string(line);
}

std::string lowercase(std::string_view line) {
  std::string out;
  out.reserve(line.size());
  bool ascii = std::all_of(line.begin(), line.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (ascii) {
    for (const char c : line) out += static_cast<char>(lower_one(static_cast<unsigned char>(c)));
    return out;
  }
  const std::vector<char32_t> cps = utf8::decode(line);
  for (std::size_t i = 0; i < cps.size(); ++i) {
    const char32_t c = cps[i];
    if (c == 0x130) {  // LATIN CAPITAL LETTER I WITH DOT ABOVE -> i + COMBINING DOT ABOVE
      out += 'i';
      utf8::append(out, 0x307);
    } else if (c == 0x3A3) {
      // Final sigma: after a cased letter and not before one (case-ignorables skipped).
      auto cased_at = [&](std::ptrdiff_t j, std::ptrdiff_t step) {
        for (; j >= 0 && j < static_cast<std::ptrdiff_t>(cps.size()); j += step) {
          if (!in_table(kCaseIgnorable, cps[j])) return in_table(kCased, cps[j]);
        }
        return false;
      };
      const auto pos = static_cast<std::ptrdiff_t>(i);
      const bool final_sigma = cased_at(pos - 1, -1) && !cased_at(pos + 1, 1);
      utf8::append(out, final_sigma ? 0x3C2 : 0x3C3);
    } else {
      utf8::append(out, lower_one(c));
    }
  }
  return out;
}

std::string_view rstrip(std::string_view line) {
  std::size_t end = line.size();
  while (end > 0) {
    // Step back to the start of the last code point.
    std::size_t start = end - 1;
    while (start > 0 && (static_cast<unsigned char>(line[start]) & 0xC0) == 0x80) --start;
    std::size_t i = start;
    if (!is_space(utf8::next(line, i))) break;
    end = start;
  }
  return line.substr(0, end);
}

std::vector<std::string_view> split_whitespace(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0, tok_start = 0;
  bool in_token = false;
  while (i < line.size()) {
    const std::size_t start = i;
    const auto c = static_cast<unsigned char>(line[i]);
    bool space;
    if (c < 0x80) {
      space = c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
      ++i;
    } else {
      space = is_space(utf8::next(line, i));
    }
    if (space) {
      if (in_token) out.push_back(line.substr(tok_start, start - tok_start));
      in_token = false;
    } else if (!in_token) {
      in_token = true;
      tok_start = start;
    }
  }
  if (in_token) out.push_back(line.substr(tok_start));
  return out;
}

}  // namespace nmt::eval
