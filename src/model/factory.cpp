#include "nmt/model/factory.h"

#include "nmt/common/error.h"
#include "nmt/model/rnnsearch.h"
#include "nmt/model/transformer.h"

namespace nmt::model {

std::shared_ptr<Seq2Seq> make_model(const Config& config, int64_t src_vocab, int64_t tgt_vocab) {
  if (config.model.type == "rnnsearch") {
    return std::make_shared<RNNSearchImpl>(config.model.rnnsearch, src_vocab, tgt_vocab, config.training.dropout);
  }
  if (config.model.type == "transformer") {
    return std::make_shared<TransformerImpl>(config.model.transformer, src_vocab, tgt_vocab, config.training.dropout);
  }
  throw ConfigError("config key model.type: unknown model '" + config.model.type + "'");
}

}  // namespace nmt::model
