#include "nmt/common/config.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <utility>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "nmt/common/environment.h"
#include "nmt/common/error.h"
#include "nmt/common/fs.h"
#include "nmt/common/utf8.h"

namespace nmt {
namespace {

using json = nlohmann::ordered_json;

// A key as typed, for a message of one line: control characters escaped as \xNN
// (found by scripts/fuzz.sh: a key "a\nb" split the message in two).
std::string printable_key(const std::string& key) {
  std::string out;
  for (const char c : key) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      constexpr char kHex[] = "0123456789abcdef";
      out += std::string("\\x") + kHex[u >> 4] + kHex[u & 15];
    } else {
      out += c;
    }
  }
  return out;
}

std::string join_path(const std::string& prefix, std::string_view name) {
  return prefix.empty() ? std::string(name) : prefix + "." + std::string(name);
}

// Plain numbers: integers in full (1048576, not 1.04858e+06), others in up to 15 digits.
std::string fmt_number(double v) {
  if (std::isfinite(v) && std::floor(v) == v && std::fabs(v) < 1e15) return std::to_string(static_cast<int64_t>(v));
  std::ostringstream out;
  out << std::setprecision(15) << v;
  return out.str();
}

std::string describe_value(const json& v) {
  switch (v.type()) {
    case json::value_t::string: return "string " + v.dump(-1, ' ', false, json::error_handler_t::replace);
    case json::value_t::boolean: return v.dump();
    case json::value_t::null: return "null";
    case json::value_t::object: return "an object";
    case json::value_t::array: return "an array";
    default: return "number " + v.dump();
  }
}

std::string last_component(const std::string& path) {
  const auto dot = path.rfind('.');
  return dot == std::string::npos ? path : path.substr(dot + 1);
}

// ---- Schema listing: every key with its type, default and description. ----

class Lister {
 public:
  explicit Lister(std::vector<KeyInfo>& out, std::string prefix = {}) : out_(out), prefix_(std::move(prefix)) {}

  void field(const char* name, std::string& v, const char* doc) {
    out_.push_back({join_path(prefix_, name), "string", v.empty() ? "" : json(v).dump(), doc, KeyInfo::Kind::string, {}});
  }
  void field(const char* name, bool& v, const char* doc) {
    out_.push_back({join_path(prefix_, name), "boolean", v ? "true" : "false", doc, KeyInfo::Kind::boolean, {}});
  }
  void field(const char* name, int64_t& v, const char* doc, Range r = {}) {
    out_.push_back({join_path(prefix_, name), "integer " + r.describe(), std::to_string(v), doc, KeyInfo::Kind::integer, r});
  }
  void field(const char* name, double& v, const char* doc, Range r = {}) {
    out_.push_back({join_path(prefix_, name), "number " + r.describe(), fmt_number(v), doc, KeyInfo::Kind::number, r});
  }
  template <class E>
  void choice(const char* name, E& v, const char* doc) {
    std::string type;
    for (const char* c : ChoiceNames<E>::names) type += (type.empty() ? "" : " \\| ") + std::string("`") + c + "`";
    out_.push_back({join_path(prefix_, name), type, json(name_of(v)).dump(), doc, KeyInfo::Kind::choice, {}});
  }
  template <class S>
  void section(const char* name, S& s, const char* doc) {
    out_.push_back({join_path(prefix_, name), "section", "", doc, KeyInfo::Kind::section, {}});
    Lister inner(out_, join_path(prefix_, name));
    s.visit(inner);
  }

 private:
  std::vector<KeyInfo>& out_;
  std::string prefix_;
};

}  // namespace

const std::vector<KeyInfo>& config_keys() {
  static const std::vector<KeyInfo> keys = [] {
    std::vector<KeyInfo> out;
    Config defaults;
    Lister lister(out);
    defaults.visit(lister);
    return out;
  }();
  return keys;
}

