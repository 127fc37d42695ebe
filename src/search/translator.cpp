#include "nmt/search/translator.h"

#include <algorithm>
#include <cmath>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "nmt/common/error.h"
#include "nmt/common/logging.h"
#include "nmt/data/lines.h"
#include "nmt/search/search.h"

namespace nmt::search {
namespace {

Ensemble ensemble_of(const std::vector<Member>& members) {
  std::vector<model::Seq2Seq*> models;
  std::vector<double> weights;
  for (const auto& m : members) {
    models.push_back(m.model);
    weights.push_back(m.weight);
  }
  return Ensemble(std::move(models), std::move(weights));
}

}  // namespace

void SearchOptions::validate() const {
  if (decoding.sampler().enabled() && n_best != 1) {
    throw ConfigError("--n-best needs beam search: --sampling draws one translation per sentence");
  }
  if (n_best < 1 || n_best > decoding.beam) {
    throw ConfigError("--n-best must be between 1 and the beam size (" + std::to_string(decoding.beam) + "), got " +
                      std::to_string(n_best));
  }
}

Translator::Translator(std::vector<Member> members, SearchOptions options)
    : members_(std::move(members)),
      ensemble_(ensemble_of(members_)),
      options_(std::move(options)),
      sampling_(options_.decoding.sampler()),
      generator_(at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(options_.decoding.seed))) {
  options_.validate();
}

std::vector<std::vector<std::vector<int32_t>>> Translator::encode(const std::vector<std::string>& lines,
                                                                  int64_t first_line, const std::string& source,
                                                                  const std::vector<bool>& cut) const {
  std::vector<std::vector<std::vector<int32_t>>> pieces(members_.size(),
                                                        std::vector<std::vector<int32_t>>(lines.size()));
  const auto limit = static_cast<std::size_t>(options_.max_input_length);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    for (std::size_t m = 0; m < members_.size(); ++m) {
      auto& p = pieces[m][i];
      // Members that share the first one's source vocabulary share its pieces.
      const bool same = m > 0 && members_[m].vocabs->src.path() == members_[0].vocabs->src.path();
      p = same ? pieces[0][i] : members_[m].vocabs->src.encode(lines[i]);
      const bool was_cut = i < cut.size() && cut[i];
      if (same || limit == 0 || (p.size() <= limit && !was_cut)) continue;
      const std::string name = data::line_location(source, first_line + static_cast<int64_t>(i));
      if (!options_.crop) {
        throw DataError(name + ": more than --max-input-length " + std::to_string(limit) +
                        " pieces (--max-input-length-policy error)");
      }
      if (m == 0) NMT_WARN("translate", "{}: more than --max-input-length {} pieces, cropped to them", name, limit);
      p.resize(limit);
    }
  }
  return pieces;
}

void Translator::attach_attention(const torch::Tensor& src, const std::vector<const std::vector<int32_t>*>& pieces,
                                  const std::vector<std::vector<Hypothesis>>& hyps,
                                  std::vector<std::vector<Translation>*>& translations) const {
  // Every hypothesis of the batch, teacher-forced in one pass: [bos, tokens] in.
  std::vector<int64_t> rows;
  std::size_t longest = 0;
  for (std::size_t r = 0; r < hyps.size(); ++r) {
    for (const auto& h : hyps[r]) {
      rows.push_back(static_cast<int64_t>(r));
      longest = std::max(longest, h.tokens.size());
    }
  }
  if (rows.empty()) return;
  const auto n = static_cast<int64_t>(rows.size()), width = static_cast<int64_t>(longest) + 1;
  auto tgt_in = torch::full({n, width}, data::kPad, torch::kLong);
  auto* p = tgt_in.data_ptr<int64_t>();
  int64_t i = 0;
  for (const auto& sentence : hyps) {
    for (const auto& h : sentence) {
      p[i * width] = data::kBos;
      std::copy(h.tokens.begin(), h.tokens.end(), p + i * width + 1);
      ++i;
    }
  }
  const auto device = src.device();
  const auto src_rows = src.index_select(0, torch::tensor(rows).to(device));
  const auto weights = members_.front()
                           .model->attention(src_rows, src_rows.ne(data::kPad), tgt_in.to(device), *options_.attention)
                           .to(torch::kCPU, torch::kFloat)
                           .contiguous();  // [N, T, S]
  const auto* w = weights.data_ptr<float>();
  const int64_t s_width = weights.size(2);
  const auto& vocabs = *members_.front().vocabs;
  i = 0;
  for (std::size_t r = 0; r < hyps.size(); ++r) {
    auto source = *pieces[r];
    source.push_back(data::kEos);
    const auto source_pieces = vocabs.src.pieces(source);
    for (std::size_t k = 0; k < hyps[r].size(); ++k, ++i) {
      auto target = std::vector<int32_t>(hyps[r][k].tokens.begin(), hyps[r][k].tokens.end());
      target.push_back(data::kEos);
      auto& t = (*translations[r])[k];
      t.source_pieces = source_pieces;
      t.target_pieces = vocabs.tgt.pieces(target);
      t.attention.assign(target.size(), std::vector<float>(source.size()));
      for (std::size_t row = 0; row < target.size(); ++row) {
        const float* from = w + (i * width + static_cast<int64_t>(row)) * s_width;
        std::copy(from, from + source.size(), t.attention[row].begin());
      }
    }
  }
}

