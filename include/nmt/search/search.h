// Search over the Seq2Seq interface only: it never sees RNN or Transformer types.
#pragma once

#include <cstdint>
#include <vector>

#include "nmt/model/seq2seq.h"

namespace nmt::search {

/// Greedy decoding of a batch: for each row, the argmax tokens up to and
/// excluding eos, at most max_len[b] tokens. src [B, S], src_mask [B, S].
std::vector<std::vector<int64_t>> greedy(model::Seq2Seq& model, const torch::Tensor& src,
                                         const torch::Tensor& src_mask, const std::vector<int64_t>& max_len);

}  // namespace nmt::search
