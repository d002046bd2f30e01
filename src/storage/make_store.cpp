// The store a node's configuration asks for.

#include <system_error>

#include "storage/store.hpp"

namespace vigie::storage {

Result<std::unique_ptr<Store>> make_store(const config::StorageConfig& config) {
  if (config.backend == config::StorageBackend::kPostgres) {
    PostgresOptions options;
    options.url = config.postgres_url;
    options.password_file = config.postgres_password_file;
    return open_postgres_store(options);
  }
  if (config.data_dir.empty()) return invalid_argument("storage.data_dir is empty");
  const std::filesystem::path dir(config.data_dir);
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) {
    std::filesystem::create_directories(dir, ec);
    if (ec)
      return unavailable("cannot create data directory " + dir.string() + ": " + ec.message());
    // Personal data lives here: nobody but the service's user reads it.
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
  } else if (!std::filesystem::is_directory(dir, ec)) {
    return invalid_argument("data directory " + dir.string() + " is not a directory");
  }
  return open_sqlite_store(dir / "vigie.db");
}

}  // namespace vigie::storage
