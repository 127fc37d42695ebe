// nmt eval: corpus BLEU and chrF of hypotheses against references, as sacreBLEU.
#include <algorithm>
#include <cstdio>
#include <future>
#include <iostream>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/model_options.h"
#include "cli/verbs.h"
#include "nmt/common/error.h"
#include "nmt/common/fs.h"
#include "nmt/data/corpus.h"
#include "nmt/eval/bleu.h"
#include "nmt/eval/chrf.h"
#include "nmt/eval/tokenize.h"
#include "eval/counting.h"

namespace nmt::cli {
namespace {

struct EvalOptions {
  ModelOptions model;      // with --model: translate --src first
  std::string src;
  std::string output;      // where those translations are saved, if anywhere
  std::vector<std::string> refs;
  std::string hyp = "-";
  std::string metrics = "bleu,chrf";
  std::string tokenize = "13a";
  bool lowercase = false;
  bool json = false;
  int width = 2;
};

double rounded(double v, int width) { return std::stod(eval::fixed(v, width)); }

// Every line of `path` ("-": stdin) with trailing whitespace removed, as sacreBLEU reads them.
std::vector<std::string> read_segments(const std::string& path) {
  std::vector<std::string> lines = data::read_lines(path);
  for (auto& l : lines) l.resize(eval::rstrip(l).size());
  return lines;
}

// sacreBLEU's JSON for one metric: name, score, signature, verbose part, then
// every signature field as a string.
nlohmann::ordered_json to_json(const std::string& name, double score, const std::string& signature,
                               const std::string& verbose, int width) {
  nlohmann::ordered_json j = {{"name", name}, {"score", rounded(score, width)}, {"signature", signature}};
  if (!verbose.empty()) j["verbose_score"] = verbose;
  std::stringstream fields(signature);
  for (std::string field; std::getline(fields, field, '|');) {
    const auto colon = field.find(':');
    j[field.substr(0, colon)] = field.substr(colon + 1);
  }
  return j;
}

// Translates --src with --model; the hypotheses, saved to --output when given.
std::vector<std::string> translate_file(const EvalOptions& opt) {
  auto session = open_model(opt.model);
  search::Translator translator(*session.loaded.model, session.loaded.vocabs, session.search, session.device);
  std::vector<std::string> hyps;
  for (auto& nbest : translator.translate(data::read_lines(opt.src))) hyps.push_back(std::move(nbest.front().text));
  if (!opt.output.empty()) {
    std::string text;
    for (const auto& h : hyps) text += h + "\n";
    write_file_atomic(opt.output, text);
  }
  for (auto& h : hyps) h.resize(eval::rstrip(h).size());
  return hyps;
}

void run_eval(const EvalOptions& opt) {
  bool want_bleu = false, want_chrf = false;
  std::stringstream list(opt.metrics);
  for (std::string m; std::getline(list, m, ',');) {
    if (m == "bleu") {
      want_bleu = true;
    } else if (m == "chrf") {
      want_chrf = true;
    } else {
      throw ConfigError("--metrics: unknown metric '" + m + "' (expected bleu, chrf)");
    }
  }
  const eval::Tokenizer tokenizer = eval::parse_tokenizer(opt.tokenize);

  std::vector<std::string> hyps;
  if (!opt.model.model_dir.empty()) {
    if (opt.src.empty()) throw ConfigError("--model needs --src, the file to translate");
    hyps = translate_file(opt);
  } else {
    if (!opt.src.empty()) throw ConfigError("--src needs --model, the model to translate it with");
    hyps = read_segments(opt.hyp);
  }
  std::vector<std::vector<std::string>> refs;
  for (const auto& path : opt.refs) {
    refs.push_back(read_segments(path));
    if (refs.back().size() != hyps.size()) {
      const std::string from = !opt.model.model_dir.empty() ? "translations of '" + opt.src + "'"
                               : opt.hyp == "-"               ? std::string("hypotheses '<stdin>'")
                                                              : "hypotheses '" + opt.hyp + "'";
      throw DataError(from + " have " +
                      std::to_string(hyps.size()) + " lines but reference '" + path + "' has " +
                      std::to_string(refs.back().size()));
    }
  }

  // The two metrics are independent: score them side by side.
  eval::ChrfOptions co;
  co.lowercase = opt.lowercase;
  auto chrf = std::async(want_chrf ? std::launch::async : std::launch::deferred,
                         [&] { return eval::corpus_chrf(hyps, refs, co); });
  std::vector<std::string> lines;
  std::vector<nlohmann::ordered_json> objects;
  if (want_bleu) {
    const auto s = eval::corpus_bleu(hyps, refs, {tokenizer, opt.lowercase});
    lines.push_back(s.format(opt.width));
    objects.push_back(to_json("BLEU", s.score, s.signature(), s.verbose(), opt.width));
  }
  if (want_chrf) {
    const auto s = chrf.get();
    lines.push_back(s.format(opt.width));
    objects.push_back(to_json("chrF2", s.score, s.signature(), "", opt.width));
  }

  if (opt.json) {
    // As sacreBLEU: one object, or an array of them.
    if (objects.size() == 1) {
      std::cout << objects[0].dump(1) << "\n";
    } else {
      std::cout << "[\n";
      for (std::size_t i = 0; i < objects.size(); ++i) std::cout << objects[i].dump(1) << (i + 1 < objects.size() ? ",\n" : "\n");
      std::cout << "]\n";
    }
    return;
  }
  // As sacreBLEU: several lines are right-aligned on their '='.
  std::size_t width = 0;
  for (const auto& l : lines) width = std::max(width, l.find(" = "));
  for (const auto& l : lines) std::cout << std::string(width - l.find(" = "), ' ') << l << "\n";
}

}  // namespace

Verb setup_eval(CLI::App& app) {
  auto opt = std::make_shared<EvalOptions>();
  CLI::App* sub = app.add_subcommand("eval", "Score hypotheses with BLEU and chrF, exactly as sacreBLEU 2.x");
  sub->add_option("-r,--ref", opt->refs, "Reference file; repeat for several references")->required();
  sub->add_option("--hyp", opt->hyp, "Hypothesis file (default: stdin)");
  sub->add_option("--model", opt->model.model_dir, "Translate --src with this model directory, then score");
  sub->add_option("--src", opt->src, "Source file to translate (with --model)");
  sub->add_option("-o,--output", opt->output, "Save the translations of --src here");
  add_model_options(sub, opt->model);
  sub->add_option("-m,--metrics", opt->metrics, "Comma-separated metrics: bleu, chrf")->capture_default_str();
  sub->add_option("-t,--tokenize", opt->tokenize, "BLEU tokenizer: 13a, intl, char, none")->capture_default_str();
  sub->add_flag("-l,--lowercase", opt->lowercase, "Case-insensitive scores");
  sub->add_flag("--json", opt->json, "JSON as sacreBLEU writes it: one object, or an array of them");
  sub->add_option("-w,--width", opt->width, "Decimals of the printed scores")->capture_default_str()->check(
      CLI::Range(0, 10));
  return {sub, [opt] { run_eval(*opt); }};
}

}  // namespace nmt::cli