namespace {

const KeyInfo* find_key(const std::string& path) {
  for (const auto& k : config_keys()) {
    if (k.path == path) return &k;
  }
  return nullptr;
}

// "did you mean" for an unknown key at `path`, whose siblings are `siblings`.
std::string suggest(const std::string& path, const std::vector<std::string>& siblings) {
  const std::string name = last_component(path);
  std::string best = closest_match(name, siblings);
  if (!best.empty()) {
    const auto dot = path.rfind('.');
    return dot == std::string::npos ? best : path.substr(0, dot + 1) + best;
  }
  // The key may belong to another section: `lr` under `data` means training.lr.
  std::vector<std::string> leaves;
  for (const auto& k : config_keys()) {
    if (k.type == "section") continue;
    if (last_component(k.path) == name) return k.path;
    leaves.push_back(k.path);
  }
  std::vector<std::string> names;
  for (const auto& l : leaves) names.push_back(last_component(l));
  best = closest_match(name, names);
  if (best.empty()) return {};
  for (const auto& l : leaves) {
    if (last_component(l) == best) return l;
  }
  return {};
}

std::string did_you_mean(const std::string& suggestion) {
  return suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)";
}

// ---- Reading: type and range checks, unknown keys. ----

struct ReadContext {
  std::string source;                          // the config file, for error messages
  std::map<std::string, std::string> origins;  // keys set on the command line -> how errors name them

  [[noreturn]] void fail(const std::string& path, const std::string& what) const {
    const auto it = origins.find(path);
    throw ConfigError((it != origins.end() ? it->second : source + ": " + path) + ": " + what);
  }
};

class Reader {
 public:
  Reader(const json& j, std::string prefix, const ReadContext& ctx)
      : j_(j), prefix_(std::move(prefix)), ctx_(ctx) {}

  void field(const char* name, std::string& v, const char* /*doc*/) {
    if (const json* x = take(name)) {
      if (!x->is_string()) ctx_.fail(join_path(prefix_, name), "expected a string, got " + describe_value(*x));
      v = x->get<std::string>();
      if (v.find('\0') != std::string::npos) ctx_.fail(join_path(prefix_, name), "a string with a NUL byte (\\u0000)");
    }
  }
  void field(const char* name, bool& v, const char* /*doc*/) {
    if (const json* x = take(name)) {
      if (!x->is_boolean()) ctx_.fail(join_path(prefix_, name), "expected true or false, got " + describe_value(*x));
      v = x->get<bool>();
    }
  }
  void field(const char* name, int64_t& v, const char* /*doc*/, Range r = {}) {
    if (const json* x = take(name)) {
      const std::string path = join_path(prefix_, name);
      const bool integral = x->is_number_integer() ||
                            (x->is_number_float() && std::nearbyint(x->get<double>()) == x->get<double>() &&
                             std::abs(x->get<double>()) < 9.0e15);
      if (!integral) ctx_.fail(path, "expected an integer, got " + describe_value(*x));
      // JSON's reader keeps integers up to 2^64 - 1 unsigned; past int64's they would wrap.
      if (x->is_number_unsigned() && x->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        ctx_.fail(path, "expected an integer of at most " + std::to_string(std::numeric_limits<int64_t>::max()) +
                            ", got " + x->dump());
      }
      const double d = x->get<double>();
      if (!r.contains(d)) ctx_.fail(path, "must be " + r.describe() + ", got " + x->dump());
      v = x->is_number_float() ? static_cast<int64_t>(d) : x->get<int64_t>();
    }
  }
  void field(const char* name, double& v, const char* /*doc*/, Range r = {}) {
    if (const json* x = take(name)) {
      const std::string path = join_path(prefix_, name);
      if (!x->is_number()) ctx_.fail(path, "expected a number, got " + describe_value(*x));
      const double d = x->get<double>();
      if (!r.contains(d)) ctx_.fail(path, "must be " + r.describe() + ", got " + x->dump());
      v = d;
    }
  }
  template <class E>
  void choice(const char* name, E& v, const char* doc) {
    std::string value = name_of(v);
    field(name, value, doc);
    const std::vector<std::string> options(std::begin(ChoiceNames<E>::names), std::end(ChoiceNames<E>::names));
    const auto it = std::find(options.begin(), options.end(), value);
    if (it == options.end()) {
      std::string list;
      for (const auto& o : options) list += (list.empty() ? "'" : ", '") + o + "'";
      ctx_.fail(join_path(prefix_, name),
                "expected one of " + list + ", got '" + value + "'" + did_you_mean(closest_match(value, options)));
    }
    v = static_cast<E>(it - options.begin());
  }
  template <class S>
  void section(const char* name, S& s, const char* /*doc*/) {
    if (const json* x = take(name)) {
      const std::string path = join_path(prefix_, name);
      if (!x->is_object()) ctx_.fail(path, "expected an object, got " + describe_value(*x));
      Reader inner(*x, path, ctx_);
      s.visit(inner);
      inner.reject_unknown();
    }
  }

