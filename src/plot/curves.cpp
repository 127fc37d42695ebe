#include <filesystem>
#include <map>

#include <nlohmann/json.hpp>

#include "nmt/common/error.h"
#include "nmt/common/fs.h"
#include "nmt/common/logging.h"
#include "nmt/data/lines.h"
#include "nmt/plot/plot.h"

namespace nmt::plot {
namespace {

// A panel: its title, the event its values come from and the field.
struct Curve {
  const char* title;
  const char* event;
  const char* field;
  bool log_y;
};

constexpr Curve kCurves[] = {
    {"training loss", "train", "loss", false},  {"validation perplexity", "valid", "ppl", true},
    {"dev BLEU", "valid", "bleu", false},       {"dev chrF", "valid", "chrf", false},
    {"learning rate", "train", "lr", true},     {"target tokens/s", "train", "tgt_tok_per_s", false},
};

}  // namespace

Figure training_curves(const std::vector<std::string>& model_dirs, bool hours, bool skip_bad) {
  constexpr std::size_t kMaxPoints = std::size_t{1} << 24;  // 256 MiB of coordinates: years of training logs
  std::size_t points = 0;
  Figure f;
  f.title = "Training curves";
  f.x_label = hours ? "wall-clock hours" : "update step";
  for (const auto& c : kCurves) f.panels.push_back({c.title, {}, c.log_y});
  for (const auto& dir : model_dirs) {
    if (dir.empty()) throw DataError("a model directory named '': give the directory nmt train wrote");
    const std::string path = dir + "/metrics.jsonl";
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      throw DataError(path + ": cannot read the training metrics (is " + dir + " a model directory?)");
    }
    require_regular_file(path, "training metrics");  // a FIFO of garbage would be skipped for ever
    data::LineReader in(path);
    in.refuse_long_lines();  // a record is a few hundred bytes
    for (auto& p : f.panels) p.series.push_back({dir, {}, {}});
    std::string line;
    for (int64_t number = 1; in.next(line); ++number) {
      const auto record = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (!record.is_object() || !record.contains("event") || !record.contains("step")) {
        const std::string where = path + ": line " + std::to_string(number);
        if (!skip_bad) throw DataError(where + " is not a metrics record (--skip-bad skips such lines)");
        NMT_WARN("plot", "{} is not a metrics record; skipped", where);
        continue;
      }
      // A field, or null where the record lacks it: operator[] of a const
      // object must not be asked for a missing key (found by the metrics fuzz target).
      const auto field = [&](const char* name) {
        const auto it = record.find(name);
        return it != record.end() ? *it : nlohmann::json();
      };
      const auto x_field = field(hours ? "elapsed_s" : "step");
      if (!x_field.is_number()) continue;
      const double x = x_field.get<double>() / (hours ? 3600.0 : 1.0);
      for (std::size_t i = 0; i < std::size(kCurves); ++i) {
        const auto& c = kCurves[i];
        const auto y = field(c.field);
        if (field("event") != c.event || !y.is_number()) continue;
        auto& s = f.panels[i].series.back();
        if (++points > kMaxPoints) {
          throw DataError(path + ": more than " + std::to_string(kMaxPoints) + " points to draw, by line " +
                          std::to_string(number));
        }
        s.x.push_back(x);
        s.y.push_back(y.get<double>());
      }
    }
  }
  return f;
}

}  // namespace nmt::plot
