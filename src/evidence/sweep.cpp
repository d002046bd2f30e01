#include "evidence/sweep.hpp"

#include <algorithm>

namespace vigie::evidence {
namespace fs = std::filesystem;

Result<SweepReport> remove_unlisted(const fs::path& root, const std::set<std::string>& listed) {
  SweepReport report;
  std::error_code ec;
  if (!fs::exists(root, ec)) return report;
  std::vector<fs::path> folders;
  for (auto it = fs::recursive_directory_iterator(root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::path& path = it->path();
    if (it->is_symlink(ec) || !it->is_directory(ec)) {
      const std::string relative = fs::relative(path, root, ec).generic_string();
      if (listed.contains(relative)) continue;
      std::error_code remove_ec;
      if (fs::remove(path, remove_ec)) {
        report.removed.push_back(relative);
      } else if (remove_ec) {
        report.failed.push_back(path.string() + ": " + remove_ec.message());
      }
    } else {
      folders.push_back(path);
    }
  }
  if (ec) return unavailable("cannot read " + root.string() + ": " + ec.message());
  // Deepest first, so a folder emptied by its children's removal goes too.
  std::sort(folders.begin(), folders.end(),
            [](const fs::path& a, const fs::path& b) { return a.string() > b.string(); });
  for (const fs::path& folder : folders) {
    std::error_code remove_ec;
    if (fs::is_empty(folder, remove_ec)) fs::remove(folder, remove_ec);
  }
  std::sort(report.removed.begin(), report.removed.end());
  return report;
}

}  // namespace vigie::evidence
