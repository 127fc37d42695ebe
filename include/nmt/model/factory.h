// The only place that switches on model.type.
#pragma once

#include <memory>

#include "nmt/common/config.h"
#include "nmt/model/seq2seq.h"

namespace nmt::model {

/// The model of `config.model` for the given vocabulary sizes, with training.dropout.
std::shared_ptr<Seq2Seq> make_model(const Config& config, int64_t src_vocab, int64_t tgt_vocab);

}  // namespace nmt::model
