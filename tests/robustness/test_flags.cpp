// The flag battery: every option of every verb, read from the verbs' own
// declarations (nmt::cli::setup_verbs, as main builds them), given the hostile
// values of its kind. No case is written by hand: a verb contributes one
// command that works, an option its declared type, and the expected outcome
// follows from them:
//   - a value the declaration refuses (CLI11's checks, asked in this process,
//     or the number type and range its type name shows) gives exit 2 and one
//     line naming the flag;
//   - otherwise `outcomes` below says what the verb does with it, where that is
//     not the rule of the option's kind: a number in range runs (exit 0); text
//     is refused naming the flag; a path is refused naming the path.
// A value that one declaration refuses is run once, for the first verb that
// shares the declaration: CLI11 refuses it before any verb's code runs.
// Symbolic links out of a model directory are the model-directory cases'
// (test_input.cpp); paths here name a directory through "..", and a device.
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cmath>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "../test_util.h"
#include "cli/verbs.h"
#include "harness.h"
#include "nmt/common/environment.h"
#include "nmt/common/utf8.h"

namespace nmt::robustness {
namespace {

enum class Kind { kInteger, kReal, kText, kPath };

// What an option's declared type makes it, by the type name `--help` shows.
Kind kind_of(const CLI::Option& o) {
  const std::string type = o.get_type_name();
  if (type.rfind("INT", 0) == 0) return Kind::kInteger;
  if (type.rfind("FLOAT", 0) == 0 || type.rfind("NUMBER", 0) == 0) return Kind::kReal;
  if (type.rfind("FILE", 0) == 0 || type.rfind("DIR", 0) == 0) return Kind::kPath;
  return Kind::kText;
}

// One argument can hold 128 KiB (MAX_ARG_STRLEN): 1 MB strings go through files and configs.
constexpr std::size_t kLongValue = 100'000;

struct Value {
  std::string shown;  // in the report and in test names
  std::string text;   // the bytes given as the flag's value
};

// The issue's battery, for one kind.
std::vector<Value> values_of(Kind kind) {
  const std::vector<Value> strings = {
      {"empty", ""},
      {"control bytes", "\x1b]0;owned\x07\x1b[2J\r"},
      {"invalid UTF-8", "\xff\xfe\xc3"},
  };
  std::vector<Value> out;
  if (kind == Kind::kInteger) {
    out = {{"0", "0"},
           {"-1", "-1"},
           {"INT64_MAX", "9223372036854775807"},
           {"INT64_MAX + 1", "9223372036854775808"},
           {"INT64_MIN", "-9223372036854775808"},
           {"INT64_MIN - 1", "-9223372036854775809"}};
  } else if (kind == Kind::kReal) {
    out = {{"0", "0"},
           {"-1", "-1"},
           {"DBL_MAX", "1.7976931348623157e308"},
           {"past DBL_MAX", "1.8e308"},
           {"-DBL_MAX", "-1.7976931348623157e308"},
           {"past -DBL_MAX", "-1.8e308"}};
  }
  if (kind == Kind::kInteger || kind == Kind::kReal) {
    out.insert(out.end(), {{"nan", "nan"}, {"inf", "inf"}, {"1e308", "1e308"}, {"1e-308", "1e-308"}});
  }
  out.insert(out.end(), strings.begin(), strings.end());
  if (kind == Kind::kText || kind == Kind::kPath) out.push_back({"100 kB", std::string(kLongValue, 'a')});
  if (kind == Kind::kPath) out.insert(out.end(), {{"a path through ..", "x/../y"}, {"a special file", "/dev/full"}});
  return out;
}

// A word bash reads back as exactly `text`.
std::string quoted(const std::string& text) {
  if (text == std::string(kLongValue, 'a')) return "\"$(head -c " + std::to_string(kLongValue) + " /dev/zero | tr '\\0' a)\"";
  std::string q = "$'";
  for (const unsigned char c : text) {
    if (c == '\'' || c == '\\') {
      q += '\\';
      q += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      static const char* hex = "0123456789abcdef";
      q += "\\x";
      q += hex[c >> 4];
      q += hex[c & 15];
    } else {
      q += static_cast<char>(c);
    }
  }
  return q + "'";
}

// A command of the verb that works, and what it prints.
struct Base {
  std::string setup;                                      // bash, in $D
  std::vector<std::pair<std::string, std::string>> args;  // flags that it needs, with their values
  std::string stdin_text;                                 // piped in, when not empty
  bool prints = false;                                    // a success writes stdout
};

const std::map<std::string, Base>& bases() {
  static const std::map<std::string, Base> b = {
      {"train", {"", {{"--config", "$CFG"}}}},
      {"translate", {"", {{"--model", "$M"}}, "a cat sits on the mat .", true}},
      {"eval",
       {"head -3 $TOY/test.en >src; head -3 $TOY/test.fr >ref; ",
        {{"--ref", "ref"}, {"--model", "$M"}, {"--src", "src"}},
        "",
        true}},
      {"prepare", {"", {{"--config", "$CFG"}}}},
      {"config", {"", {{"--config", "$CFG"}}, "", true}},
      {"average", {kCopyModel, {{"--model", "m"}, {"--last", "1"}, {"--output", "avg.pt"}}}},
      {"bench train", {kCopyModel, {{"--config", "$CFG"}, {"--steps", "1"}, {"--warmup", "0"}, {"--gemm-size", "64"}}, "", true}},
      {"bench translate",
       {"head -3 $TOY/test.en >src; head -3 $TOY/test.fr >ref; ",
        {{"--model", "$M"}, {"--src", "src"}, {"--ref", "ref"}, {"--limit", "3"}},
        "",
        true}},
      {"plot attention", {"", {{"--model", "$M"}, {"--src", "a cat ."}, {"--output", "att"}}, "", true}},
      {"plot curves", {"", {{"--model", "$M"}, {"--output", "c.png"}}}},
  };
  return b;
}

struct Flag {
  std::string verb;  // "bench translate"
  std::string name;  // "--beam", or a positional's name
  std::string type;  // as --help shows it
  Kind kind;
};

void collect(CLI::App& app, const std::string& verb, std::vector<Flag>& out) {
  for (const CLI::Option* o : app.get_options()) {
    if (o->get_items_expected_max() == 0 || o->get_name() == "--help") continue;  // a switch takes no value
    out.push_back({verb, o->get_name(), o->get_type_name(), kind_of(*o)});
  }
  for (CLI::App* sub : app.get_subcommands({})) collect(*sub, verb.empty() ? sub->get_name() : verb + " " + sub->get_name(), out);
}

std::vector<Flag> every_flag() {
  CLI::App app;
  const auto verbs = cli::setup_verbs(app);
  std::vector<Flag> out;
  collect(app, "", out);
  return out;
}

std::vector<std::string> words(const std::string& s) {
  std::vector<std::string> w;
  std::istringstream in(s);
  for (std::string x; in >> x;) w.push_back(x);
  return w;
}

// The verb's command line with the flag set to `value`, as argv words.
std::vector<std::pair<std::string, std::string>> with(const Base& base, const Flag& f, const std::string& value) {
  auto args = base.args;
  bool replaced = false;
  for (auto& [name, v] : args) {
    if (name == f.name) v = value, replaced = true;
  }
  if (!replaced) args.emplace_back(f.name, value);
  return args;
}

// Whether the declarations refuse the command line: CLI11's conversion and
// the option's checks, in this process, as main parses it.
bool declaration_refuses(const std::string& verb, const std::vector<std::pair<std::string, std::string>>& args) {
  CLI::App app;
  const auto verbs = cli::setup_verbs(app);  // owns what the options write into
  std::vector<std::string> argv = {"nmt"};
  for (const auto& w : words(verb)) argv.push_back(w);
  for (const auto& [name, value] : args) {
    if (name.rfind("-", 0) == 0) argv.push_back(name);  // else a positional
    argv.push_back(value);
  }
  std::vector<const char*> c;
  for (const auto& a : argv) c.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(c.size()), c.data());
  } catch (const CLI::ParseError&) {
    return true;
  }
  return false;
}