  void reject_unknown() const {
    for (const auto& item : j_.items()) {
      if (std::find(known_.begin(), known_.end(), item.key()) != known_.end()) continue;
      const std::string path = join_path(prefix_, item.key());  // the whole key, NUL bytes and all
      throw ConfigError(ctx_.source + ": unknown key '" + printable_key(path) + "'" +
                        did_you_mean(suggest(path, known_)));
    }
  }

 private:
  const json* take(const char* name) {
    known_.emplace_back(name);
    const auto it = j_.find(name);
    return it == j_.end() ? nullptr : &*it;
  }

  const json& j_;
  std::string prefix_;
  const ReadContext& ctx_;
  std::vector<std::string> known_;
};

// ---- Writing the resolved config. ----

class Writer {
 public:
  explicit Writer(json& out) : out_(out) {}

  template <class T>
  void field(const char* name, T& v, const char* /*doc*/, Range /*r*/ = {}) {
    out_[name] = v;
  }
  template <class E>
  void choice(const char* name, E& v, const char* /*doc*/) {
    out_[name] = name_of(v);
  }
  template <class S>
  void section(const char* name, S& s, const char* /*doc*/) {
    json inner = json::object();
    Writer w(inner);
    s.visit(w);
    out_[name] = std::move(inner);
  }

 private:
  json& out_;
};

// Sets `o.key` in the JSON document before it is read, where the reader checks it.
void apply_override(json& doc, const Override& o, std::map<std::string, std::string>& origins) {
  // Checked first: messages quote the key and value, and must not echo raw bytes.
  if (utf8::find_invalid(o.key) != utf8::kValid) throw ConfigError("--set: a key that is not valid UTF-8");
  if (utf8::find_invalid(o.value) != utf8::kValid) throw ConfigError(o.name() + ": a value that is not valid UTF-8");
  const KeyInfo* info = find_key(o.key);
  if (info == nullptr || info->type == "section") {
    std::vector<std::string> all;
    for (const auto& k : config_keys()) {
      if (k.type != "section") all.push_back(k.path);
    }
    const std::string close = closest_match(o.key, all);
    const std::string name = o.origin.empty() ? "--set " + printable_key(o.key) : o.origin;
    throw ConfigError(name + ": unknown key" + did_you_mean(close.empty() ? suggest(o.key, {}) : close));
  }
  json value;
  const bool is_string = info->type == "string" || info->type.front() == '`';
  if (is_string) {
    value = o.value;
  } else {
    value = json::parse(o.value, nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded()) value = o.value;  // reported as a type error by the reader
  }
  json* node = &doc;
  std::size_t start = 0;
  for (std::size_t dot = o.key.find('.'); dot != std::string::npos; dot = o.key.find('.', start)) {
    json& child = (*node)[o.key.substr(start, dot - start)];
    if (child.is_null()) child = json::object();
    if (!child.is_object()) throw ConfigError(o.name() + ": '" + o.key.substr(0, dot) + "' is not an object");
    node = &child;
    start = dot + 1;
  }
  (*node)[o.key.substr(start)] = value;
  origins[o.key] = o.name();
}

// Expands ${VAR} and ${VAR:-default} from the environment, so a config can say
// where data lives without hard-coding a machine's paths. A default may hold
// ${...} itself: ${A:-${B}}.
std::string expand_env(const std::string& value, const std::string& key, int depth = 0) {
  if (depth > 8) throw ConfigError("config key " + key + ": ${...} nested more than 8 deep in '" + value + "'");
  std::string out;
  std::size_t i = 0;
  while (i < value.size()) {
    const auto open = value.find("${", i);
    if (open == std::string::npos) break;
    // The matching '}', past any ${...} inside.
    std::size_t close = open + 2;
    for (int level = 1; close < value.size(); ++close) {
      if (value.compare(close, 2, "${") == 0) {
        ++level;
        ++close;
      } else if (value[close] == '}' && --level == 0) {
        break;
      }
    }
    if (close >= value.size()) throw ConfigError("config key " + key + ": unterminated ${ in '" + value + "'");
    out += value.substr(i, open - i);
    const std::string inner = value.substr(open + 2, close - open - 2);
    const auto dash = inner.find(":-");
    const std::string name = inner.substr(0, dash);
    const char* env = std::getenv(name.c_str());
    if (env != nullptr && *env != '\0') {
      out += env;
    } else if (dash != std::string::npos) {
      out += expand_env(inner.substr(dash + 2), key, depth + 1);
    } else {
      throw ConfigError("config key " + key + " uses ${" + name + "}, which is not set in the environment");
    }
    i = close + 1;
  }
  return out + value.substr(std::min(i, value.size()));
}

