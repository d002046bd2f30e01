#pragma once
// Users of the console and the API: a role each, passwords kept only as argon2id hashes,
// every creation and change journaled in the same transaction as the change.

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/status.hpp"
#include "govern/hash_pool.hpp"
#include "storage/store.hpp"

namespace vigie::govern {

/// What a user may do (docs/api.md has the table of routes per role).
enum class Role {
  kOperator,    ///< sees and qualifies alerts
  kSupervisor,  ///< stops and resumes analysis, manages authorizations, unmasked evidence
  kAuditor,     ///< reads the journal and the statistics
  kAdmin,       ///< manages users
};

inline constexpr Role kAllRoles[] = {Role::kOperator, Role::kSupervisor, Role::kAuditor,
                                     Role::kAdmin};

/// "operator", "supervisor", "auditor", "admin".
std::string_view to_string(Role role);
/// Parses a role name; nullopt for anything else.
std::optional<Role> role_from_string(std::string_view name);

/// How much work a password hash costs. kInteractive is libsodium's interactive limits
/// (argon2id, 64 MiB); kMinimal exists so tests that create many users stay fast.
enum class HashCost { kInteractive, kMinimal };

/// An argon2id hash in libsodium's self-describing string form ("$argon2id$v=19$...").
/// Unavailable when the machine lacks the memory the limits ask for.
Result<std::string> hash_password(std::string_view password,
                                  HashCost cost = HashCost::kInteractive);
/// True when `password` matches `hash` (any libsodium argon2 hash string).
bool verify_password(std::string_view password, const std::string& hash);

/// A change to a user; unset fields stay as they are.
struct UserChange {
  std::optional<Role> role;
  std::optional<std::string> password;
  std::optional<bool> disabled;
};

/// Users over the store. Thread-safe (the store serialises writes).
/// Names: 1 to 64 letters, digits, '.', '-' or '_'. Passwords: at least 8 characters.
/// Every password hash and check runs on the directory's HashPool: when it is busy, create,
/// update and authenticate answer Unavailable (retry shortly) instead of waiting long.
class UserDirectory {
 public:
  UserDirectory(storage::Store& store, const Clock& clock,
                HashCost cost = HashCost::kInteractive, HashPoolOptions pool = {});

  /// Creates a user, journaled "user.created" by `actor`. FailedPrecondition (409) when the
  /// name is taken; InvalidArgument for a bad name or a short password.
  Result<storage::UserRecord> create(const std::string& actor, const std::string& name,
                                     Role role, const std::string& password);
  /// Changes a user, journaled "user.updated" (the detail says what changed, never the
  /// password itself). NotFound when unknown.
  Result<storage::UserRecord> update(const std::string& actor, const std::string& name,
                                     const UserChange& change);
  /// Shorthand for update(actor, name, {.disabled = true}).
  Status disable(const std::string& actor, const std::string& name);

  /// Creates `name` as an admin when no user of that name exists (first start from
  /// configuration, or `vigie user add`); does nothing otherwise. Returns whether it created.
  Result<bool> ensure_admin(const std::string& name, const std::string& password);

  /// The user when the password matches and the account is enabled; otherwise
  /// InvalidArgument "wrong user name or password", whichever of the three it was (an unknown
  /// name costs the same time as a wrong password).
  [[nodiscard]] Result<storage::UserRecord> authenticate(const std::string& name,
                                                         const std::string& password) const;

  [[nodiscard]] Result<std::optional<storage::UserRecord>> find(const std::string& name) const;
  [[nodiscard]] Result<std::vector<storage::UserRecord>> list() const;

  /// Checks a user name's syntax.
  static bool valid_name(std::string_view name);

  /// The hashing pool's counters (for metrics and tests).
  [[nodiscard]] HashPoolStats hash_stats() const { return pool_->stats(); }

 private:
  Result<std::string> hash(const std::string& password) const;
  // Unavailable when the pool is busy; otherwise whether the password matches.
  Result<bool> verify(const std::string& password, const std::string& hash) const;

  storage::Store& store_;
  const Clock& clock_;
  HashCost cost_;
  std::string dummy_hash_;  // verified against when the name is unknown
  std::mutex mutex_;        // a name's check and its write happen as one
  std::unique_ptr<HashPool> pool_;
};

}  // namespace vigie::govern
