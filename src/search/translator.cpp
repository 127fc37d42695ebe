#include "nmt/search/translator.h"

#include <algorithm>
#include <cmath>

#include <torch/torch.h>

#include "nmt/common/error.h"
#include "nmt/common/logging.h"
#include "nmt/data/lines.h"
#include "nmt/search/search.h"

namespace nmt::search {

void SearchOptions::validate() const {
  if (n_best < 1 || n_best > decoding.beam) {
    throw ConfigError("--n-best must be between 1 and the beam size (" + std::to_string(decoding.beam) + "), got " +
                      std::to_string(n_best));
  }
}

Translator::Translator(model::Seq2Seq& model, const data::Vocabs& vocabs, SearchOptions options,
                       torch::Device device)
    : model_(model), vocabs_(vocabs), options_(options), device_(device) {
  options_.validate();
}

std::vector<std::vector<Translation>> Translator::translate(const std::vector<std::string>& lines, int64_t first_line,
                                                            const std::string& source) {
  std::vector<std::vector<Translation>> out(lines.size());
  std::vector<std::vector<int32_t>> pieces(lines.size());
  std::vector<std::size_t> order;
  const auto limit = static_cast<std::size_t>(options_.max_input_length);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    pieces[i] = vocabs_.src.encode(lines[i]);
    if (limit > 0 && pieces[i].size() > limit) {
      const std::string name = data::line_location(source, first_line + static_cast<int64_t>(i));
      if (!options_.crop) {
        throw DataError(name + ": more than --max-input-length " + std::to_string(limit) +
                        " pieces (--max-input-length-policy error)");
      }
      NMT_WARN("translate", "{}: more than --max-input-length {} pieces, cropped to them", name, limit);
      pieces[i].resize(limit);
    }
    if (pieces[i].empty()) {
      out[i].push_back({"", 0.0});
    } else {
      order.push_back(i);
    }
  }
  // Longest first: the first batch shows at once whether memory suffices.
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return pieces[a].size() > pieces[b].size(); });

  torch::NoGradGuard no_grad;
  for (std::size_t start = 0; start < order.size();) {
    const auto width = static_cast<int64_t>(pieces[order[start]].size()) + 1;  // + eos
    const auto& d = options_.decoding;
    const auto rows = std::max<int64_t>(1, d.batch_tokens / width);
    const std::size_t end = std::min(order.size(), start + static_cast<std::size_t>(rows));
    const auto count = static_cast<int64_t>(end - start);

    auto src = torch::full({count, width}, data::kPad, torch::kLong);  // [B, S]
    auto* ids = src.data_ptr<int64_t>();
    std::vector<int64_t> max_len;
    for (int64_t r = 0; r < count; ++r) {
      const auto& p = pieces[order[start + static_cast<std::size_t>(r)]];
      std::copy(p.begin(), p.end(), ids + r * width);
      ids[r * width + static_cast<int64_t>(p.size())] = data::kEos;
      max_len.push_back(static_cast<int64_t>(
          std::floor(d.max_len_a * static_cast<double>(p.size()) + static_cast<double>(d.max_len_b))));
    }
    src = src.to(device_);
    const auto mask = src.ne(data::kPad);

    std::vector<std::vector<Hypothesis>> hyps;
    if (d.beam == 1) {
      for (auto& h : greedy(model_, src, mask, max_len, d.alpha)) hyps.push_back({std::move(h)});
    } else {
      hyps = beam_search(model_, src, mask, max_len, d.beam, d.alpha, options_.n_best);
    }
    for (int64_t r = 0; r < count; ++r) {
      auto& dest = out[order[start + static_cast<std::size_t>(r)]];
      for (const auto& h : hyps[static_cast<std::size_t>(r)]) {
        dest.push_back({vocabs_.tgt.decode(std::vector<int32_t>(h.tokens.begin(), h.tokens.end())), h.score});
      }
      if (dest.empty()) dest.push_back({"", 0.0});
    }
    start = end;
  }
  return out;
}

}  // namespace nmt::search
