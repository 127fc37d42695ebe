// nmt plot: pictures of a model's attention (`plot attention`) and of its
// training (`plot curves`), and the attention pictures translate draws.
#include "cli/plot.h"

#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <memory>

#include "cli/checks.h"
#include "cli/model_options.h"
#include "cli/verbs.h"
#include "nmt/common/error.h"
#include "nmt/common/fs.h"
#include "nmt/common/utf8.h"
#include "nmt/plot/plot.h"

namespace nmt::cli {

void add_attention_flags(CLI::App* sub, AttentionFlags& flags) {
  sub->add_option("--layer", flags.layer, "Decoder layer whose cross-attention to show, from 0 (default: the mean of all)")
      ->check(within<int64_t>(Range{}));
  sub->add_option("--head", flags.head, "Attention head to show, from 0 (default: the mean of all)")
      ->check(within<int64_t>(Range{}));
}

model::AttentionChoice attention_choice(const AttentionFlags& flags, const model::Seq2Seq& model) {
  const model::AttentionChoice choice{flags.layer, flags.head};
  try {
    model::check_attention_choice(choice, model.attention_layers(), model.attention_heads());
  } catch (const std::out_of_range& e) {
    throw ConfigError(std::string("--") + e.what());  // the flags are named as the choice's fields
  }
  return choice;
}

std::string describe(const model::AttentionChoice& choice, const model::Seq2Seq& model) {
  if (model.attention_layers() == 1 && model.attention_heads() == 1) return "attention";
  const auto one = [](const char* what, int64_t v) { return std::string(what) + (v < 0 ? " mean" : " " + std::to_string(v)); };
  return "cross-attention, " + one("layer", choice.layer) + ", " + one("head", choice.head);
}

void require_writable_directory(const std::string& dir, const std::string& flag) {
  // Pictures are files: a stream (-o /dev/stdout) cannot hold a PNG and an SVG, and /dev is no place for either.
  const auto under = [&](const std::string& root) { return dir == root || dir.rfind(root + "/", 0) == 0; };
  if (under("/dev") || under("/proc")) {
    throw ConfigError(flag + " " + dir + ": pictures are written as files, not into " + dir);
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (!ec && !std::filesystem::is_directory(dir)) ec = std::make_error_code(std::errc::not_a_directory);
  if (!ec && ::access(dir.c_str(), W_OK | X_OK) != 0) ec = std::error_code(errno, std::generic_category());
  if (ec) throw ConfigError(flag + " " + dir + ": cannot write there (" + ec.message() + ")");
}

void write_attention_plots(const search::Translation& t, const std::string& title, const std::string& stem) {
  plot::save_heatmap({title, t.source_pieces, t.target_pieces, t.attention}, stem);
}

namespace {

struct PlotAttentionOptions {
  ModelOptions model;
  AttentionFlags attention;
  std::string source;
  std::string output = "attention";
};

void run_plot_attention(const PlotAttentionOptions& opt) {
  if (const auto bad = utf8::find_invalid(opt.source); bad != utf8::kValid) {
    throw ConfigError("--src: invalid UTF-8 at byte " + std::to_string(bad + 1));
  }
  // A directory (or a name ending in '/') gets the default file names inside it, not hidden ".png" and ".svg".
  std::string output = opt.output;
  std::error_code ec;  // a name too long to look up is refused below, where it is created
  if (output.back() == '/' || std::filesystem::is_directory(output, ec)) {
    output = (std::filesystem::path(output) / PlotAttentionOptions{}.output).string();
  }
  const auto dir = std::filesystem::path(output).parent_path().string();
  if (!dir.empty()) require_writable_directory(dir, "-o");  // before the model loads
  const auto kept = files_under(opt.model.model_dirs);  // nor over a model's file, through a link
  for (const char* ext : {".png", ".svg"}) require_output_is_not_an_input(output + ext, kept, "-o");
  auto session = open_model(opt.model);
  auto& lead = *session.models.front().model;
  const auto choice = attention_choice(opt.attention, lead);
  session.search.attention = choice;
  session.search.n_best = 1;
  auto translator = session.translator();
  const auto out = translator.translate({opt.source}, 1, "--src");
  const auto& best = out.front().front();
  if (best.attention.empty()) throw ConfigError("--src is empty: there is nothing to draw");
  write_stdout(best.text + "\n");  // first: a picture that fails loses no translation
  write_attention_plots(best, opt.model.model_dirs.front() + ", " + describe(choice, lead), output);
}

struct PlotCurvesOptions {
  std::vector<std::string> model_dirs;
  std::string output;
  std::string x = "step";
  bool skip_bad = false;
};

void run_plot_curves(const PlotCurvesOptions& opt) {
  const auto format = plot::format_of(opt.output);
  const auto dir = std::filesystem::path(opt.output).parent_path().string();
  if (!dir.empty()) require_writable_directory(dir, "-o");
  require_output_is_not_an_input(opt.output, files_under(opt.model_dirs), "-o");  // its metrics.jsonl, say
  const auto figure = plot::training_curves(opt.model_dirs, opt.x == "time", opt.skip_bad);
  plot::save(plot::render_figure(figure, format), opt.output);
}

}  // namespace

Verb setup_plot(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("plot", "Draw a model's attention or its training curves (PNG or SVG)");
  sub->require_subcommand(1);

  auto attention = std::make_shared<PlotAttentionOptions>();
  CLI::App* att = sub->add_subcommand("attention", "Translate one sentence and draw its attention heatmap");
  add_model_options(att, attention->model, "-m,--model", /*model_required=*/true);
  add_attention_flags(att, attention->attention);
  att->add_option("--src", attention->source, "The source sentence")->required();
  att->add_option("-o,--output", attention->output,
                  "Pictures to write: OUTPUT.png and OUTPUT.svg (a directory: DIR/attention.png and .svg)")
      ->capture_default_str()
      ->type_name("FILE")
      ->check(CLI::Validator([](const std::string& v) { return v.empty() ? std::string("is empty") : std::string(); },
                             "", ""));

  auto curves = std::make_shared<PlotCurvesOptions>();
  CLI::App* cur = sub->add_subcommand("curves", "Draw training curves from model directories' metrics.jsonl");
  cur->add_option("-m,--model", curves->model_dirs, "Model directory; repeat it to overlay runs")->required()->type_name("DIR");
  cur->add_option("-o,--output", curves->output, "The picture: a .png or .svg file")->required()->type_name("FILE");
  cur->add_option("--x", curves->x, "Horizontal axis: update step or wall-clock time (hours)")
      ->capture_default_str()
      ->check(CLI::IsMember({"step", "time"}));
  cur->add_flag("--skip-bad", curves->skip_bad, "Skip a damaged metrics line with a warning instead of stopping");

  return {sub, [att, cur, attention, curves] {
            if (att->parsed()) run_plot_attention(*attention);
            if (cur->parsed()) run_plot_curves(*curves);
          }};
}

}  // namespace nmt::cli