void make_absolute(std::string& path, const std::string& key) {
  path = expand_env(path, key);
  if (!path.empty()) path = std::filesystem::absolute(path).lexically_normal().string();
}

std::vector<Override> from_sets(const std::vector<std::string>& assignments) {
  std::vector<Override> out;
  for (const auto& a : assignments) out.push_back(Override::from_set(a));
  return out;
}

void require_pair(const FilePair& p, const std::string& name) {
  if (p.src.empty() != p.tgt.empty()) {
    const std::string missing = p.src.empty() ? ".src" : ".tgt";
    const std::string present = p.src.empty() ? ".tgt" : ".src";
    throw ConfigError("config key " + name + missing + " is missing (" + name + present + " is set)");
  }
}

}  // namespace

bool Range::contains(double v) const {
  if (std::isnan(v)) return false;
  if (lo_open ? v <= lo : v < lo) return false;
  if (hi_open ? v >= hi : v > hi) return false;
  return true;
}

std::string Range::describe() const {
  const bool has_lo = std::isfinite(lo);
  const bool has_hi = std::isfinite(hi);
  if (has_lo && has_hi) {
    return std::string("in ") + (lo_open ? "(" : "[") + fmt_number(lo) + ", " + fmt_number(hi) + (hi_open ? ")" : "]");
  }
  if (has_lo) return (lo_open ? "> " : ">= ") + fmt_number(lo);
  if (has_hi) return (hi_open ? "< " : "<= ") + fmt_number(hi);
  return "";
}

std::string closest_match(const std::string& word, const std::vector<std::string>& candidates) {
  // Optimal string alignment distance: edits plus adjacent transpositions.
  auto distance = [](const std::string& a, const std::string& b) {
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
    for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
      for (std::size_t j = 1; j <= b.size(); ++j) {
        const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
        d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
        if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
          d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.size()][b.size()];
  };
  std::string best;
  std::size_t best_d = std::max<std::size_t>(1, (word.size() + 2) / 4) + 1;
  for (const auto& c : candidates) {
    const std::size_t dist = distance(word, c);
    if (dist < best_d) {
      best_d = dist;
      best = c;
    }
  }
  return best;
}

Override Override::from_set(const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw ConfigError("--set " + assignment + ": expected KEY=VALUE, e.g. --set training.lr=0.001");
  }
  return {assignment.substr(0, eq), assignment.substr(eq + 1), ""};
}

double parse_duration(const std::string& text) {
  const std::string example = "; write it as 90s, 40m, 2h or 1h30m";
  if (text.empty()) throw std::invalid_argument("an empty duration" + example);
  double total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t end = i;
    while (end < text.size() && (std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '.')) ++end;
    if (end == i || end == text.size()) throw std::invalid_argument("'" + text + "' is not a duration" + example);
    char* stop = nullptr;
    const std::string number = text.substr(i, end - i);
    const double value = std::strtod(number.c_str(), &stop);
    if (*stop != '\0') throw std::invalid_argument("'" + text + "' is not a duration" + example);
    const char unit = text[end];
    if (unit != 's' && unit != 'm' && unit != 'h') {
      throw std::invalid_argument("'" + text + "' has an unknown unit '" + std::string(1, unit) + "'" + example);
    }
    total += value * (unit == 'h' ? 3600 : unit == 'm' ? 60 : 1);
    i = end + 1;
  }
  if (!(total > 0)) throw std::invalid_argument("'" + text + "' is not a positive duration");
  if (!(total <= kMaxDurationSeconds)) {  // also inf: "1e999h"
    throw std::invalid_argument("'" + text + "' is longer than " + std::to_string(kMaxDurationSeconds / 3600) +
                                "h (a year), the longest duration nmt takes");
  }
  return total;
}