// Whether `text` is a number of the kind and range that the type name shows
// ("INT in [1, 1000]", "NUMBER >= 0", "INT:>= 0"): how config keys used as
// flags are declared, checked after CLI11 has parsed them.
bool type_accepts(const std::string& type, Kind kind, const std::string& text) {
  if (text.empty() || text.find_first_not_of("+-.0123456789eE") != std::string::npos) return false;
  char* end = nullptr;
  errno = 0;
  double v = 0;
  if (kind == Kind::kInteger) {
    if (text.find_first_of(".eE") != std::string::npos) return false;
    v = static_cast<double>(std::strtoll(text.c_str(), &end, 10));
  } else {
    v = std::strtod(text.c_str(), &end);
  }
  const bool underflow = kind == Kind::kReal && errno == ERANGE && std::isfinite(v);  // the nearest double
  if (end != text.c_str() + text.size() || (errno == ERANGE && !underflow) || !std::isfinite(v)) return false;
  std::smatch m;
  const std::string range = type.substr(type.find_first_of(" :") == std::string::npos ? type.size() : type.find_first_of(" :") + 1);
  static const std::regex interval(R"(in ([\[(])([-0-9.e+]+), ([-0-9.e+]+)([\])]))"), bound(R"((>=|>|<=|<) ([-0-9.e+]+))");
  if (std::regex_search(range, m, interval)) {
    const double lo = std::stod(m[2]), hi = std::stod(m[3]);
    return (m[1] == "[" ? v >= lo : v > lo) && (m[4] == "]" ? v <= hi : v < hi);
  }
  if (std::regex_search(range, m, bound)) {
    const double b = std::stod(m[2]);
    return m[1] == ">=" ? v >= b : m[1] == ">" ? v > b : m[1] == "<=" ? v <= b : v < b;
  }
  return true;
}

