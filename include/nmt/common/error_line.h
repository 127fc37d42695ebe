// How nmt reports a failure on stderr: "nmt: error: " and one line, whatever
// the message holds (a path with a newline or an escape sequence is printed
// escaped). Used by main and by the few places that must end the process
// themselves (before main's handlers exist, or on a thread of their own).
#pragma once

#include <string_view>

namespace nmt {

void print_error_line(std::string_view message);

}  // namespace nmt
