#include "nmt/train/validation.h"

#include <filesystem>

#include <torch/torch.h>

#include "nmt/data/batcher.h"
#include "nmt/data/lines.h"
#include "nmt/eval/bleu.h"
#include "nmt/eval/chrf.h"
#include "nmt/plot/plot.h"
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

Validation Validator::run(model::Seq2Seq& model, torch::Device device, const std::string& attention_dir,
                          int64_t step) const {
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
  const auto shown = std::min<std::size_t>(src_.size(), static_cast<std::size_t>(training_.plot_attention));
  if (shown > 0 && !attention_dir.empty()) {
    search::SearchOptions options{decoding_};
    options.attention = model::AttentionChoice{};
    search::Translator drawer(model, vocabs_, options);
    const auto out = drawer.translate(std::vector<std::string>(src_.begin(), src_.begin() + static_cast<long>(shown)));
    std::filesystem::create_directories(attention_dir);
    for (std::size_t i = 0; i < out.size(); ++i) {
      const auto& t = out[i].front();
      if (t.attention.empty()) continue;
      const auto line = std::to_string(i + 1);
      plot::save_heatmap({"dev line " + line + ", step " + std::to_string(step), t.source_pieces, t.target_pieces,
                          t.attention},
                         attention_dir + "/line-" + line);
    }
  }
  return v;
}

}  // namespace nmt::train
