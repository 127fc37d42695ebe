#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <cerrno>
#include <cstdlib>
#include <optional>
#include <limits>

#include "nmt/common/config.h"
#include "nmt/common/error.h"
#include "test_util.h"

namespace nmt {
namespace {

std::string error_of(const std::string& json, const std::vector<std::string>& overrides = {}) {
  try {
    parse_config(json, "c.json", overrides);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Config, DefaultsWhenKeysAreAbsent) {
  const Config c = parse_config("{}", "c.json");
  EXPECT_EQ(c.vocab.size, 8000);
  EXPECT_EQ(c.model.type, ModelType::rnnsearch);
  EXPECT_EQ(c.model.rnnsearch.decoder_hidden, 512);
  EXPECT_EQ(c.training.seed, 1);
  EXPECT_DOUBLE_EQ(c.decoding.alpha, 0.6);
}

TEST(Config, ReadsNestedValuesAndAllowsComments) {
  const Config c = parse_config(R"({
    // a comment
    "data": {"train": {"src": "a.en", "tgt": "a.fr"}, "max_len": 50},
    /* another */
    "training": {"lr": 0.001, "early_stopping": {"metric": "loss", "patience": 3}},
    "model_dir": "m"
  })", "c.json");
  EXPECT_EQ(c.data.train.src, "a.en");
  EXPECT_EQ(c.data.max_len, 50);
  EXPECT_DOUBLE_EQ(c.training.lr, 0.001);
  EXPECT_EQ(c.training.early_stopping.metric, Metric::loss);
  EXPECT_EQ(c.training.early_stopping.patience, 3);
  EXPECT_EQ(c.model_dir, "m");
}

TEST(Config, UnknownKeyGivesPathAndSuggestion) {
  EXPECT_EQ(error_of(R"({"training": {"lrr": 0.1}})"),
            "c.json: unknown key 'training.lrr' (did you mean 'training.lr'?)");
  EXPECT_EQ(error_of(R"({"data": {"train": {"scr": "x"}}})"),
            "c.json: unknown key 'data.train.scr' (did you mean 'data.train.src'?)");
  EXPECT_EQ(error_of(R"({"trainig": {}})"), "c.json: unknown key 'trainig' (did you mean 'training'?)");
  // A key of another section is pointed at its home.
  EXPECT_EQ(error_of(R"({"data": {"dropout": 0.1}})"),
            "c.json: unknown key 'data.dropout' (did you mean 'training.dropout'?)");
  EXPECT_EQ(error_of(R"({"zzzzzz": 1})"), "c.json: unknown key 'zzzzzz'");
  // A NUL inside a key is shown, not where the name ends.
  EXPECT_EQ(error_of(R"({"training": {"l\u0000r": 1}})"),
            "c.json: unknown key 'training.l\\x00r' (did you mean 'training.lr'?)");
}

TEST(Config, WrongTypesNameTheKey) {
  EXPECT_EQ(error_of(R"({"training": {"lr": "fast"}})"),
            "c.json: training.lr: expected a number, got string \"fast\"");
  EXPECT_EQ(error_of(R"({"vocab": {"size": 80.5}})"), "c.json: vocab.size: expected an integer, got number 80.5");
  EXPECT_EQ(error_of(R"({"vocab": {"joint": 1}})"), "c.json: vocab.joint: expected true or false, got number 1");
  EXPECT_EQ(error_of(R"({"data": {"train": "x.en"}})"),
            "c.json: data.train: expected an object, got string \"x.en\"");
  EXPECT_EQ(error_of(R"({"model": {"type": "lstm"}})"),
            "c.json: model.type: expected one of 'rnnsearch', 'transformer', got 'lstm'");
  EXPECT_EQ(error_of(R"({"model": {"type": "transfomer"}})"),
            "c.json: model.type: expected one of 'rnnsearch', 'transformer', got 'transfomer' "
            "(did you mean 'transformer'?)");
  // An integer past int64's range is refused before any range check, not wrapped.
  EXPECT_EQ(error_of(R"({"training": {"max_steps": 9223372036854775808}})"),
            "c.json: training.max_steps: expected an integer of at most 9223372036854775807, got 9223372036854775808");
  EXPECT_EQ(error_of("{}", {"training.max_steps=18446744073709551615"}),
            "--set training.max_steps: expected an integer of at most 9223372036854775807, got 18446744073709551615");
  EXPECT_EQ(parse_config(R"({"training": {"max_steps": 9223372036854775807}})", "c.json").training.max_steps,
            std::numeric_limits<int64_t>::max());
  // An integral float is accepted for an integer key.
  EXPECT_EQ(parse_config(R"({"vocab": {"size": 4000.0}})", "c.json").vocab.size, 4000);
}

TEST(Config, OutOfRangeNamesTheKeyAndTheRange) {
  EXPECT_EQ(error_of(R"({"training": {"dropout": 1.5}})"), "c.json: training.dropout: must be in [0, 1), got 1.5");
  EXPECT_EQ(error_of(R"({"training": {"lr": 0}})"), "c.json: training.lr: must be > 0, got 0");
  EXPECT_EQ(error_of(R"({"decoding": {"beam": 0}})"), "c.json: decoding.beam: must be in [1, 1000], got 0");
}

TEST(Config, MalformedJsonGivesLineAndColumn) {
  const std::string e = error_of("{\n  \"data\": {\n    \"max_len\": 10,\n  }\n}");
  EXPECT_NE(e.find("c.json: malformed JSON"), std::string::npos) << e;
  EXPECT_NE(e.find("line 4, column 3"), std::string::npos) << e;
  EXPECT_EQ(error_of("[1, 2]"), "c.json: expected a JSON object at the top level");
}

TEST(Config, SetOverridesKeys) {
  const Config c = parse_config(R"({"training": {"lr": 0.1}})", "c.json",
                                {"training.lr=0.001", "model_dir=out/run 1", "vocab.joint=false",
                                 "model.transformer.heads=4", "data.train.src=x.en", "data.train.tgt=123"});
  EXPECT_DOUBLE_EQ(c.training.lr, 0.001);
  EXPECT_EQ(c.model_dir, "out/run 1");
  EXPECT_FALSE(c.vocab.joint);
  EXPECT_EQ(c.model.transformer.heads, 4);
  EXPECT_EQ(c.data.train.tgt, "123");  // a string key keeps digits as text
}

TEST(Config, SetErrorsNameTheOverride) {
  EXPECT_EQ(error_of("{}", {"training.lrr=1"}), "--set training.lrr: unknown key (did you mean 'training.lr'?)");
  EXPECT_EQ(error_of("{}", {"training.lr=abc"}), "--set training.lr: expected a number, got string \"abc\"");
  EXPECT_EQ(error_of("{}", {"training.dropout=2"}), "--set training.dropout: must be in [0, 1), got 2");
  EXPECT_EQ(error_of("{}", {"training.lr"}), "--set training.lr: expected KEY=VALUE, e.g. --set training.lr=0.001");
}

TEST(Config, CrossKeyChecksNameBothKeys) {
  EXPECT_EQ(error_of(R"({"model": {"type": "transformer", "transformer": {"d_model": 100, "heads": 8}}})"),
            "config keys model.transformer.d_model (100) and model.transformer.heads (8): "
            "d_model must be divisible by heads");
  EXPECT_EQ(error_of(R"({"data": {"train": {"src": "a.en"}}})"),
            "config key data.train.tgt is missing (data.train.src is set)");
  EXPECT_EQ(error_of(R"({"training": {"batch_tokens": 50}})"),
            "config key training.batch_tokens (50) must be at least data.max_len + 1 (101)");
}

TEST(Config, FlagsAreCheckedAsTheKeysTheySetAndNamedInErrors) {
  const auto error = [](const std::string& json, const std::vector<Override>& flags) {
    try {
      parse_config(json, "config.json", flags);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  const Config c = parse_config(R"({"decoding": {"beam": 7}})", "config.json",
                                std::vector<Override>{{"decoding.beam", "3", "--beam"}, {"decoding.alpha", "0", "--alpha"}});
  EXPECT_EQ(c.decoding.beam, 3);
  EXPECT_EQ(c.decoding.alpha, 0.0);
  EXPECT_EQ(c.decoding.max_len_b, DecodingConfig{}.max_len_b);
  EXPECT_EQ(error("{}", {{"decoding.beam", "0", "--beam"}}), "--beam: must be in [1, 1000], got 0");
  EXPECT_EQ(error("{}", {{"decoding.beam", "many", "--beam"}}), "--beam: expected an integer, got string \"many\"");
  EXPECT_EQ(error("{}", {{"decoding.alpha", "-1", "--alpha"}}), "--alpha: must be >= 0, got -1");
  // A cross-key check names each key by where its value came from.
  EXPECT_EQ(error(R"({"decoding": {"max_len_b": 0}})", {{"decoding.max_len_a", "0", "--max-len-a"}}),
            "--max-len-a and config key decoding.max_len_b are both 0: no output fits");
  EXPECT_EQ(error("{}", {{"decoding.max_len_a", "0", "--max-len-a"}, {"decoding.max_len_b", "0", "--max-len-b"}}),
            "--max-len-a and --max-len-b are both 0: no output fits");
  EXPECT_EQ(error(R"({"decoding": {"beam": 0}})", {}), "config.json: decoding.beam: must be in [1, 1000], got 0");
}

TEST(Config, ChoicesAreEnumsSpelledAsInTheFile) {
  const Config c = parse_config(R"({"training": {"optimizer": "adadelta", "schedule": "inverse_sqrt",
                                                 "early_stopping": {"metric": "chrf"}},
                                    "model": {"rnnsearch": {"init_state": "backward"}},
                                    "vocab": {"model_type": "char"}})",
                                "c.json");
  EXPECT_EQ(c.training.optimizer, OptimizerType::adadelta);
  EXPECT_EQ(c.training.schedule, Schedule::inverse_sqrt);
  EXPECT_EQ(c.training.early_stopping.metric, Metric::chrf);
  EXPECT_EQ(c.model.rnnsearch.init_state, InitState::backward);
  EXPECT_EQ(c.vocab.model_type, VocabModel::character);
  EXPECT_STREQ(name_of(c.vocab.model_type), "char");
  const std::string resolved = config_to_json(c);
  for (const char* spelled : {"\"adadelta\"", "\"inverse_sqrt\"", "\"chrf\"", "\"backward\"", "\"char\""}) {
    EXPECT_NE(resolved.find(spelled), std::string::npos) << spelled;
  }
}

TEST(Config, ResolvedConfigRoundTrips) {
  const Config a = parse_config(R"({"training": {"lr": 0.003}, "model": {"type": "transformer"}})", "c.json");
  const Config b = parse_config(config_to_json(a), "resolved.json");
  EXPECT_EQ(config_to_json(a), config_to_json(b));
  EXPECT_DOUBLE_EQ(b.training.lr, 0.003);
  EXPECT_EQ(b.model.type, ModelType::transformer);
}

TEST(Config, LoadResolvesPathsAndNamesMissingFile) {
  test::TempDir dir;
  test::write_file(dir / "c.json", R"({"data": {"train": {"src": "rel/a.en", "tgt": "/abs/a.fr"}}})");
  const Config c = load_config(dir / "c.json");
  EXPECT_TRUE(std::filesystem::path(c.data.train.src).is_absolute());
  EXPECT_EQ(c.data.train.tgt, "/abs/a.fr");
  try {
    load_config(dir / "missing.json");
    FAIL() << "no error";
  } catch (const NmtError& e) {
    EXPECT_EQ(std::string(e.what()), "file '" + (dir / "missing.json") + "' does not exist");
  }
}

// configs/README.md documents every key once; it must match the schema.
TEST(Config, ReferenceInConfigsReadmeIsCurrent) {
  const std::string readme = test::slurp(std::string(NMT_SOURCE_DIR) + "/configs/README.md");
  EXPECT_NE(readme.find(config_reference_markdown()), std::string::npos)
      << "configs/README.md is out of date: regenerate its key tables with `nmt config --reference`";
}

TEST(Config, EveryShippedConfigLoads) {
  for (const auto& entry : std::filesystem::directory_iterator(std::string(NMT_SOURCE_DIR) + "/configs")) {
    if (entry.path().extension() != ".json") continue;
    EXPECT_NO_THROW(load_config(entry.path().string())) << entry.path();
  }
}

TEST(Config, DurationsReadAsTrainersWriteThem) {
  EXPECT_EQ(parse_duration("90s"), 90);
  EXPECT_EQ(parse_duration("40m"), 2400);
  EXPECT_EQ(parse_duration("2h"), 7200);
  EXPECT_EQ(parse_duration("1h30m"), 5400);
  EXPECT_EQ(parse_duration("1.5h"), 5400);
  EXPECT_EQ(parse_duration("8760h"), kMaxDurationSeconds);
  for (const std::string& bad : std::vector<std::string>{"", "forty", "40", "40x", "m", "-5m", "0s", "1.2.3m", "40 m", "8761h",
                                "99999999999999999999h", std::string(400, '9') + "s"}) {
    EXPECT_THROW(parse_duration(bad), std::invalid_argument) << bad;
  }
  try {
    parse_config("{}", "c.json", {"training.max_time=40 minutes"});
    ADD_FAILURE();
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "--set training.max_time: '40 minutes' has an unknown unit ' '; write it as 90s, "
                                     "40m, 2h or 1h30m");
  }
}

