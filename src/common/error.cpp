#include "nmt/common/error.h"

#include <mutex>

namespace nmt {
namespace {

std::mutex g_hint_mutex;
std::string g_hint;  // the innermost FailureHint's

}  // namespace

FailureHint::FailureHint(std::string hint) {
  const std::lock_guard<std::mutex> hold(g_hint_mutex);
  previous_ = std::exchange(g_hint, std::move(hint));
}

FailureHint::~FailureHint() {
  const std::lock_guard<std::mutex> hold(g_hint_mutex);
  g_hint = std::move(previous_);
}

std::string current_failure_hint() {
  // try_lock: the terminate handler may run on a thread that holds it.
  std::unique_lock<std::mutex> hold(g_hint_mutex, std::try_to_lock);
  return hold.owns_lock() ? g_hint : std::string();
}

}  // namespace nmt