std::vector<std::vector<Translation>> Translator::translate(const std::vector<std::string>& lines, int64_t first_line,
                                                            const std::string& source, const std::vector<bool>& cut) {
  std::vector<std::vector<Translation>> out(lines.size());
  const auto pieces = encode(lines, first_line, source, cut);
  const auto& lead = pieces.front();  // lengths, batches and output limits follow the first member
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lead[i].empty()) {
      out[i].emplace_back();
    } else {
      order.push_back(i);
    }
  }
  // Longest first: the first batch shows at once whether memory suffices.
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return lead[a].size() > lead[b].size(); });

  torch::NoGradGuard no_grad;
  const auto& d = options_.decoding;
  for (std::size_t start = 0; start < order.size();) {
    const auto rows = std::max<int64_t>(1, d.batch_tokens / (static_cast<int64_t>(lead[order[start]].size()) + 1));
    const std::size_t end = std::min(order.size(), start + static_cast<std::size_t>(rows));
    const auto count = static_cast<int64_t>(end - start);

    std::vector<torch::Tensor> src, mask;
    for (const auto& member_pieces : pieces) {
      std::size_t longest = 1;
      for (std::size_t r = start; r < end; ++r) longest = std::max(longest, member_pieces[order[r]].size());
      const auto width = static_cast<int64_t>(longest) + 1;  // + eos
      auto ids = torch::full({count, width}, data::kPad, torch::kLong);  // [B, S]
      auto* p = ids.data_ptr<int64_t>();
      for (int64_t r = 0; r < count; ++r) {
        const auto& row = member_pieces[order[start + static_cast<std::size_t>(r)]];
        std::copy(row.begin(), row.end(), p + r * width);
        p[r * width + static_cast<int64_t>(row.size())] = data::kEos;
      }
      src.push_back(ids.to(ensemble_.device()));
      mask.push_back(src.back().ne(data::kPad));
    }
    std::vector<int64_t> max_len;  // a*len(src)+b, computed where it cannot overflow
    for (std::size_t r = start; r < end; ++r) {
      const double limit = d.max_len_a * static_cast<double>(lead[order[r]].size()) + static_cast<double>(d.max_len_b);
      max_len.push_back(static_cast<int64_t>(std::floor(std::min(limit, static_cast<double>(kMaxPieces)))));
      if (max_len.back() < 1) {  // not silently empty
        NMT_WARN("translate", "{}: the output limit a*len(src)+b = {} allows no token; it translates as empty "
                 "(raise --max-len-a or --max-len-b)",
                 data::line_location(source, first_line + static_cast<int64_t>(order[r])), limit);
      }
    }

    auto state = ensemble_.start(src, mask);
    if (options_.shortlist) ensemble_.restrict(state, options_.shortlist->candidates(src.front()));
    std::vector<std::vector<Hypothesis>> hyps;
    if (sampling_.enabled()) {
      for (auto& h : sample(ensemble_, std::move(state), max_len, d.alpha, sampling_, d.temperature, generator_)) {
        hyps.push_back({std::move(h)});
      }
    } else if (d.beam == 1) {
      for (auto& h : greedy(ensemble_, std::move(state), max_len, d.alpha)) hyps.push_back({std::move(h)});
    } else {
      hyps = beam_search(ensemble_, std::move(state), max_len, d.beam, d.alpha, options_.n_best);
    }
    const auto& tgt = members_.front().vocabs->tgt;
    std::vector<std::vector<Translation>*> dests;
    std::vector<const std::vector<int32_t>*> source_pieces;
    for (int64_t r = 0; r < count; ++r) {
      const auto line = order[start + static_cast<std::size_t>(r)];
      auto& dest = out[line];
      for (const auto& h : hyps[static_cast<std::size_t>(r)]) {
        auto& t = dest.emplace_back();
        t.text = tgt.decode(std::vector<int32_t>(h.tokens.begin(), h.tokens.end()));
        t.score = h.score;
      }
      if (dest.empty()) dest.emplace_back();
      dests.push_back(&dest);
      source_pieces.push_back(&lead[line]);
    }
    if (options_.attention) attach_attention(src.front(), source_pieces, hyps, dests);
    start = end;
  }
  return out;
}

}  // namespace nmt::search