TEST(Config, ClosestMatch) {
  EXPECT_EQ(closest_match("batch_token", {"batch_tokens", "beam"}), "batch_tokens");
  EXPECT_EQ(closest_match("dropuot", {"dropout", "seed"}), "dropout");
  EXPECT_EQ(closest_match("xyz", {"dropout", "seed"}), "");
}

TEST(Config, PathsExpandEnvironmentVariables) {
  ::setenv("NMT_TEST_CORPUS", "/corpora/m30k", 1);
  ::unsetenv("NMT_TEST_UNSET");
  test::TempDir d;
  const auto load = [&](const std::string& json) {
    test::write_file(d / "c.json", json);
    return load_config(d / "c.json");
  };
  const Config c = load(R"({"data": {"train": {"src": "${NMT_TEST_CORPUS}/train.en",
                                                "tgt": "${NMT_TEST_UNSET:-/data/x}/train.fr"}},
                             "model_dir": "${NMT_TEST_UNSET:-/runs}/${NMT_TEST_CORPUS:-no}"})");
  EXPECT_EQ(c.data.train.src, "/corpora/m30k/train.en");
  EXPECT_EQ(c.data.train.tgt, "/data/x/train.fr");
  EXPECT_EQ(c.model_dir, "/runs/corpora/m30k");
  const auto error = [&](const std::string& json) {
    try {
      load(json);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_EQ(error(R"({"data": {"valid": {"src": "${NMT_TEST_UNSET}/v.en", "tgt": "v.fr"}}})"),
            "config key data.valid.src uses ${NMT_TEST_UNSET}, which is not set in the environment");
  EXPECT_EQ(error(R"({"model_dir": "${NMT_TEST_CORPUS"})"),
            "config key model_dir: unterminated ${ in '${NMT_TEST_CORPUS'");
  // A default may itself name a variable.
  EXPECT_EQ(load(R"({"model_dir": "${NMT_TEST_UNSET:-${NMT_TEST_CORPUS}}/x"})").model_dir, "/corpora/m30k/x");
  EXPECT_EQ(load(R"({"model_dir": "${NMT_TEST_UNSET:-${NMT_TEST_UNSET:-/a}}/b"})").model_dir, "/a/b");
  EXPECT_EQ(error(R"({"model_dir": "${NMT_TEST_UNSET:-${NMT_TEST_CORPUS}"})"),
            "config key model_dir: unterminated ${ in '${NMT_TEST_UNSET:-${NMT_TEST_CORPUS}'");
}

// The value a hostile number means for a key of `kind`, or nullopt when it
// does not fit the type at all: worked out from the text alone, the way a
// reader of the key reference would.
std::optional<double> meaning(const std::string& text, KeyInfo::Kind kind) {
  if (text.find_first_not_of("-+.0123456789eE") != std::string::npos) return std::nullopt;  // JSON's digits only
  const bool integral_text = text.find_first_not_of("-0123456789") == std::string::npos;
  if (kind == KeyInfo::Kind::integer && integral_text) {
    int64_t v = 0;
    const auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (err != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return static_cast<double>(v);
  }
  errno = 0;
  char* end = nullptr;
  const double d = std::strtod(text.c_str(), &end);
  if (*end != '\0' || !std::isfinite(d) || text == "nan" || (errno == ERANGE && std::abs(d) > 1)) return std::nullopt;
  if (kind == KeyInfo::Kind::integer && (d != std::floor(d) || std::abs(d) >= 9.2e18)) return std::nullopt;
  return d;
}

// Every integer and number key gets the same hostile values through --set;
// whether each is taken follows from the key's declaration (its type and
// range), and each refusal is one ConfigError naming the key.
TEST(Config, EveryNumericKeyTakesTheHostileNumbersAsItsDeclarationSays) {
  const std::vector<std::string> hostile = {
      "0",    "-1",   "1",     "2.5",    "9223372036854775807", "9223372036854775808", "-9223372036854775808",
      "-9223372036854775809", "18446744073709551616", "1e308", "1e309", "-1e308", "1e-308", "4.9e-324",
      "nan",  "inf",  "-inf",  "1e999", "0x10"};
  int checked = 0;
  for (const KeyInfo& key : config_keys()) {
    if (key.kind != KeyInfo::Kind::integer && key.kind != KeyInfo::Kind::number) continue;
    for (const std::string& value : hostile) {
      const auto v = meaning(value, key.kind);
      const bool fits = v && key.range.contains(*v);
      std::string error;
      try {
        parse_config("{}", "c.json", {key.path + "=" + value});
      } catch (const ConfigError& e) {
        error = e.what();
      }
      ++checked;
      if (fits) {
        // Taken: no type or range refusal (a check across keys may still name the pair).
        EXPECT_TRUE(error.find(": expected") == std::string::npos && error.find(": must be") == std::string::npos)
            << key.path << "=" << value << ": " << error;
      } else {
        EXPECT_EQ(error.rfind("--set " + key.path + ": ", 0), 0u) << key.path << "=" << value << ": " << error;
      }
    }
  }
  EXPECT_GT(checked, 500);
}

TEST(Config, DeepNestingAndNulBytesAreRefusedNamed) {
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += "{\"a\": ";
  deep += "1" + std::string(40, '}');
  EXPECT_EQ(error_of(deep), "c.json: nested more than 32 levels deep");
  EXPECT_EQ(error_of(R"({"model_dir": "/runs/a\u0000b"})"), "c.json: model_dir: a string with a NUL byte (\\u0000)");
  // A message never ends at a NUL byte (what() is a C string): it shows it.
  EXPECT_EQ(std::string(ConfigError(std::string("key 'a\0b'", 9)).what()), "key 'a\\x00b'");
}

TEST(Config, AKeyGivenTwiceIsNamed) {
  EXPECT_EQ(error_of(R"({"training": {"lr": 0.1}, "training": {"seed": 2}})"), "c.json: key 'training' is given twice");
  EXPECT_EQ(error_of(R"({"training": {"lr": 0.1, "seed": 2, "lr": 0.2}})"), "c.json: key 'training.lr' is given twice");
  EXPECT_EQ(error_of(R"({"data": {"train": {"src": "a"}, "valid": {"src": "a"}}})").find("twice"), std::string::npos);
}

}  // namespace
}  // namespace nmt
