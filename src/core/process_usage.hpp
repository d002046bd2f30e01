#pragma once
// This process's CPU time and memory, as the kernel counts them: for the node's system view
// and for benchmarks.

#include <cstdint>

namespace vigie {

struct ProcessUsage {
  double cpu_s = 0;                 ///< user and system time, every thread, since start
  std::int64_t resident_bytes = 0;  ///< now; 0 where /proc cannot be read
  std::int64_t peak_resident_bytes = 0;
};

ProcessUsage read_process_usage();

}  // namespace vigie
