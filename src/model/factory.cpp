#include "nmt/model/factory.h"

#include "nmt/model/rnnsearch.h"
#include "nmt/model/transformer.h"

namespace nmt::model {

std::shared_ptr<Seq2Seq> make_model(const Config& config, int64_t src_vocab, int64_t tgt_vocab) {
  switch (config.model.type) {
    case ModelType::rnnsearch:
      return std::make_shared<RNNSearchImpl>(config.model.rnnsearch, src_vocab, tgt_vocab, config.training.dropout);
    case ModelType::transformer:
      return std::make_shared<TransformerImpl>(config.model.transformer, src_vocab, tgt_vocab,
                                               config.training.dropout);
  }
  TORCH_CHECK(false, "make_model: model type ", static_cast<int>(config.model.type), " has no case");
}

}  // namespace nmt::model
