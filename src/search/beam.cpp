#include <algorithm>
#include <cmath>
#include <limits>

#include <torch/torch.h>

#include "nmt/data/vocab.h"
#include "nmt/search/search.h"

namespace nmt::search {

torch::Tensor next_token_log_probs(const torch::Tensor& logits) {
  auto lp = torch::log_softmax(logits.to(torch::kFloat), -1);
  lp.select(1, data::kPad).fill_(-std::numeric_limits<float>::infinity());
  lp.select(1, data::kBos).fill_(-std::numeric_limits<float>::infinity());
  return lp;
}

double length_penalty(int64_t length, double alpha) {
  return alpha == 0 ? 1.0 : std::pow((5.0 + static_cast<double>(length)) / 6.0, alpha);
}

namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// One sentence of the batch while it is being searched.
struct Sentence {
  int64_t index = 0;                           // row in the caller's batch
  std::vector<std::vector<int64_t>> live;      // [beam] token histories
  std::vector<Hypothesis> finished;
};

void finish(Sentence& s, const std::vector<int64_t>& tokens, float log_prob, double alpha) {
  const auto length = static_cast<int64_t>(tokens.size()) + 1;  // eos counts
  s.finished.push_back({tokens, static_cast<double>(log_prob) / length_penalty(length, alpha)});
}

}  // namespace

std::vector<std::vector<Hypothesis>> beam_search(Ensemble& models, Ensemble::State state,
                                                 const std::vector<int64_t>& max_len, int64_t beam, double alpha,
                                                 int64_t n_best) {
  TORCH_CHECK(beam >= 1 && n_best >= 1 && n_best <= beam, "beam_search: need 1 <= n_best <= beam");
  const auto batch = static_cast<int64_t>(max_len.size());
  torch::NoGradGuard no_grad;
  const auto device = models.device();
  const auto long_cpu = torch::TensorOptions().dtype(torch::kLong);

  std::vector<std::vector<Hypothesis>> out(static_cast<std::size_t>(batch));
  std::vector<Sentence> active;
  std::vector<int64_t> rows;  // state rows: beam copies of each active sentence
  for (int64_t b = 0; b < batch; ++b) {
    if (max_len[static_cast<std::size_t>(b)] <= 0) {
      out[static_cast<std::size_t>(b)].push_back({{}, 0.0});
      continue;
    }
    active.push_back({b, std::vector<std::vector<int64_t>>(static_cast<std::size_t>(beam)), {}});
    for (int64_t k = 0; k < beam; ++k) rows.push_back(b);
  }
  if (active.empty()) return out;

  state.select(torch::tensor(rows, long_cpu).to(device));
  // Cumulative log-probabilities [A, beam]; only the first beam is live at the start.
  auto scores = torch::full({static_cast<int64_t>(active.size()), beam}, kNegInf);
  scores.select(1, 0).fill_(0);
  auto prev = torch::full({static_cast<int64_t>(rows.size())}, static_cast<int64_t>(data::kBos),
                          long_cpu.device(device));

  const int64_t* vocab_ids = state.vocab.defined() ? state.vocab.data_ptr<int64_t>() : nullptr;
  for (int64_t t = 0; !active.empty(); ++t) {
    const auto num = static_cast<int64_t>(active.size());
    const auto log_probs = models.step(prev, state);  // [A*beam, V]
    const int64_t vocab = log_probs.size(1);
    const auto total = (log_probs + scores.to(device).view({num * beam, 1})).view({num, beam * vocab});
    const int64_t cands = std::min(2 * beam, beam * vocab);
    const auto top = total.topk(cands, 1);
    const auto top_scores = std::get<0>(top).to(torch::kCPU).contiguous();
    const auto top_ids = std::get<1>(top).to(torch::kCPU).contiguous();
    const auto* sc = top_scores.data_ptr<float>();
    const auto* id = top_ids.data_ptr<int64_t>();

    std::vector<int64_t> next_rows, next_tokens;
    std::vector<float> next_scores;
    std::vector<Sentence> next_active;
    for (int64_t a = 0; a < num; ++a) {
      Sentence& s = active[static_cast<std::size_t>(a)];
      const bool at_limit = t + 1 >= max_len[static_cast<std::size_t>(s.index)];
      std::vector<std::vector<int64_t>> live;
      std::vector<int64_t> parents, tokens;
      std::vector<float> kept;
      for (int64_t c = 0; c < cands; ++c) {
        const float score = sc[a * cands + c];
        if (score == kNegInf) break;
        const int64_t parent = id[a * cands + c] / vocab, column = id[a * cands + c] % vocab;
        const int64_t token = vocab_ids != nullptr ? vocab_ids[column] : column;
        const auto& history = s.live[static_cast<std::size_t>(parent)];
        if (token == data::kEos) {
          // Only an eos among the top `beam` candidates ends a hypothesis.
          if (c < beam) finish(s, history, score, alpha);
          continue;
        }
        if (static_cast<int64_t>(live.size()) == beam) continue;
        live.push_back(history);
        live.back().push_back(token);
        parents.push_back(a * beam + parent);
        tokens.push_back(token);
        kept.push_back(score);
      }
      if (at_limit) {
        // Out of length: the live hypotheses end here, without eos.
        for (std::size_t k = 0; k < live.size(); ++k) finish(s, live[k], kept[k], alpha);
      }
      if (at_limit || static_cast<int64_t>(s.finished.size()) >= beam || live.empty()) {
        auto& hyps = s.finished;
        std::stable_sort(hyps.begin(), hyps.end(),
                         [](const Hypothesis& x, const Hypothesis& y) { return x.score > y.score; });
        if (static_cast<int64_t>(hyps.size()) > n_best) hyps.resize(static_cast<std::size_t>(n_best));
        out[static_cast<std::size_t>(s.index)] = std::move(hyps);
        continue;
      }
      // Fewer candidates than beams (a tiny vocabulary): pad with dead copies.
      while (static_cast<int64_t>(live.size()) < beam) {
        live.push_back(live.back());
        parents.push_back(parents.back());
        tokens.push_back(tokens.back());
        kept.push_back(kNegInf);
      }
      s.live = std::move(live);
      next_rows.insert(next_rows.end(), parents.begin(), parents.end());
      next_tokens.insert(next_tokens.end(), tokens.begin(), tokens.end());
      next_scores.insert(next_scores.end(), kept.begin(), kept.end());
      next_active.push_back(std::move(s));
    }
    // While every sentence is still searching, beams only reorder within their
    // sentence and the source-side tensors stay as they are.
    const bool same_sources = next_active.size() == active.size();
    active = std::move(next_active);
    if (active.empty()) break;
    state.select(torch::tensor(next_rows, long_cpu).to(device), same_sources);
    prev = torch::tensor(next_tokens, long_cpu).to(device);
    scores = torch::tensor(next_scores).view({static_cast<int64_t>(active.size()), beam});
  }
  return out;
}

std::vector<std::vector<Hypothesis>> beam_search(model::Seq2Seq& model, const torch::Tensor& src,
                                                 const torch::Tensor& src_mask, const std::vector<int64_t>& max_len,
                                                 int64_t beam, double alpha, int64_t n_best) {
  TORCH_CHECK(static_cast<int64_t>(max_len.size()) == src.size(0), "beam_search: one max_len per sentence");
  Ensemble alone(model);
  return beam_search(alone, alone.start(src, src_mask), max_len, beam, alpha, n_best);
}

}  // namespace nmt::search
