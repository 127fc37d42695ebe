#include "nmt/common/environment.h"

#include <cerrno>
#include <cstdlib>

#include <fmt/format.h>

#include "nmt/common/error.h"
#include "nmt/common/utf8.h"

extern char** environ;

namespace nmt::env {

std::optional<std::string> get(const Environment& environment, const Variable& v) {
  const auto it = environment.find(std::string(v.name));
  if (it == environment.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

std::optional<std::string> get(const Variable& v) {
  const char* value = std::getenv(std::string(v.name).c_str());
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

std::string assignment(const Variable& v, const std::string& text) {
  constexpr std::size_t kShown = 100;
  if (text.size() <= kShown) return fmt::format("{}='{}'", v.name, utf8::printable(text));
  return fmt::format("{}='{}...' ({} bytes)", v.name, utf8::printable(text.substr(0, kShown)), text.size());
}

int64_t whole_number(const Variable& v, const std::string& text) {
  char* end = nullptr;
  errno = 0;
  const long long n = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || n < v.min || n > v.max) {
    throw ConfigError(fmt::format("{}: expected a whole number from {} to {}", assignment(v, text), v.min, v.max));
  }
  return n;
}

std::string_view choice(const Variable& v, const std::string& text) {
  for (std::size_t begin = 0; begin <= v.choices.size();) {
    const std::size_t bar = std::min(v.choices.find('|', begin), v.choices.size());
    const std::string_view word = v.choices.substr(begin, bar - begin);
    if (word == text) return word;
    begin = bar + 1;
  }
  std::string options;
  for (const char c : v.choices) options += c == '|' ? std::string(", ") : std::string(1, c);
  throw ConfigError(fmt::format("{}: expected one of {}", assignment(v, text), options));
}

std::string reference_markdown() {
  std::string out = "| variable | value | meaning |\n|---|---|---|\n";
  for (const Variable* v : kVariables) {
    std::string value;
    switch (v->kind) {
      case Kind::whole_number:
        value = fmt::format("integer in [{}, {}]", v->min, v->max);
        break;
      case Kind::choice:
        for (const char c : v->choices) value += c == '|' ? std::string("`, `") : std::string(1, c);
        value = "`" + value + "`";
        break;
      case Kind::text:
        value = "text";
        break;
      case Kind::path:
        value = "path";
        break;
    }
    out += fmt::format("| `{}` | {} | {} |\n", v->name, value, v->what);
  }
  return out;
}

Environment current() {
  Environment env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string kv = *e;
    const auto eq = kv.find('=');
    if (eq != std::string::npos) env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return env;
}

}  // namespace nmt::env
