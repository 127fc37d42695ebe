// The report of `nmt eval`: which metrics to compute, the checks on the
// streams, and the text or JSON that sacreBLEU 2.x prints for the same scores.
// Strings in, strings out; no tensors.
#pragma once

#include <string>
#include <vector>

#include "nmt/data/lines.h"
#include "nmt/eval/tokenize.h"

namespace nmt::eval {

struct ReportOptions {
  bool bleu = true;  ///< metrics to compute; printed in this order, as sacreBLEU does
  bool chrf = true;
  Tokenizer tokenizer = Tokenizer::k13a;  ///< of BLEU (sacreBLEU --tokenize)
  bool lowercase = false;                 ///< case-insensitive scores (sacreBLEU -lc)
  bool json = false;                      ///< sacreBLEU's JSON: one object, or an array of them
  int width = 2;                          ///< decimals of the printed scores (sacreBLEU -w)

  /// Sets the metrics from a comma-separated list ("bleu,chrf"); ConfigError
  /// naming --metrics for an unknown one.
  void set_metrics(const std::string& list);
  /// The metrics as set_metrics() reads them.
  std::string metrics() const;
};

/// The lines of `path` ("-": standard input) as sacreBLEU reads them, trailing
/// whitespace removed, within `limits` (data::read_lines).
std::vector<std::string> read_segments(const std::string& path, const data::ReadLimits& limits = {});

/// Removes the trailing whitespace of each line, as sacreBLEU does.
void strip_segments(std::vector<std::string>& lines);

/// DataError unless each reference stream refs[k] (read from ref_paths[k]) has
/// as many lines as the hypotheses, which `hyps_name` names in the message
/// ("hypotheses 'hyp.fr'").
void check_line_counts(const std::vector<std::string>& hyps, const std::vector<std::vector<std::string>>& refs,
                       const std::vector<std::string>& ref_paths, const std::string& hyps_name);

/// The scores of `hyps` against `refs` (refs[k][i]: reference k of line i) as
/// sacreBLEU prints them: one line per metric, right-aligned on " = ", or JSON.
/// BLEU and chrF are computed side by side.
std::string score_report(const std::vector<std::string>& hyps, const std::vector<std::vector<std::string>>& refs,
                         const ReportOptions& options);

}  // namespace nmt::eval
