// The data of a training run: vocabularies plus the encoded train and valid corpora,
// all kept in the model directory.
#pragma once

#include <optional>
#include <string>

#include "nmt/common/config.h"
#include "nmt/data/corpus.h"
#include "nmt/data/vocab.h"

namespace nmt::data {

struct Dataset {
  Vocabs vocabs;
  std::optional<EncodedCorpus> train;
  std::optional<EncodedCorpus> valid;
};

/// model_dir/cache/<split>.bin
std::string cache_path(const std::string& model_dir, const std::string& split);

/// `nmt prepare`: prepare_dataset with model_dir locked against other writers
/// (common/lock.h), then the resolved config written to model_dir/config.json.
Dataset prepare_model_dir(const Config& config, int threads);

/// Builds or loads the vocabularies, then encodes (or maps the caches of) the
/// training and validation corpora. Needs data.train and model_dir.
Dataset prepare_dataset(const Config& config, int threads);

}  // namespace nmt::data
