// nmt translate: stdin to stdout, line by line, in order, streamed chunk by chunk.
#include <memory>
#include <sstream>

#include "cli/model_options.h"
#include "cli/verbs.h"
#include "nmt/common/fs.h"
#include "nmt/data/lines.h"

namespace nmt::cli {
namespace {

constexpr std::size_t kChunkLines = 2000;  // lines sorted and batched together at most

void run_translate(const ModelOptions& opt) {
  const auto session = open_model(opt);
  auto translator = session.translator();
  const bool nbest = opt.n_best.has_value();
  data::LineReader input("-", session.search.max_input_bytes());
  std::vector<std::string> lines;
  int64_t first = 0;  // index of the chunk's first line
  std::ostringstream text;
  while (data::next_chunk(input, lines, kChunkLines)) {
    const auto out = translator.translate(lines, first + 1, input.path());
    text.str("");
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (!nbest) {
        text << out[i].front().text << '\n';
        continue;
      }
      for (const auto& t : out[i]) {
        text << first + static_cast<int64_t>(i) << " ||| " << t.text << " ||| " << t.score << '\n';
      }
    }
    write_stdout(text.str());  // a chunk at a time, whole lines only
    first += static_cast<int64_t>(lines.size());
  }
}

}  // namespace

Verb setup_translate(CLI::App& app) {
  auto opt = std::make_shared<ModelOptions>();
  CLI::App* sub = app.add_subcommand("translate", "Translate stdin to stdout, one sentence per line");
  add_model_options(sub, *opt, "-m,--model", /*model_required=*/true);
  return {sub, [opt] { run_translate(*opt); }};
}

}  // namespace nmt::cli