Sampling Sampling::parse(const std::string& text) {
  const std::string kinds = "; use full, topk:K or topp:P";
  Sampling s;
  if (text.empty()) return s;
  if (text == "full") {
    s.kind = Kind::full;
    return s;
  }
  const auto colon = text.find(':');
  const std::string kind = text.substr(0, colon);
  if ((kind != "topk" && kind != "topp") || colon == std::string::npos || colon + 1 == text.size()) {
    throw std::invalid_argument("'" + text + "' is not a way to sample" + kinds);
  }
  const std::string number = text.substr(colon + 1);
  char* stop = nullptr;
  errno = 0;
  const double value = std::strtod(number.c_str(), &stop);
  if (*stop != '\0' || errno != 0 || std::isspace(static_cast<unsigned char>(number.front()))) {
    throw std::invalid_argument("'" + number + "' in '" + text + "' is not a number" + kinds);
  }
  if (kind == "topk") {
    if (!(value >= 1 && value <= 1e9) || value != std::floor(value)) {
      throw std::invalid_argument("K of '" + text + "' must be a whole number >= 1");
    }
    s.kind = Kind::topk;
    s.k = static_cast<int64_t>(value);
  } else {
    if (!(value > 0 && value <= 1)) throw std::invalid_argument("P of '" + text + "' must be in (0, 1]");
    s.kind = Kind::topp;
    s.p = value;
  }
  return s;
}

void Config::validate(const std::map<std::string, std::string>& origins) const {
  const auto name = [&](const std::string& key) {
    const auto it = origins.find(key);
    return it != origins.end() ? it->second : "config key " + key;
  };
  // An empty max_time means no limit; dist_timeout always needs a duration.
  for (const auto& [key, value] : {std::pair{"training.max_time", &training.max_time},
                                    std::pair{"training.dist_timeout", &training.dist_timeout}}) {
    if (value->empty() && value == &training.max_time) continue;
    try {
      parse_duration(*value);
    } catch (const std::invalid_argument& e) {
      throw ConfigError(name(key) + ": " + e.what());
    }
  }
  try {
    decoding.sampler();
  } catch (const std::invalid_argument& e) {
    throw ConfigError(name("decoding.sampling") + ": " + e.what());
  }
  require_pair(data.train, "data.train");
  require_pair(data.valid, "data.valid");
  require_pair(data.test, "data.test");
  if (!vocab.joint && !vocab.path.empty()) {
    throw ConfigError("config key vocab.path names a joint vocabulary but vocab.joint is false; "
                      "set vocab.src_path and vocab.tgt_path instead");
  }
  if (vocab.joint && (!vocab.src_path.empty() || !vocab.tgt_path.empty())) {
    throw ConfigError("config keys vocab.src_path/vocab.tgt_path need vocab.joint = false; "
                      "use vocab.path for a joint vocabulary");
  }
  if (vocab.src_path.empty() != vocab.tgt_path.empty()) {
    throw ConfigError("config keys vocab.src_path and vocab.tgt_path must be given together");
  }
  if (training.batch_tokens < data.max_len + 1) {
    throw ConfigError(name("training.batch_tokens") + " (" + std::to_string(training.batch_tokens) +
                      ") must be at least data.max_len + 1 (" + std::to_string(data.max_len + 1) + ")");
  }
  if (decoding.max_len_a == 0 && decoding.max_len_b == 0) {
    throw ConfigError(name("decoding.max_len_a") + " and " + name("decoding.max_len_b") +
                      " are both 0: no output fits");
  }
  if (model.type == ModelType::transformer) {
    const auto& t = model.transformer;
    if (t.d_model % t.heads != 0) {
      throw ConfigError("config keys model.transformer.d_model (" + std::to_string(t.d_model) +
                        ") and model.transformer.heads (" + std::to_string(t.heads) +
                        "): d_model must be divisible by heads");
    }
    if (t.tie_embeddings && !vocab.joint) {
      throw ConfigError("config key model.transformer.tie_embeddings needs vocab.joint = true; "
                        "set one of them to false");
    }
  }
}