struct Expected {
  std::string verb, flag;        // verb "" matches every verb with the flag
  std::set<std::string> values;  // Value::shown; empty: every value the declaration accepts
  int code;
  std::string message;   // what the one line of a refusal names
  bool prints = false;   // a refusal that comes after the verb's output
};

// What each verb does with values its declarations accept, where that differs
// from the rule of the option's kind.
const std::vector<Expected>& outcomes() {
  // A file of any name is written; a directory too, where the verb creates one.
  static const std::set<std::string> writable = {"empty", "control bytes", "invalid UTF-8"};
  static const std::set<std::string> directory = {"empty", "control bytes", "invalid UTF-8", "a path through .."};
  static const std::vector<Expected> e = {
      // Empty means unset.
      {"", "--weights", {"empty"}, 0, ""},
      {"", "--shortlist", {"empty"}, 0, ""},
      {"", "--sampling", {"empty"}, 0, ""},
      {"translate", "--alignment", {"empty"}, 0, ""},
      {"eval", "--output", {"empty"}, 0, ""},
      {"bench train", "--profile", {"empty"}, 0, ""},
      {"eval", "--src", {"empty"}, 2, "--src"},
      {"config", "--config", {"empty"}, 2, "--config"},
      {"average", "--output", {"empty"}, 2, "--output"},
      // Outputs: any name a file can have is written; a name too long for the
      // file system and a device that is full are refused.
      {"translate", "--attention-plot", directory, 0, ""},
      {"translate", "--attention-plot", {"100 kB", "a special file"}, 2, "--attention-plot"},
      {"eval", "--output", writable, 0, ""},
      {"eval", "--output", {"a special file"}, 1, "No space left on device"},
      {"average", "--output", writable, 0, ""},
      {"average", "--output", {"a special file"}, 1, "No space left on device"},
      {"bench train", "--profile", writable, 0, ""},
      {"bench train", "--profile", {"100 kB", "a special file"}, 2, "--profile"},
      {"plot attention", "--output", directory, 0, ""},
      {"plot attention", "--output", {"a special file"}, 2, "-o"},
      {"plot attention", "--output", {"100 kB"}, 2, "cannot open", true},
      {"plot curves", "--output", {}, 2, "a picture must be named .png or .svg"},
      // The sentence plot attention translates: text as any, if it is UTF-8.
      {"plot attention", "--src", {"control bytes", "100 kB"}, 0, ""},
      // best, last or a checkpoint file, which is named.
      {"", "--checkpoint", {}, 2, "checkpoint '"},
      // --hyp and --config name the input another flag of the working command gives.
      {"eval", "--hyp", {}, 2, "--hyp with --model"},
      {"bench translate", "--config", {"empty"}, 0, ""},
      {"bench translate", "--config", {}, 2, "either --model"},
      {"bench translate", "--model", {"empty"}, 2, "either --model"},
      {"bench translate", "--src", {"empty"}, 2, "--src"},
      {"bench translate", "--ref", {"empty"}, 2, "--ref"},
      {"bench translate", "--set", {}, 2, "--set"},
      {"average", "--best", {}, 2, "needs one of"},
      {"average", "checkpoints", {}, 2, "needs one of"},
      {"average", "--last", {"INT64_MAX"}, 2, "--last"},
      // Integers the model bounds: the n-best list by the beam, a layer or head by the model's.
      {"", "--n-best", {}, 2, "--n-best"},
      {"", "--layer", {"INT64_MAX", "INT64_MIN"}, 2, "--layer"},
      {"", "--head", {"INT64_MAX", "INT64_MIN"}, 2, "--head"},
      // A decoding limit past what a heatmap can show: the translation is printed, then the picture refused.
      {"plot attention", "--max-len-a", {"DBL_MAX", "1e308"}, 2, "does not fit", true},
      {"plot attention", "--max-len-b", {"INT64_MAX"}, 2, "does not fit", true},
      // Resources: what the machine cannot hold is refused.
      {"bench train", "--gemm-size", {"INT64_MAX"}, 2, "--gemm-size"},
  };
  return e;
}

