#include "nmt/search/decode_bench.h"

#include <algorithm>
#include <chrono>
#include <numeric>

#include <torch/torch.h>

#include "nmt/common/error.h"
#include "nmt/data/lines.h"
#include "nmt/model/factory.h"
#include "nmt/search/search.h"

namespace nmt::search {
namespace {

// The first `limit` lines of `path`, as pieces.
std::vector<std::vector<int32_t>> encode_lines(const std::string& path, const data::Vocab& vocab, int64_t limit) {
  std::vector<std::vector<int32_t>> out;
  data::LineReader reader(path);
  reader.refuse_long_lines();  // a benchmark's sentences are sentences: /dev/zero's endless line is not one
  std::string line;
  while (static_cast<int64_t>(out.size()) < limit && reader.next(line)) out.push_back(vocab.encode(line));
  return out;
}

}  // namespace

DecodeBenchInput read_bench_input(const std::string& src_path, const std::string& ref_path,
                                  const data::Vocabs& vocabs, int64_t limit, int64_t cap) {
  DecodeBenchInput in;
  in.src = encode_lines(src_path, vocabs.src, limit);
  in.max_len.assign(in.src.size(), cap);
  if (ref_path.empty()) return in;
  const auto ref = encode_lines(ref_path, vocabs.tgt, limit);
  if (ref.size() != in.src.size()) {
    throw DataError(ref_path + " has " + std::to_string(ref.size()) + " lines where " + src_path + " has " +
                    std::to_string(in.src.size()));
  }
  for (std::size_t i = 0; i < ref.size(); ++i) in.max_len[i] = static_cast<int64_t>(ref[i].size()) + 1;
  return in;
}

model::LoadedModel random_model(const Config& config, int threads, torch::Device device, uint64_t seed) {
  model::LoadedModel m;
  m.config = config;
  m.vocabs = data::prepare_vocabs(config, threads);
  torch::manual_seed(seed);
  m.model = model::make_model(config, m.vocabs.src.size(), m.vocabs.tgt.size());
  m.model->to(device);
  m.model->eval();
  m.checkpoint = "random (seed " + std::to_string(seed) + ")";
  return m;
}

DecodeBench bench_decoding(model::Seq2Seq& model, const std::vector<std::vector<int32_t>>& src,
                           const std::vector<int64_t>& max_len, const DecodeBenchOptions& options,
                           torch::Device device) {
  TORCH_CHECK(src.size() == max_len.size(), "bench_decoding: one max_len per sentence");
  std::vector<std::size_t> order(src.size());
  std::iota(order.begin(), order.end(), 0);
  if (options.sort_by_length) {
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return src[a].size() < src[b].size(); });
  }

  DecodeBench r;
  r.sentences = static_cast<int64_t>(src.size());
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t begin = 0; begin < order.size(); begin += static_cast<std::size_t>(options.batch_sents)) {
    const std::size_t end = std::min(order.size(), begin + static_cast<std::size_t>(options.batch_sents));
    const auto rows = static_cast<int64_t>(end - begin);
    int64_t width = 0;
    for (std::size_t i = begin; i < end; ++i) width = std::max<int64_t>(width, static_cast<int64_t>(src[order[i]].size()) + 1);
    auto batch = torch::full({rows, width}, data::kPad, torch::kLong);
    auto* ids = batch.data_ptr<int64_t>();
    std::vector<int64_t> limits;
    for (int64_t i = 0; i < rows; ++i) {
      const std::size_t s = order[begin + static_cast<std::size_t>(i)];
      std::copy(src[s].begin(), src[s].end(), ids + i * width);
      ids[i * width + static_cast<int64_t>(src[s].size())] = data::kEos;
      limits.push_back(max_len[s]);
    }
    batch = batch.to(device);
    const auto mask = batch.ne(data::kPad);
    auto search_limits = limits;
    if (options.keep_finished) search_limits.assign(limits.size(), *std::max_element(limits.begin(), limits.end()));
    Ensemble alone(model);
    auto state = alone.start(batch, mask);
    if (options.shortlist != nullptr) alone.restrict(state, options.shortlist->candidates(batch));
    std::vector<Hypothesis> best;
    if (options.beam == 1) {
      best = greedy(alone, std::move(state), search_limits, options.alpha);
    } else {
      for (auto& n : beam_search(alone, std::move(state), search_limits, options.beam, options.alpha, 1)) {
        best.push_back(n.front());
      }
    }
    for (std::size_t i = 0; i < best.size(); ++i) {
      const auto n = std::min(static_cast<int64_t>(best[i].tokens.size()), limits[i]);
      r.tgt_tokens += n + (n < limits[i] ? 1 : 0);  // shorter than the limit: it ended in eos
    }
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace nmt::search