Config parse_config(const std::string& text, const std::string& source, const std::vector<Override>& overrides) {
  constexpr int kMaxConfigDepth = 32;
  json doc;
  // JSON allows a key twice in an object and keeps the last; a config that
  // does is a mistake (a section pasted twice), named by its path.
  std::vector<std::pair<std::string, std::set<std::string>>> objects;  // path and keys of each open object
  std::string key, duplicate;
  const json::parser_callback_t note_keys = [&](int depth, json::parse_event_t event, json& parsed) {
    if (depth > kMaxConfigDepth) {  // a config is 4 deep; 50,000 would take gigabytes to parse
      throw ConfigError(source + ": nested more than " + std::to_string(kMaxConfigDepth) + " levels deep");
    }
    if (event == json::parse_event_t::object_start) {
      const std::string parent = objects.empty() ? "" : objects.back().first;
      objects.push_back({objects.empty() ? "" : parent.empty() ? key : parent + "." + key, {}});
    } else if (event == json::parse_event_t::object_end) {
      objects.pop_back();
    } else if (event == json::parse_event_t::key) {
      key = parsed.get<std::string>();
      if (!objects.back().second.insert(key).second && duplicate.empty()) {
        duplicate = objects.back().first.empty() ? key : objects.back().first + "." + key;
      }
    }
    return true;
  };
  try {
    doc = json::parse(text, note_keys, /*allow_exceptions=*/true, /*ignore_comments=*/true);
  } catch (const json::exception& e) {
    // "[json.exception.parse_error.101] parse error at line L, column C: ...", or
    // out_of_range.406 "number overflow parsing '1e999'" (found by scripts/fuzz.sh).
    std::string what = e.what();
    const auto pos = what.find("] ");
    if (pos != std::string::npos) what = what.substr(pos + 2);
    throw ConfigError(source + ": malformed JSON: " + what);
  }
  if (!doc.is_object()) throw ConfigError(source + ": expected a JSON object at the top level");
  if (!duplicate.empty()) throw ConfigError(source + ": key '" + duplicate + "' is given twice");

  ReadContext ctx{source, {}};
  for (const auto& o : overrides) apply_override(doc, o, ctx.origins);

  Config config;
  Reader reader(doc, "", ctx);
  config.visit(reader);
  reader.reject_unknown();
  config.validate(ctx.origins);
  return config;
}

Config parse_config(const std::string& text, const std::string& source, const std::vector<std::string>& overrides) {
  return parse_config(text, source, from_sets(overrides));
}

Config load_config(const std::string& path, const std::vector<std::string>& overrides) {
  return load_config(path, from_sets(overrides));
}

Config load_config(const std::string& path, const std::vector<Override>& overrides) {
  Config config = parse_config(read_file(path, kMaxConfigBytes, "config"), path, overrides);
  for (auto [p, name] : {std::pair{&config.data.train, "train"}, std::pair{&config.data.valid, "valid"},
                         std::pair{&config.data.test, "test"}}) {
    make_absolute(p->src, std::string("data.") + name + ".src");
    make_absolute(p->tgt, std::string("data.") + name + ".tgt");
  }
  make_absolute(config.vocab.path, "vocab.path");
  make_absolute(config.vocab.src_path, "vocab.src_path");
  make_absolute(config.vocab.tgt_path, "vocab.tgt_path");
  make_absolute(config.model_dir, "model_dir");
  return config;
}

std::string config_to_json(const Config& config) {
  json out = json::object();
  Writer writer(out);
  Config copy = config;  // visit() takes non-const members, as the readers assign them
  copy.visit(writer);
  return out.dump(2) + "\n";
}

void write_config(const Config& config, const std::string& path) { write_file_atomic(path, config_to_json(config)); }

std::string config_reference_markdown() {
  std::ostringstream out;
  std::string current;
  for (const auto& k : config_keys()) {
    const auto dot = k.path.find('.');
    const std::string top = k.path.substr(0, dot);
    if (dot == std::string::npos && k.type == "section") {
      out << "\n### `" << top << "`\n\n" << k.doc << "\n\n| key | type | default | meaning |\n|---|---|---|---|\n";
      current = top;
      continue;
    }
    if (dot == std::string::npos && current != "") {
      out << "\n### `" << k.path << "`\n\n| key | type | default | meaning |\n|---|---|---|---|\n";
      current = "";
    }
    if (k.type == "section") {
      out << "| `" << k.path << "` | section | | " << k.doc << " |\n";
    } else {
      out << "| `" << k.path << "` | " << k.type << " | " << (k.default_value.empty() ? "" : "`" + k.default_value + "`")
          << " | " << k.doc << " |\n";
    }
  }
  out << "\n### Environment variables\n\nRead by every verb (`NMT_*`) or by `train` (the rest); empty is unset. "
         "A value of the wrong kind stops nmt with one line naming the variable; Slurm's are checked where nmt "
         "uses them (with MASTER_ADDR set, and WORLD_SIZE not).\n\n"
      << env::reference_markdown();
  return out.str();
}

}  // namespace nmt
