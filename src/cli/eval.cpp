// nmt eval: corpus BLEU and chrF of hypotheses against references, as sacreBLEU.
#include <iostream>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/verbs.h"
#include "nmt/common/error.h"
#include "nmt/data/corpus.h"
#include "nmt/eval/bleu.h"
#include "nmt/eval/chrf.h"

namespace nmt::cli {
namespace {

struct EvalOptions {
  std::vector<std::string> refs;
  std::string hyp = "-";
  std::string metrics = "bleu,chrf";
  std::string tokenize = "13a";
  bool lowercase = false;
  bool json = false;
  int width = 2;
};

double rounded(double v, int width) {
  std::ostringstream s;
  s.precision(width);
  s << std::fixed << v;
  return std::stod(s.str());
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

  const std::vector<std::string> hyps = data::read_lines(opt.hyp);
  std::vector<std::vector<std::string>> refs;
  for (const auto& path : opt.refs) {
    refs.push_back(data::read_lines(path));
    if (refs.back().size() != hyps.size()) {
      throw DataError("hypotheses '" + (opt.hyp == "-" ? std::string("<stdin>") : opt.hyp) + "' have " +
                      std::to_string(hyps.size()) + " lines but reference '" + path + "' has " +
                      std::to_string(refs.back().size()));
    }
  }

  if (want_bleu) {
    const auto s = eval::corpus_bleu(hyps, refs, {tokenizer, opt.lowercase});
    if (opt.json) {
      nlohmann::ordered_json j = {{"name", "BLEU"},
                                  {"score", rounded(s.score, opt.width)},
                                  {"signature", s.signature()},
                                  {"verbose_score", s.verbose()},
                                  {"precisions", s.precisions},
                                  {"bp", s.bp},
                                  {"ratio", s.ratio},
                                  {"hyp_len", s.hyp_len},
                                  {"ref_len", s.ref_len}};
      std::cout << j.dump() << "\n";
    } else {
      std::cout << s.format(opt.width) << "\n";
    }
  }
  if (want_chrf) {
    eval::ChrfOptions co;
    co.lowercase = opt.lowercase;
    const auto s = eval::corpus_chrf(hyps, refs, co);
    if (opt.json) {
      nlohmann::ordered_json j = {
          {"name", "chrF2"}, {"score", rounded(s.score, opt.width)}, {"signature", s.signature()}};
      std::cout << j.dump() << "\n";
    } else {
      std::cout << s.format(opt.width) << "\n";
    }
  }
}

}  // namespace

Verb setup_eval(CLI::App& app) {
  auto opt = std::make_shared<EvalOptions>();
  CLI::App* sub = app.add_subcommand("eval", "Score hypotheses with BLEU and chrF, exactly as sacreBLEU 2.x");
  sub->add_option("-r,--ref", opt->refs, "Reference file; repeat for several references")->required();
  sub->add_option("--hyp", opt->hyp, "Hypothesis file (default: stdin)");
  sub->add_option("-m,--metrics", opt->metrics, "Comma-separated metrics: bleu, chrf")->capture_default_str();
  sub->add_option("-t,--tokenize", opt->tokenize, "BLEU tokenizer: 13a, intl, char, none")->capture_default_str();
  sub->add_flag("-l,--lowercase", opt->lowercase, "Case-insensitive scores");
  sub->add_flag("--json", opt->json, "One JSON object per metric");
  sub->add_option("-w,--width", opt->width, "Decimals of the printed scores")->capture_default_str()->check(
      CLI::Range(0, 10));
  return {sub, [opt] { run_eval(*opt); }};
}

}  // namespace nmt::cli
