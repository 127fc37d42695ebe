// nmt eval: corpus BLEU and chrF of hypotheses against references, as sacreBLEU.
#include <memory>

#include "cli/checks.h"
#include "cli/model_options.h"
#include "cli/verbs.h"
#include "nmt/common/error.h"
#include "nmt/common/fs.h"
#include "nmt/data/lines.h"
#include "nmt/eval/report.h"

namespace nmt::cli {
namespace {

struct EvalOptions {
  ModelOptions model;      // with --model: translate --src first
  std::string src;
  std::string output;      // where those translations are saved, if anywhere
  std::vector<std::string> refs;
  std::string hyp = "-";
  eval::ReportOptions report;
  std::string metrics = eval::ReportOptions{}.metrics();
  std::string tokenize = eval::tokenizer_name(eval::ReportOptions{}.tokenizer);
};

// Translates `lines` of --src with --model; the hypotheses, saved to --output when given.
std::vector<std::string> translate_file(const EvalOptions& opt, const std::vector<std::string>& lines) {
  const auto session = open_model(opt.model);
  auto translator = session.translator();
  std::vector<std::string> hyps;
  for (auto& nbest : translator.translate(lines, 1, opt.src)) hyps.push_back(std::move(nbest.front().text));
  if (!opt.output.empty()) {
    std::string text;
    for (const auto& h : hyps) text += h + "\n";
    write_file_atomic(opt.output, text);
  }
  eval::strip_segments(hyps);
  return hyps;
}

void run_eval(const EvalOptions& opt) {
  eval::ReportOptions report = opt.report;
  report.set_metrics(opt.metrics);
  report.tokenizer = eval::parse_tokenizer(opt.tokenize);

  if (!opt.model.model_dirs.empty() && opt.src.empty()) throw ConfigError("--model needs --src, the file to translate");
  if (!opt.model.model_dirs.empty() && opt.hyp != EvalOptions{}.hyp) {
    throw ConfigError("--hyp with --model: the hypotheses are --src's translations; give one or the other");
  }
  if (opt.model.model_dirs.empty() && !opt.src.empty()) {
    throw ConfigError("--src needs --model, the model to translate it with");
  }
  std::vector<std::vector<std::string>> refs;
  for (const auto& path : opt.refs) refs.push_back(eval::read_segments(path));
  // No stream is held past the first reference's length: an endless one stops there.
  data::ReadLimits limits;
  limits.max_lines = refs.front().size();
  limits.why = ", and reference '" + opt.refs.front() + "' has " + std::to_string(refs.front().size());
  std::vector<std::string> hyps;
  if (!opt.model.model_dirs.empty()) {
    // Counted before the model is loaded: a source that cannot match fails at once.
    const auto lines = data::read_lines(opt.src, limits);
    eval::check_line_counts(lines, refs, opt.refs, "source '" + opt.src + "'");
    if (!opt.output.empty()) {
      std::vector<std::string> inputs = files_under(opt.model.model_dirs);  // nor a file a model keeps
      inputs.insert(inputs.end(), opt.refs.begin(), opt.refs.end());
      inputs.insert(inputs.end(), opt.model.checkpoints.begin(), opt.model.checkpoints.end());
      inputs.push_back(opt.src);
      require_output_is_not_an_input(opt.output, inputs, "-o");
    }
    hyps = translate_file(opt, lines);
  } else {
    hyps = eval::read_segments(opt.hyp, limits);
    eval::check_line_counts(hyps, refs, opt.refs,
                            opt.hyp == "-" ? std::string("hypotheses '<stdin>'") : "hypotheses '" + opt.hyp + "'");
  }
  write_stdout(eval::score_report(hyps, refs, report));
}

}  // namespace

Verb setup_eval(CLI::App& app) {
  auto opt = std::make_shared<EvalOptions>();
  CLI::App* sub = app.add_subcommand("eval", "Score hypotheses with BLEU and chrF, exactly as sacreBLEU 2.x");
  sub->add_option("-r,--ref", opt->refs, "Reference file; repeat for several references")->required()->type_name("FILE");
  sub->add_option("--hyp", opt->hyp, "Hypothesis file (default: stdin)")->type_name("FILE");
  sub->add_option("--src", opt->src, "Source file to translate (with --model)")->type_name("FILE");
  sub->add_option("-o,--output", opt->output, "Save the translations of --src here")->type_name("FILE");
  add_model_options(sub, opt->model, "--model", /*model_required=*/false);
  sub->add_option("-m,--metrics", opt->metrics, "Comma-separated metrics: bleu, chrf")->capture_default_str();
  sub->add_option("-t,--tokenize", opt->tokenize, "BLEU tokenizer: 13a, intl, char, none")->capture_default_str();
  sub->add_flag("-l,--lowercase", opt->report.lowercase, "Case-insensitive scores");
  sub->add_flag("--json", opt->report.json, "JSON as sacreBLEU writes it: one object, or an array of them");
  sub->add_option("-w,--width", opt->report.width, "Decimals of the printed scores")->capture_default_str()->check(
      within<int>(Range::closed(0, 10)));
  return {sub, [opt] { run_eval(*opt); }};
}

}  // namespace nmt::cli