const Expected* outcome_of(const Flag& f, const Value& v) {
  for (const Expected& e : outcomes()) {
    if ((e.verb.empty() || e.verb == f.verb) && e.flag == f.name && (e.values.empty() || e.values.count(v.shown) > 0)) {
      return &e;
    }
  }
  return nullptr;
}

TEST(Flags, EveryOptionOfEveryVerbGivenTheHostileValuesOfItsKind) {
  const std::vector<Flag> flags = every_flag();
  ASSERT_GT(flags.size(), 50u);
  std::set<std::string> refused_once;
  const char* only = std::getenv("NMT_FLAGS_VERB");  // "plot": one verb's flags, to look at them alone
  for (const Flag& f : flags) {
    if (only != nullptr && f.verb.rfind(only, 0) != 0) continue;
    ASSERT_EQ(bases().count(f.verb), 1u) << "no working command for '" << f.verb << "': add one to bases()";
    const Base& base = bases().at(f.verb);
    int refused = 0, ran = 0;
    for (const Value& v : values_of(f.kind)) {
      const auto args = with(base, f, v.text);
      // A case that hangs fails as exit 124, instead of holding the suite.
      // 300 s: a decoding limit of DBL_MAX lets a barely trained model search
      // to the longest output, a minute's work that a loaded machine stretches.
      std::string command = "timeout 300 $NMT -q " + f.verb;
      for (const auto& [name, value] : args) {
        if (name.rfind("-", 0) == 0) command.append(" ").append(name);
        // The hostile value exactly; the working command's values with their variables expanded.
        command.append(" ").append(name == f.name && value == v.text ? quoted(value) : '"' + value + '"');
      }
      if (!base.stdin_text.empty()) command = "echo " + quoted(base.stdin_text) + " | " + command;
      Case c;
      c.kind = "Every flag of every verb, given the values of its kind";
      c.fed = f.verb + " " + f.name + " " + v.shown;
      c.command = command;
      c.setup = base.setup;
      c.recorded = false;
      c.check = [](const Outcome& r, const std::string&) {
        EXPECT_LT(r.peak_rss_mb, 1500) << "memory must stay bounded, whatever the value";
      };
      const bool numeric = f.kind == Kind::kInteger || f.kind == Kind::kReal;
      if (declaration_refuses(f.verb, args) || (numeric && !type_accepts(f.type, f.kind, v.text))) {
        c.code = 2;
        c.message = f.name;
        if (!refused_once.insert(f.name + " " + f.type + " " + v.shown).second) continue;  // the same declaration's
      } else if (const Expected* e = outcome_of(f, v)) {
        c.code = e->code;
        c.message = e->message;
        c.stdout_expected = e->prints;
      } else if (f.kind == Kind::kText) {
        c.code = 2;
        c.message = f.name;
      } else if (f.kind == Kind::kPath) {
        c.code = 2;
        c.message = v.text.empty() ? "''" : utf8::printable(v.text);
      } else {
        c.code = 0;
      }
      c.stdout_expected = (c.code == 0 && base.prints) || c.stdout_expected;
      (c.code == 0 ? ran : refused) += 1;
      run_case(c);
    }
    record("Every flag of every verb, given the values of its kind", f.verb + " " + f.name + " (" + f.type + ")",
           "$NMT " + f.verb + " " + f.name + " VALUE",
           std::to_string(refused) + " refused with exit 2 naming it, " + std::to_string(ran) + " ran (exit 0)",
           "nothing");
  }
}

