#include "cli/verbs.h"

namespace nmt::cli {

std::vector<Verb> setup_verbs(CLI::App& app) {
  return {setup_train(app),  setup_translate(app), setup_eval(app),  setup_prepare(app),
          setup_config(app), setup_average(app),   setup_bench(app), setup_plot(app)};
}

}  // namespace nmt::cli
