// nmt translate: stdin to stdout, line by line, in order, streamed chunk by chunk.
#include <filesystem>
#include <memory>
#include <sstream>

#include "cli/model_options.h"
#include "cli/plot.h"
#include "cli/verbs.h"
#include "nmt/common/fs.h"
#include "nmt/data/lines.h"
#include "nmt/search/alignment.h"

namespace nmt::cli {
namespace {

constexpr std::size_t kChunkLines = 2000;  // lines sorted and batched together at most

struct TranslateOptions {
  ModelOptions model;
  AttentionFlags attention;
  std::string alignment;       ///< --alignment: hard, soft or a threshold; empty: none
  std::string attention_plot;  ///< --attention-plot: a directory; empty: none
};

// " ||| alignment" of a translation, in the words of its pieces (eos, last on both sides, left out).
std::string alignment_of(const search::Translation& t, const search::AlignmentFormat& format) {
  const auto words_of = [](const std::vector<std::string>& pieces) {
    return search::word_of_pieces(std::vector<std::string>(pieces.begin(), pieces.end() - (pieces.empty() ? 0 : 1)));
  };
  const auto words = search::word_attention(t.attention, words_of(t.target_pieces), words_of(t.source_pieces));
  return " ||| " + search::format_alignment(words, format);
}

void run_translate(const TranslateOptions& opt) {
  const auto alignment =
      opt.alignment.empty() ? search::AlignmentFormat{} : search::AlignmentFormat::parse(opt.alignment);
  if (!opt.attention_plot.empty()) {
    require_writable_directory(opt.attention_plot, "--attention-plot");
    // Its pictures replace what the directory holds: never a model's file, through a link.
    const auto kept = files_under(opt.model.model_dirs);
    for (const auto& picture : std::filesystem::directory_iterator(opt.attention_plot)) {
      require_output_is_not_an_input(picture.path().string(), kept, "--attention-plot");
    }
  }
  auto session = open_model(opt.model);
  const auto& lead = *session.models.front().model;
  const auto choice = attention_choice(opt.attention, lead);
  const bool plots = !opt.attention_plot.empty();
  if (alignment.enabled() || plots) session.search.attention = choice;
  auto translator = session.translator();
  const bool nbest = opt.model.n_best.has_value();
  data::LineReader input("-", session.search.max_input_bytes(), /*squeeze_spaces=*/true);
  std::vector<std::string> lines;
  std::vector<bool> cut;
  int64_t first = 0;  // index of the chunk's first line
  std::ostringstream text;
  while (data::next_chunk(input, lines, cut, kChunkLines)) {
    const auto out = translator.translate(lines, first + 1, input.path(), cut);
    text.str("");
    for (std::size_t i = 0; i < out.size(); ++i) {
      const int64_t line = first + static_cast<int64_t>(i);
      if (!nbest) {
        text << out[i].front().text;
        if (alignment.enabled()) text << alignment_of(out[i].front(), alignment);
        text << '\n';
        continue;
      }
      for (const auto& t : out[i]) {
        text << line << " ||| " << t.text << " ||| " << t.score;
        if (alignment.enabled()) text << alignment_of(t, alignment);
        text << '\n';
      }
    }
    write_stdout(text.str());  // a chunk at a time, whole lines only; before the pictures, which may fail
    for (std::size_t i = 0; plots && i < out.size(); ++i) {
      if (out[i].front().attention.empty()) continue;
      const int64_t line = first + static_cast<int64_t>(i) + 1;
      write_attention_plots(out[i].front(),
                            "line " + std::to_string(line) + " - " + opt.model.model_dirs.front() + ", " +
                                describe(choice, lead),
                            opt.attention_plot + "/line-" + std::to_string(line));
    }
    first += static_cast<int64_t>(lines.size());
  }
}

}  // namespace

Verb setup_translate(CLI::App& app) {
  auto opt = std::make_shared<TranslateOptions>();
  CLI::App* sub = app.add_subcommand("translate", "Translate stdin to stdout, one sentence per line");
  add_model_options(sub, opt->model, "-m,--model", /*model_required=*/true);
  sub->add_option("--alignment", opt->alignment,
                  "Append ' ||| ' and word alignments: hard (Pharaoh i-j pairs), soft (the word matrix) or a "
                  "threshold in (0, 1)");
  sub->add_option("--attention-plot", opt->attention_plot,
                  "Directory for one attention heatmap per input line: line-N.png and line-N.svg")
      ->type_name("DIR");
  add_attention_flags(sub, opt->attention);
  return {sub, [opt] { run_translate(*opt); }};
}

}  // namespace nmt::cli