// --- The environment battery --------------------------------------------------
// Every variable of nmt/common/environment.h, given the values of its kind where
// nmt reads it (the variables its declaration says it is read with), on a
// training run of one step. Empty is unset: the run works. A whole number in
// the declared range works; any other value is refused with exit 2, naming the
// variable. A ${VAR} in a config's path is the last row: a path of that value.

Kind kind_of(env::Kind k) {
  switch (k) {
    case env::Kind::whole_number:
      return Kind::kInteger;
    case env::Kind::path:
      return Kind::kPath;
    case env::Kind::choice:
    case env::Kind::text:
      break;
  }
  return Kind::kText;
}

bool in_range(const env::Variable& v, const std::string& text) {
  try {
    env::whole_number(v, text);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

TEST(Flags, EveryEnvironmentVariableGivenTheHostileValuesOfItsKind) {
  const std::string run = "timeout 120 $NMT -q train -c $CFG --set training.max_steps=1";
  for (const env::Variable* v : env::kVariables) {
    int refused = 0, ran = 0;
    for (const Value& value : values_of(kind_of(v->kind))) {
      std::string settings(v->read_with);
      for (std::size_t at; (at = settings.find("$PORT")) != std::string::npos;) {
        settings.replace(at, 5, std::to_string(test::free_port()));
      }
      Case c;
      c.kind = "Every environment variable, given the values of its kind";
      c.fed = std::string(v->name) + " " + value.shown;
      c.command = (settings.empty() ? "" : "env " + settings + " ") + std::string(v->name) + "=" +
                  quoted(value.text) + " " + run;
      c.recorded = false;
      const bool works = value.text.empty() || (v->kind == env::Kind::whole_number && in_range(*v, value.text));
      c.code = works ? 0 : 2;
      c.message = works ? "" : std::string(v->name);
      (works ? ran : refused) += 1;
      run_case(c);
    }
    record("Every environment variable, given the values of its kind", std::string(v->name),
           (v->read_with.empty() ? "" : std::string(v->read_with) + " ") + std::string(v->name) + "=VALUE $NMT train",
           std::to_string(refused) + " refused with exit 2 naming it, " + std::to_string(ran) + " ran (exit 0)",
           "nothing");
  }
  // A variable a config names: its value becomes a path.
  int refused = 0;
  for (const Value& value : values_of(Kind::kPath)) {
    Case c;
    c.kind = "Every environment variable, given the values of its kind";
    c.fed = "${NMT_CORPUS} in data.train.src, " + value.shown;
    c.command = "NMT_CORPUS=" + quoted(value.text) + " " + run + " --set 'data.train.src=${NMT_CORPUS}'";
    c.recorded = false;
    c.code = 2;
    const std::string name = std::filesystem::path(value.text).filename().string();
    c.message = value.text.empty() ? "NMT_CORPUS" : utf8::printable(name);
    ++refused;
    run_case(c);
  }
  record("Every environment variable, given the values of its kind", "a ${VAR} in a config's path",
         "NMT_CORPUS=VALUE $NMT train --set 'data.train.src=${NMT_CORPUS}'",
         std::to_string(refused) + " refused with exit 2 naming the variable or the path", "nothing");
}

}  // namespace
}  // namespace nmt::robustness
