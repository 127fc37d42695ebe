// A clean stop on SIGINT and SIGTERM: long-running work polls stop_requested()
// between units of work (a training update) and finishes what it started.
#pragma once

#include <array>
#include <csignal>

namespace nmt {

/// The signals nmt handles: a stop, or an end that leaves no temporary file.
inline constexpr std::array<int, 3> kHandledSignals = {SIGINT, SIGTERM, SIGHUP};

/// Blocks kHandledSignals in the calling thread, and so in every thread it
/// starts later, and starts one thread that only waits for them: their
/// handlers run there and never interrupt a computation. oneDNN's AVX-512 GEMM
/// kernels (2.7 and 3.6) keep data below the stack pointer, where a handler's
/// frame is written, and a Ctrl-C that landed in one corrupted the heap.
/// Call it in main before any thread of nmt's or of LibTorch's starts.
void deliver_signals_to_own_thread();

/// While it lives, the first SIGINT or SIGTERM sets stop_requested(); a second
/// one acts as the signal usually does (SA_RESETHAND), so a stuck run can
/// still be killed. Clears the flag when it is installed.
class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

/// True once a stop was asked for, by a signal or by request_stop().
bool stop_requested();

/// Asks for a stop, as `signal` would (another rank's, passed on).
void request_stop(int signal = SIGINT);

/// The signal that asked for the stop first; 0 before one did.
int stop_signal();

/// The exit status of a command that stopped when asked, as a shell reports a
/// process the signal ended: 128 + stop_signal() (130 for Ctrl-C, 143 for
/// SIGTERM). So `nmt train && nmt eval` does not go on after a Ctrl-C.
int stop_exit_status();

}  // namespace nmt
