#include "nmt/model/factory.h"

#include "nmt/common/error.h"
#include "nmt/model/rnnsearch.h"

namespace nmt::model {

std::shared_ptr<Seq2Seq> make_model(const Config& config, int64_t src_vocab, int64_t tgt_vocab) {
  if (config.model.type == "rnnsearch") {
    return std::make_shared<RNNSearchImpl>(config.model.rnnsearch, src_vocab, tgt_vocab, config.training.dropout);
  }
  throw ConfigError("config key model.type: '" + config.model.type + "' is not implemented yet (use 'rnnsearch')");
}

}  // namespace nmt::model
