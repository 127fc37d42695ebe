#include <gtest/gtest.h>

#include <cmath>

#include "nmt/train/early_stopping.h"
#include "nmt/train/lr_schedule.h"

namespace nmt::train {
namespace {

TEST(LrSchedule, ConstantIgnoresTheStep) {
  TrainingConfig c;
  c.lr = 5e-4;
  LrSchedule s(c);
  EXPECT_DOUBLE_EQ(s.lr(1), 5e-4);
  EXPECT_DOUBLE_EQ(s.lr(100000), 5e-4);
}

TEST(LrSchedule, InverseSqrtWarmsUpThenDecays) {
  TrainingConfig c;
  c.lr = 7e-4;
  c.schedule = Schedule::inverse_sqrt;
  c.warmup = 4000;
  LrSchedule s(c);
  EXPECT_DOUBLE_EQ(s.lr(1), 7e-4 / 4000);
  EXPECT_DOUBLE_EQ(s.lr(2000), 7e-4 / 2);
  EXPECT_DOUBLE_EQ(s.lr(4000), 7e-4);  // the peak
  EXPECT_DOUBLE_EQ(s.lr(16000), 7e-4 / 2);
  EXPECT_NEAR(s.lr(9000), 7e-4 * std::sqrt(4000.0 / 9000), 1e-18);
}

TEST(LrSchedule, PlateauDecaysAfterPatienceAndRespectsMinLr) {
  TrainingConfig c;
  c.lr = 1.0;
  c.schedule = Schedule::plateau;
  c.plateau_factor = 0.5;
  c.plateau_patience = 1;
  c.min_lr = 0.2;
  LrSchedule s(c);
  EXPECT_TRUE(s.on_validation(10.0, true));
  EXPECT_TRUE(s.on_validation(11.0, true));
  EXPECT_FALSE(s.on_validation(11.0, true));  // 1 bad validation: within patience
  EXPECT_DOUBLE_EQ(s.lr(5), 1.0);
  EXPECT_FALSE(s.on_validation(9.0, true));   // 2 bad: decay
  EXPECT_DOUBLE_EQ(s.lr(5), 0.5);
  EXPECT_FALSE(s.on_validation(9.0, true));
  EXPECT_FALSE(s.on_validation(9.0, true));
  EXPECT_FALSE(s.on_validation(9.0, true));
  EXPECT_FALSE(s.on_validation(9.0, true));
  EXPECT_DOUBLE_EQ(s.lr(5), 0.2);             // floor
  // Lower is better for a loss.
  LrSchedule loss(c);
  EXPECT_TRUE(loss.on_validation(3.0, false));
  EXPECT_TRUE(loss.on_validation(2.5, false));
  EXPECT_FALSE(loss.on_validation(2.7, false));
  // The state survives a checkpoint round trip.
  LrSchedule copy(c);
  copy.restore(s.state());
  EXPECT_DOUBLE_EQ(copy.lr(5), s.lr(5));
}

TEST(EarlyStopping, StopsAfterPatienceValidationsWithoutImprovement) {
  EarlyStoppingConfig c;
  c.metric = Metric::loss;
  c.patience = 2;
  EarlyStopping es(c);
  EXPECT_TRUE(es.observe(3.0));
  EXPECT_TRUE(es.observe(2.0));   // lower is better for a loss
  EXPECT_FALSE(es.observe(2.0));  // equal is no improvement
  EXPECT_FALSE(es.should_stop());
  EXPECT_TRUE(es.observe(1.5));   // an improvement starts the count again
  EXPECT_FALSE(es.observe(1.6));
  EXPECT_FALSE(es.should_stop());
  EXPECT_FALSE(es.observe(1.7));
  EXPECT_TRUE(es.should_stop());
  EXPECT_DOUBLE_EQ(es.tracker().state().best, 1.5);
  c.patience = 0;  // never stops
  EarlyStopping never(c);
  for (int i = 0; i < 5; ++i) never.observe(1.0);
  EXPECT_FALSE(never.should_stop());
}

}  // namespace
}  // namespace nmt::train
