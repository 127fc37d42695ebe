// Attention pictures shared by the verbs that draw them (translate --attention-plot,
// plot attention), and the --layer and --head flags that choose what they show.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "nmt/model/seq2seq.h"
#include "nmt/search/translator.h"

namespace nmt::cli {

/// --layer and --head: a decoder layer and head of the Transformer's
/// cross-attention, or (unset, -1) the mean over all of them.
struct AttentionFlags {
  int64_t layer = -1, head = -1;
};

void add_attention_flags(CLI::App* sub, AttentionFlags& flags);

/// The choice the flags make for `model`: a ConfigError naming --layer or
/// --head when the model has no such layer or head.
model::AttentionChoice attention_choice(const AttentionFlags& flags, const model::Seq2Seq& model);

/// What a picture's title says of the attention shown: "attention" for a model
/// of one layer and head, else "cross-attention, layer mean, head 2".
std::string describe(const model::AttentionChoice& choice, const model::Seq2Seq& model);

/// Creates `dir` if need be and checks that a file can be written there: a
/// ConfigError naming `flag` and the directory when not.
void require_writable_directory(const std::string& dir, const std::string& flag);

/// Writes `stem`.png and `stem`.svg: the heatmap of a translation's attention.
void write_attention_plots(const search::Translation& translation, const std::string& title, const std::string& stem);

}  // namespace nmt::cli
