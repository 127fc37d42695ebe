#include "nmt/search/shortlist.h"

#include <algorithm>
#include <stdexcept>
#include <unordered_map>
#include <utility>

#include <torch/torch.h>

#include "nmt/common/error.h"
#include "nmt/common/logging.h"
#include "nmt/data/dataset.h"
#include "nmt/data/vocab.h"

namespace nmt::search {
namespace {

// The distinct ids of `ids`, ascending.
void distinct(std::vector<int32_t>& ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
}

int64_t parse_count(const std::string& text, const std::string& what, int64_t least) {
  std::size_t used = 0;
  int64_t value = -1;
  try {
    value = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || value < least) {
    throw std::invalid_argument(what + " must be a whole number >= " + std::to_string(least) + ", not '" + text + "'");
  }
  return value;
}

}  // namespace

Shortlist::Size Shortlist::Size::parse(const std::string& text) {
  const auto comma = text.find(',');
  if (comma == std::string::npos) {
    throw std::invalid_argument("expected F,K (the F most frequent target tokens and K per source token), not '" +
                                text + "'");
  }
  return {parse_count(text.substr(0, comma), "F", 0), parse_count(text.substr(comma + 1), "K", 1)};
}

Shortlist Shortlist::build(const data::EncodedCorpus& corpus, int64_t src_vocab, int64_t tgt_vocab, Size size) {
  const int64_t pairs = corpus.size(), counted = std::min(pairs, kMaxPairs);
  std::vector<uint32_t> src_count(static_cast<std::size_t>(src_vocab)), tgt_count(static_cast<std::size_t>(tgt_vocab));
  std::unordered_map<uint64_t, uint32_t> joint;  // (s << 32 | t) -> pairs holding both
  std::vector<int32_t> s_ids, t_ids;
  for (int64_t j = 0; j < counted; ++j) {
    const int64_t i = counted == pairs ? j : j * pairs / counted;  // spread over the corpus
    s_ids.clear();
    t_ids.clear();
    corpus.src(i, s_ids);
    corpus.tgt(i, t_ids);
    distinct(s_ids);
    distinct(t_ids);
    for (const int32_t t : t_ids) ++tgt_count[static_cast<std::size_t>(t)];
    for (const int32_t s : s_ids) {
      ++src_count[static_cast<std::size_t>(s)];
      for (const int32_t t : t_ids) ++joint[static_cast<uint64_t>(s) << 32 | static_cast<uint32_t>(t)];
    }
  }

  Shortlist list;
  list.tgt_vocab_ = tgt_vocab;
  // Per source id, its target ids by Dice coefficient, best first (ties by id).
  std::vector<std::vector<std::pair<float, int32_t>>> ranked(static_cast<std::size_t>(src_vocab));
  for (const auto& [key, c] : joint) {
    const auto s = static_cast<std::size_t>(key >> 32);
    const auto t = static_cast<int32_t>(key & 0xffffffffu);
    const float dice = 2.0f * static_cast<float>(c) /
                       static_cast<float>(src_count[s] + tgt_count[static_cast<std::size_t>(t)]);
    ranked[s].emplace_back(dice, t);
  }
  const auto better = [](const std::pair<float, int32_t>& a, const std::pair<float, int32_t>& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  };
  list.by_source_.resize(static_cast<std::size_t>(src_vocab));
  for (std::size_t s = 0; s < ranked.size(); ++s) {
    auto& r = ranked[s];
    const auto keep = std::min(r.size(), static_cast<std::size_t>(size.per_source));
    std::partial_sort(r.begin(), r.begin() + static_cast<std::ptrdiff_t>(keep), r.end(), better);
    for (std::size_t k = 0; k < keep; ++k) list.by_source_[s].push_back(r[k].second);
  }

  std::vector<int32_t> by_frequency;
  for (int32_t t = 0; t < static_cast<int32_t>(tgt_vocab); ++t) {
    if (tgt_count[static_cast<std::size_t>(t)] > 0) by_frequency.push_back(t);
  }
  const auto frequent = std::min(by_frequency.size(), static_cast<std::size_t>(size.frequent));
  std::partial_sort(by_frequency.begin(), by_frequency.begin() + static_cast<std::ptrdiff_t>(frequent),
                    by_frequency.end(), [&](int32_t a, int32_t b) {
                      const auto ca = tgt_count[static_cast<std::size_t>(a)], cb = tgt_count[static_cast<std::size_t>(b)];
                      return ca != cb ? ca > cb : a < b;
                    });
  list.always_.assign(by_frequency.begin(), by_frequency.begin() + static_cast<std::ptrdiff_t>(frequent));
  list.always_.push_back(data::kEos);
  list.always_.push_back(data::kUnk);
  NMT_INFO("shortlist", "counted {} of {} training pairs: the {} most frequent target tokens and up to {} per source token",
           counted, pairs, frequent, size.per_source);
  return list;
}

Shortlist Shortlist::of_model(const model::LoadedModel& model, Size size) {
  const auto& config = model.config;
  const std::string cache = data::cache_path(model.dir, "train");
  const auto corpus = data::EncodedCorpus::open_existing(config.data.train, model.vocabs, config.data.max_len, cache);
  if (!corpus) {  // a reader writes nothing into the model directory
    throw DataError("its cache '" + cache +
                    "' is missing, damaged or older than the corpus; rebuild it with: nmt prepare -c '" +
                    model.dir + "/config.json' --set model_dir='" + model.dir + "'");
  }
  return build(*corpus, model.vocabs.src.size(), model.vocabs.tgt.size(), size);
}

torch::Tensor Shortlist::candidates(const torch::Tensor& src) const {
  std::vector<char> in(static_cast<std::size_t>(tgt_vocab_), 0);
  for (const int32_t t : always_) in[static_cast<std::size_t>(t)] = 1;
  const auto ids = src.to(torch::kCPU, torch::kLong).contiguous();
  const auto* p = ids.data_ptr<int64_t>();
  for (int64_t i = 0; i < ids.numel(); ++i) {
    if (p[i] == data::kPad || p[i] < 0 || p[i] >= static_cast<int64_t>(by_source_.size())) continue;
    for (const int32_t t : by_source_[static_cast<std::size_t>(p[i])]) in[static_cast<std::size_t>(t)] = 1;
  }
  in[data::kPad] = in[data::kBos] = 0;
  std::vector<int64_t> out;
  for (std::size_t t = 0; t < in.size(); ++t) {
    if (in[t] != 0) out.push_back(static_cast<int64_t>(t));
  }
  NMT_DEBUG("shortlist", "{} candidates for {} source tokens", out.size(), ids.numel());
  return torch::tensor(out, torch::kLong);
}

}  // namespace nmt::search
