#include "nmt/eval/report.h"

#include <algorithm>
#include <future>
#include <sstream>

#include <nlohmann/json.hpp>

#include "counting.h"
#include "nmt/common/error.h"
#include "nmt/data/lines.h"
#include "nmt/eval/bleu.h"
#include "nmt/eval/chrf.h"

namespace nmt::eval {
namespace {

using json = nlohmann::ordered_json;

// sacreBLEU's JSON for one metric: name, score, signature, verbose part, then
// every signature field as a string.
json to_json(const std::string& name, double score, const std::string& signature, const std::string& verbose,
             int width) {
  json j = {{"name", name}, {"score", std::stod(fixed(score, width))}, {"signature", signature}};
  if (!verbose.empty()) j["verbose_score"] = verbose;
  std::stringstream fields(signature);
  for (std::string field; std::getline(fields, field, '|');) {
    const auto colon = field.find(':');
    j[field.substr(0, colon)] = field.substr(colon + 1);
  }
  return j;
}

}  // namespace

void ReportOptions::set_metrics(const std::string& list) {
  bleu = chrf = false;
  std::stringstream names(list);
  for (std::string m; std::getline(names, m, ',');) {
    if (m == "bleu") {
      bleu = true;
    } else if (m == "chrf") {
      chrf = true;
    } else {
      throw ConfigError("--metrics: unknown metric '" + m + "' (expected bleu, chrf)");
    }
  }
  if (!bleu && !chrf) throw ConfigError("--metrics: no metric named (expected bleu, chrf)");
}

std::string ReportOptions::metrics() const {
  std::string out = bleu ? "bleu" : "";
  if (chrf) out += out.empty() ? "chrf" : ",chrf";
  return out;
}

void strip_segments(std::vector<std::string>& lines) {
  for (auto& l : lines) l.resize(rstrip(l).size());
}

std::vector<std::string> read_segments(const std::string& path, const data::ReadLimits& limits) {
  std::vector<std::string> lines = data::read_lines(path, limits);
  strip_segments(lines);
  return lines;
}

void check_line_counts(const std::vector<std::string>& hyps, const std::vector<std::vector<std::string>>& refs,
                       const std::vector<std::string>& ref_paths, const std::string& hyps_name) {
  for (std::size_t k = 0; k < refs.size(); ++k) {
    if (refs[k].size() != hyps.size()) {
      throw DataError(hyps_name + " and reference '" + ref_paths[k] + "' have different line counts: " +
                      std::to_string(hyps.size()) + " and " + std::to_string(refs[k].size()));
    }
  }
}

std::string score_report(const std::vector<std::string>& hyps, const std::vector<std::vector<std::string>>& refs,
                         const ReportOptions& options) {
  ChrfOptions co;
  co.lowercase = options.lowercase;
  auto chrf = std::async(options.chrf ? std::launch::async : std::launch::deferred,
                         [&] { return corpus_chrf(hyps, refs, co); });
  std::vector<std::string> lines;
  std::vector<json> objects;
  if (options.bleu) {
    const auto s = corpus_bleu(hyps, refs, {options.tokenizer, options.lowercase});
    lines.push_back(s.format(options.width));
    objects.push_back(to_json("BLEU", s.score, s.signature(), s.verbose(), options.width));
  }
  if (options.chrf) {
    const auto s = chrf.get();
    lines.push_back(s.format(options.width));
    objects.push_back(to_json("chrF2", s.score, s.signature(), "", options.width));
  }

  std::ostringstream out;
  if (options.json) {
    // As sacreBLEU: one object, or an array of them.
    if (objects.size() == 1) {
      out << objects[0].dump(1) << "\n";
    } else {
      out << "[\n";
      for (std::size_t i = 0; i < objects.size(); ++i) {
        out << objects[i].dump(1) << (i + 1 < objects.size() ? ",\n" : "\n");
      }
      out << "]\n";
    }
    return out.str();
  }
  // As sacreBLEU: several lines are right-aligned on their '='.
  std::size_t width = 0;
  for (const auto& l : lines) width = std::max(width, l.find(" = "));
  for (const auto& l : lines) out << std::string(width - l.find(" = "), ' ') << l << "\n";
  return out.str();
}

}  // namespace nmt::eval
