// A clean stop on SIGINT and SIGTERM: long-running work polls stop_requested()
// between units of work (a training update) and finishes what it started.
#pragma once

#include <csignal>

namespace nmt {

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

/// Asks for a stop, as SIGINT does.
void request_stop();

}  // namespace nmt
