#include <gtest/gtest.h>

#include <numeric>

#include <torch/torch.h>

#include "nmt/model/rnnsearch.h"
#include "nmt/model/transformer.h"
#include "nmt/search/decode_bench.h"
#include "nmt/train/train_bench.h"
#include "test_util.h"

namespace nmt {
namespace {

TEST(TrainBench, ModelFlopsFollowThePeersFormula) {
  // transformer-multi30k sizes, one sentence of 32 pieces a side (33 with eos).
  TransformerConfig c;
  c.encoder_layers = c.decoder_layers = 3;
  c.d_model = 256;
  c.heads = 4;
  c.ff_dim = 1024;
  const model::Transformer m(c, 8000, 8000, 0.0);
  data::Batch b;
  b.src_mask = b.tgt_mask = torch::ones({1, 33}, torch::kBool);
  b.src = torch::ones({1, 33}, torch::kLong);
  // The peer's formula by hand: 254,267,904 multiply-adds; 6 x that over
  // 34 target tokens (bos, 32 pieces, eos) is 44,870,806.6 FLOPs per token.
  EXPECT_DOUBLE_EQ(m->forward_macs(33, 33), 254267904.0);
  EXPECT_DOUBLE_EQ(train::forward_macs(*m, b), 254267904.0);  // summed over the batch's one sentence
}

TEST(SearchBench, SortingAndKeepingFinishedSentencesChangeTheWorkNotTheOutput) {
  torch::manual_seed(3);
  model::RNNSearch m(test::tiny_rnnsearch(), 20, 23, 0.0);
  m->eval();
  const std::vector<std::vector<int32_t>> src{{5, 6, 7, 8, 9}, {4}, {7, 8}, {5, 9, 11, 12}, {6, 6, 6}, {10, 11, 12}};
  const std::vector<int64_t> limits{3, 9, 1, 5, 7, 2};
  auto run = [&](bool sorted, bool keep_finished) {
    search::DecodeBenchOptions o;
    o.beam = 1;  // greedy: a longer limit leaves the first tokens as they were
    o.batch_sents = 4;
    o.sort_by_length = sorted;
    o.keep_finished = keep_finished;
    return search::bench_decoding(*m, src, limits, o, torch::kCPU);
  };
  const auto base = run(true, false);
  EXPECT_EQ(base.sentences, 6);
  EXPECT_GT(base.tgt_tokens, 0);
  EXPECT_LE(base.tgt_tokens, std::accumulate(limits.begin(), limits.end(), int64_t{0}));
  EXPECT_EQ(run(false, false).tgt_tokens, base.tgt_tokens);
  EXPECT_EQ(run(true, true).tgt_tokens, base.tgt_tokens);
}

}  // namespace
}  // namespace nmt
