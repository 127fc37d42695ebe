// Memory use of this process.
#pragma once

namespace nmt {

/// Peak resident memory of this process so far, in MB.
double peak_rss_mb();

}  // namespace nmt
