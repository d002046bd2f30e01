#pragma once
// What a crash can leave in the evidence folder, and its removal at start: files no stored
// evidence record lists would otherwise never be deleted by retention, and some of them hold
// unmasked video.

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "core/status.hpp"

namespace vigie::evidence {

/// What remove_unlisted() did.
struct SweepReport {
  std::vector<std::string> removed;  ///< relative to the root, sorted
  std::vector<std::string> failed;   ///< "<path>: <why>", files that could not be removed
};

/// Removes from `root` every file that `listed` (paths relative to `root`, as evidence
/// records store them) does not name: the temporary files of a write a crash interrupted,
/// files renamed into place whose record was never committed, short-lived unmasked
/// renderings. Folders left empty go too. Call it before anything writes under `root`.
/// Unavailable when `root` cannot be read.
Result<SweepReport> remove_unlisted(const std::filesystem::path& root,
                                    const std::set<std::string>& listed);

}  // namespace vigie::evidence
