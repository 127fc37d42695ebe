#include "nmt/common/signals.h"

#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <thread>

namespace nmt {
namespace {

std::atomic<bool> g_stop{false};
std::atomic<int> g_signal{0};

void stop_for(int sig) {
  int none = 0;
  g_signal.compare_exchange_strong(none, sig);
  g_stop.store(true);
}

extern "C" void on_stop_signal(int sig) { stop_for(sig); }

}  // namespace

StopSignals::StopSignals() {
  g_stop.store(false);
  g_signal.store(0);
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sa.sa_flags = SA_RESETHAND;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old_int_);
  sigaction(SIGTERM, &sa, &old_term_);
}

StopSignals::~StopSignals() {
  sigaction(SIGINT, &old_int_, nullptr);
  sigaction(SIGTERM, &old_term_, nullptr);
}

void deliver_signals_to_own_thread() {
  sigset_t handled;
  sigemptyset(&handled);
  for (const int sig : kHandledSignals) sigaddset(&handled, sig);
  pthread_sigmask(SIG_BLOCK, &handled, nullptr);
  std::thread([handled] {
    pthread_sigmask(SIG_UNBLOCK, &handled, nullptr);
    for (;;) ::pause();
  }).detach();
}

bool stop_requested() { return g_stop.load(); }

void request_stop(int signal) { stop_for(signal); }

int stop_signal() { return g_signal.load(); }

int stop_exit_status() { return 128 + (stop_signal() != 0 ? stop_signal() : SIGINT); }

}  // namespace nmt
