// Cached incremental decoding against recomputing the prefix at every step, and
// against projecting the source to cross-attention keys and values at every
// step (self-attention still cached), on a random Transformer of the
// transformer-multi30k sizes. Prints per-step times in bins of 10 steps and the
// ratios over 100 steps:
//   build/bench/decode_cache [--batch N] [--steps N] [--threads N] [--repeats N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "nmt/common/threads.h"
#include "nmt/model/transformer.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

}  // namespace

int main(int argc, char** argv) {
  int64_t batch = 1, steps = 100, src_len = 20, repeats = 3;
  int threads = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const int64_t value = std::atoll(argv[i + 1]);
    if (flag == "--batch") batch = value;
    else if (flag == "--steps") steps = value;
    else if (flag == "--threads") threads = static_cast<int>(value);
    else if (flag == "--repeats") repeats = value;
    else {
      std::fprintf(stderr, "decode_cache: unknown option %s\n", flag.c_str());
      return 2;
    }
  }
  threads = nmt::set_threads(threads);
  torch::manual_seed(1);
  nmt::TransformerConfig c;
  c.encoder_layers = c.decoder_layers = 3;
  c.d_model = 256;
  c.heads = 4;
  c.ff_dim = 1024;
  const int64_t vocab = 8000;
  nmt::model::Transformer model(c, vocab, vocab, 0.1);
  model->eval();
  torch::NoGradGuard no_grad;
  const auto src = torch::randint(4, vocab, {batch, src_len});
  const auto mask = src.ne(0);
  const auto tgt = torch::randint(4, vocab, {batch, steps});

  const auto n = static_cast<std::size_t>(steps);
  std::vector<double> cached(n, 1e30), cross(n, 1e30), full(n, 1e30);
  for (int64_t r = 0; r < repeats; ++r) {  // the minimum over repeats per step
    const auto enc = model->encode(src, mask);
    auto state = model->init_state(enc);
    for (int64_t t = 0; t < steps; ++t) {
      const auto start = Clock::now();
      model->step(tgt.select(1, t), state);
      auto& best = cached[static_cast<std::size_t>(t)];
      best = std::min(best, seconds_since(start));
    }
    state = model->init_state(enc);
    for (int64_t t = 0; t < steps; ++t) {
      const auto start = Clock::now();
      // A fresh state projects the source to every layer's cross-attention keys
      // and values again; only the self-attention caches carry over.
      auto fresh = model->init_state(enc);
      for (auto& [name, tensor] : state.tensors) {
        if (name.rfind("self_", 0) == 0) fresh[name] = tensor;
      }
      state = std::move(fresh);
      model->step(tgt.select(1, t), state);
      auto& best = cross[static_cast<std::size_t>(t)];
      best = std::min(best, seconds_since(start));
    }
    for (int64_t t = 0; t < steps; ++t) {
      const auto start = Clock::now();
      // Without a cache, step t runs the decoder over the whole prefix 0..t (and
      // the encoder, whose 20 source tokens cost about what 20 prefix tokens do).
      model->forward(src, mask, tgt.slice(1, 0, t + 1)).select(1, t);
      auto& best = full[static_cast<std::size_t>(t)];
      best = std::min(best, seconds_since(start));
    }
  }
  std::printf("Transformer 3+3 x 256, vocab %lld, batch %lld, source %lld tokens, %d threads (min of %lld runs)\n",
              static_cast<long long>(vocab), static_cast<long long>(batch), static_cast<long long>(src_len), threads,
              static_cast<long long>(repeats));
  std::printf(
      "| steps | cached ms/step | cross K/V per step, ms/step | ratio | recomputed prefix, ms/step | ratio |\n"
      "|---|---|---|---|---|---|\n");
  double total_cached = 0, total_cross = 0, total_full = 0;
  for (int64_t bin = 0; bin < steps; bin += 10) {
    double a = 0, c = 0, b = 0;
    const int64_t end = std::min(steps, bin + 10);
    for (int64_t t = bin; t < end; ++t) {
      a += cached[static_cast<std::size_t>(t)];
      c += cross[static_cast<std::size_t>(t)];
      b += full[static_cast<std::size_t>(t)];
    }
    total_cached += a;
    total_cross += c;
    total_full += b;
    const double k = static_cast<double>(end - bin);
    std::printf("| %lld-%lld | %.3f | %.3f | %.2f | %.3f | %.1f |\n", static_cast<long long>(bin + 1),
                static_cast<long long>(end), 1e3 * a / k, 1e3 * c / k, c / a, 1e3 * b / k, b / a);
  }
  std::printf("| all %lld | %.1f ms | %.1f ms | %.2f | %.1f ms | %.1f |\n", static_cast<long long>(steps),
              1e3 * total_cached, 1e3 * total_cross, total_cross / total_cached, 1e3 * total_full,
              total_full / total_cached);
  return 0;
}
