// Adadelta, the paper optimizer of RNNsearch: the update follows the formula,
// and its state survives a checkpoint. The fused Adam steps as LibTorch's and
// keeps the same state.
#include <gtest/gtest.h>

#include <cstdint>
#include <sstream>

#include <torch/torch.h>

#include "nmt/common/config.h"
#include "nmt/common/isa.h"
#include "nmt/train/fused_adam.h"
#include "nmt/train/adadelta.h"
#include "nmt/train/state_key.h"
#include "nmt/train/step.h"
#include "nmt/model/checkpoint.h"
#include "test_util.h"

namespace nmt::train {
namespace {

TEST(Adadelta, StepsFollowTheFormula) {
  const double lr = 0.5, rho = 0.9, eps = 1e-6;
  auto x = torch::tensor({1.0, -2.0, 3.0}, torch::kDouble).requires_grad_();
  Adadelta opt({x}, AdadeltaOptions(lr).rho(rho).eps(eps));
  auto expected = x.detach().clone();
  auto square_avg = torch::zeros_like(expected), acc_delta = torch::zeros_like(expected);
  for (int step = 0; step < 3; ++step) {
    opt.zero_grad();
    (x * x * x).sum().backward();  // g = 3 x^2
    const auto g = 3 * expected * expected;
    square_avg = rho * square_avg + (1 - rho) * g * g;
    const auto dx = torch::sqrt(acc_delta + eps) / torch::sqrt(square_avg + eps) * g;
    acc_delta = rho * acc_delta + (1 - rho) * dx * dx;
    expected = expected - lr * dx;
    opt.step();
    EXPECT_TRUE(torch::allclose(x.detach(), expected, 1e-12, 1e-12)) << "step " << step;
  }
}

// The checkpoint tests' model, and one update of it.
torch::nn::Linear tiny_linear() {
  torch::manual_seed(0);
  return torch::nn::Linear(3, 2);
}

void update(torch::nn::Linear& m, torch::optim::Optimizer& opt) {
  opt.zero_grad();
  m->forward(torch::tensor({{1.0f, 2.0f, -1.0f}})).pow(2).sum().backward();
  opt.step();
}

TEST(Adadelta, StateSurvivesACheckpoint) {
  test::TempDir d;
  auto a = tiny_linear();
  Adadelta opt_a(a->parameters(), AdadeltaOptions(1.0).rho(0.95));
  update(a, opt_a);
  update(a, opt_a);
  model::save_checkpoint(d / "c.pt", *a, &opt_a, "{}");
  auto b = tiny_linear();
  Adadelta opt_b(b->parameters(), AdadeltaOptions(1.0).rho(0.95));
  model::load_checkpoint(d / "c.pt", *b, &opt_b);
  update(a, opt_a);
  update(b, opt_b);
  EXPECT_TRUE(torch::equal(a->weight, b->weight));
  EXPECT_TRUE(torch::equal(a->bias, b->bias));
}

TEST(Adadelta, DefaultsAreThePapersEverywhere) {
  // Zeiler 2012 and Bahdanau et al. 2014: rho 0.95, eps 1e-6. The config
  // declares them; the options and a config-built optimizer take them from there.
  EXPECT_DOUBLE_EQ(TrainingConfig{}.adadelta_rho, 0.95);
  EXPECT_DOUBLE_EQ(TrainingConfig{}.adadelta_eps, 1e-6);
  EXPECT_DOUBLE_EQ(AdadeltaOptions().rho(), 0.95);
  EXPECT_DOUBLE_EQ(AdadeltaOptions().eps(), 1e-6);
  const Config config = parse_config(R"({"training": {"optimizer": "adadelta", "lr": 1.0}})", "c.json");
  auto x = torch::zeros({2}).requires_grad_();
  const auto optimizer = make_optimizer(config.training, {x});
  ASSERT_NE(dynamic_cast<Adadelta*>(optimizer.get()), nullptr);
  const auto& options = static_cast<const AdadeltaOptions&>(optimizer->param_groups().front().options());
  EXPECT_DOUBLE_EQ(options.rho(), 0.95);
  EXPECT_DOUBLE_EQ(options.eps(), 1e-6);
  EXPECT_DOUBLE_EQ(options.lr(), 1.0);
}

// Parameters of a tiny model (a matrix, a bias, a scalar), each with a
// gradient of its own, for step `step`.
std::vector<torch::Tensor> adam_params() {
  torch::manual_seed(3);
  return {torch::randn({33, 70}).requires_grad_(), torch::randn({70}).requires_grad_(),
          torch::randn({1}).requires_grad_()};
}

void set_gradients(const std::vector<torch::Tensor>& params, int step) {
  torch::manual_seed(100 + step);
  for (const auto& p : params) p.mutable_grad() = torch::randn_like(p) * (step % 2 == 0 ? 1.0 : 1e-3);
}

TEST(FusedAdam, StepsAsLibTorchsAdamOnEveryInstructionSet) {
  const Isa chosen = kernel_isa();
  for (const Isa isa : runnable_isas()) {
    set_kernel_isa(isa);
    for (const double decay : {0.0, 0.01}) {
      const auto options = torch::optim::AdamOptions(2e-3).betas({0.9, 0.98}).eps(1e-9).weight_decay(decay);
      auto fused_params = adam_params(), plain_params = adam_params();
      FusedAdam fused(fused_params, options);
      torch::optim::Adam plain(plain_params, options);
      for (int step = 0; step < 6; ++step) {
        set_gradients(fused_params, step);
        set_gradients(plain_params, step);
        fused.step();
        plain.step();
      }
      for (std::size_t i = 0; i < fused_params.size(); ++i) {
        EXPECT_TRUE(torch::allclose(fused_params[i], plain_params[i], 1e-6, 1e-7))
            << name_of(isa) << ", weight decay " << decay << ", parameter " << i << ": max difference "
            << (fused_params[i] - plain_params[i]).abs().max().item<float>();
      }
    }
  }
  set_kernel_isa(chosen);
}

TEST(FusedAdam, ItsStateIsLibTorchsAndSurvivesACheckpoint) {
  test::TempDir d;
  auto a = tiny_linear();
  FusedAdam opt_a(a->parameters(), torch::optim::AdamOptions(1e-2));
  update(a, opt_a);
  update(a, opt_a);
  model::save_checkpoint(d / "c.pt", *a, &opt_a, "{}");
  // LibTorch's own Adam reads the fused one's state and goes on as it does.
  auto b = tiny_linear();
  torch::optim::Adam opt_b(b->parameters(), torch::optim::AdamOptions(1e-2));
  model::load_checkpoint(d / "c.pt", *b, &opt_b);
  update(a, opt_a);
  update(b, opt_b);
  EXPECT_TRUE(torch::allclose(a->weight, b->weight, 1e-6, 1e-7));
  EXPECT_TRUE(torch::allclose(a->bias, b->bias, 1e-6, 1e-7));
}

// `opt`'s Optimizer::save archive with its parameters named as LibTorch `major`
// names them: the TensorImpl's address in hexadecimal (1.x) or decimal (2.x).
torch::serialize::InputArchive saved_as_by(const torch::optim::Optimizer& opt, int major) {
  torch::serialize::OutputArchive out, states(out.compilation_unit()), groups(out.compilation_unit()),
      group(out.compilation_unit()), options(out.compilation_unit());
  out.write("pytorch_version", c10::IValue("1.5.0"));
  const auto& params = opt.param_groups()[0].params();
  for (std::size_t k = 0; k < params.size(); ++k) {
    const auto address = reinterpret_cast<std::uintptr_t>(params[k].unsafeGetTensorImpl());
    std::ostringstream name;
    if (major >= 2) name << address; else name << "0x" << std::hex << address;
    torch::serialize::OutputArchive state(out.compilation_unit());
    opt.state().at(state_key(params[k]))->serialize(state);
    states.write(name.str(), state);
    group.write("params/" + std::to_string(k), c10::IValue(name.str()));
  }
  group.write("params/size", torch::tensor(static_cast<int64_t>(params.size())));
  opt.param_groups()[0].options().serialize(options);
  group.write("options", options);
  groups.write("param_groups/size", torch::tensor(int64_t{1}));
  groups.write("param_groups/0", group);
  out.write("state", states);
  out.write("param_groups", groups);
  std::stringstream bytes;
  out.save_to(bytes);
  torch::serialize::InputArchive in;
  in.load_from(bytes);
  return in;
}

// Whichever LibTorch wrote a checkpoint, its optimizer state goes on as it was:
// LibTorch 2's own reader takes 1.x's hexadecimal names for decimal ones and
// loses the state.
TEST(FusedAdamAndAdadelta, ReadTheStateAsEitherLibTorchNamesItsParameters) {
  for (const int major : {1, 2}) {
    auto a = tiny_linear(), b = tiny_linear(), c = tiny_linear(), e = tiny_linear();
    FusedAdam adam_a(a->parameters(), torch::optim::AdamOptions(1e-2));
    Adadelta delta_c(c->parameters(), AdadeltaOptions(1.0).rho(0.95));
    update(a, adam_a);
    update(c, delta_c);
    FusedAdam adam_b(b->parameters(), torch::optim::AdamOptions(1e-2));
    Adadelta delta_e(e->parameters(), AdadeltaOptions(1.0).rho(0.95));
    for (auto [to, from] : {std::pair{b, a}, std::pair{e, c}}) {
      to->weight.data().copy_(from->weight.data());
      to->bias.data().copy_(from->bias.data());
    }
    auto adam_saved = saved_as_by(adam_a, major), delta_saved = saved_as_by(delta_c, major);
    adam_b.load(adam_saved);
    delta_e.load(delta_saved);
    update(a, adam_a);
    update(b, adam_b);
    update(c, delta_c);
    update(e, delta_e);
    EXPECT_TRUE(torch::equal(a->weight, b->weight)) << "Adam, as LibTorch " << major << " names them";
    EXPECT_TRUE(torch::equal(c->weight, e->weight)) << "Adadelta, as LibTorch " << major << " names them";
  }
}

}  // namespace
}  // namespace nmt::train
