#include "nmt/train/validation.h"

#include <torch/torch.h>

#include "nmt/data/batcher.h"
#include "nmt/data/lines.h"
#include "nmt/eval/bleu.h"
#include "nmt/eval/chrf.h"
#include "nmt/search/translator.h"
#include "nmt/train/loss.h"

namespace nmt::train {

double Validation::value(Metric metric) const {
  switch (metric) {
    case Metric::bleu: return bleu;
    case Metric::chrf: return chrf;
    case Metric::loss: return nll;
  }
  return nll;
}

Validator::Validator(const Config& config, const data::EncodedCorpus& valid, const data::Vocabs& vocabs)
    : valid_(valid),
      vocabs_(vocabs),
      training_(config.training),
      decoding_(config.decoding),
      src_(data::read_lines(config.data.valid.src)),
      ref_(data::read_lines(config.data.valid.tgt)) {
  decoding_.sampling.clear();  // dev BLEU searches, so that it compares checkpoints
}

Validation Validator::run(model::Seq2Seq& model, torch::Device device) const {
  torch::NoGradGuard no_grad;
  model.eval();
  Validation v;
  double nll = 0;
  int64_t tokens = 0;
  auto bo = data::BatcherOptions::from_config(training_);
  bo.shuffle = false;
  const data::Batcher batches(valid_, bo);
  for (const auto& ids : batches.epoch_plan(1)) {
    const auto b = data::collate(valid_, ids);
    const auto logits = model.forward(b.src.to(device), b.src_mask.to(device), b.tgt_in.to(device));
    const auto out = label_smoothed_nll(logits, b.tgt_out.to(device), 0.0);
    nll += out.nll.item<double>();
    tokens += out.tokens;
  }
  v.nll = nll / static_cast<double>(std::max<int64_t>(1, tokens));
  search::Translator translator(model, vocabs_, decoding_);
  std::vector<std::string> hyps;
  for (auto& nbest : translator.translate(src_)) hyps.push_back(std::move(nbest.front().text));
  v.bleu = eval::corpus_bleu(hyps, {ref_}).score;
  v.chrf = eval::corpus_chrf(hyps, {ref_}).score;
  return v;
}

}  // namespace nmt::train
