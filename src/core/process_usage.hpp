#pragma once
// This process's CPU time and memory, as the kernel counts them: for the node's system view
// and for benchmarks.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vigie {

struct ProcessUsage {
  double cpu_s = 0;                 ///< user and system time, every thread, since start
  std::int64_t resident_bytes = 0;  ///< now; 0 where /proc cannot be read
  std::int64_t peak_resident_bytes = 0;
};

ProcessUsage read_process_usage();

/// Names the calling thread (at most 15 characters are kept), so that `top -H`, perf and
/// thread_cpu_by_name() tell the node's threads apart. Threads a named thread starts (a
/// library's pool) inherit its name, so their time counts with their creator's.
void name_this_thread(std::string_view name);

/// Raises the calling thread's nice value by `steps` above its own (Linux keeps one per
/// thread; at most 19): a background thread 10 steps nicer than the analysis threads yields
/// the CPU to them whenever both want it, and still runs at full speed on an idle machine.
/// Relative, so that it still yields when the whole process runs niced (`nice -n 10`, a
/// service's Nice=). Best effort: a refusal changes nothing. Returns the nice value now.
int make_this_thread_nicer(int steps);

/// CPU time of this process's live threads, summed per thread name.
struct ThreadGroupUsage {
  std::string name;
  double cpu_s = 0;
  int threads = 0;
};
/// Empty where /proc cannot be read. Threads that ended are not counted: compare two reads
/// of long-lived threads only.
std::vector<ThreadGroupUsage> thread_cpu_by_name();

}  // namespace vigie
