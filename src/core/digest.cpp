#include "core/digest.hpp"

#include <array>
#include <fstream>
#include <memory>
#include <stdexcept>

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace vigie {
namespace {

using Digest = std::array<unsigned char, EVP_MAX_MD_SIZE>;

std::string to_hex(const Digest& digest, unsigned int size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(static_cast<std::size_t>(size) * 2);
  for (unsigned int i = 0; i < size; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0x0f];
  }
  return hex;
}

/// OpenSSL fails here only without memory or with a broken library: nothing a caller can
/// mend, and a wrong digest would silently break the journal's chain.
void require(int ok, const char* what) {
  if (ok != 1) throw std::runtime_error(std::string("OpenSSL: ") + what + " failed");
}

}  // namespace

std::string sha256_hex(std::string_view data) {
  Digest digest{};
  unsigned int size = 0;
  require(EVP_Digest(data.data(), data.size(), digest.data(), &size, EVP_sha256(), nullptr),
          "SHA-256");
  return to_hex(digest, size);
}

Result<std::string> sha256_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found("cannot read " + path.string());
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    return internal_error("cannot start a SHA-256 digest");
  }
  std::array<char, 1 << 16> buf{};
  while (in) {
    in.read(buf.data(), buf.size());
    const std::streamsize n = in.gcount();
    if (n > 0 && EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<std::size_t>(n)) != 1) {
      return internal_error("SHA-256 update failed");
    }
  }
  if (in.bad()) return data_loss("read error on " + path.string());
  Digest digest{};
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(ctx.get(), digest.data(), &size) != 1) {
    return internal_error("SHA-256 final failed");
  }
  return to_hex(digest, size);
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  Digest digest{};
  unsigned int size = 0;
  const unsigned char* ok =
      HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data(), &size);
  require(ok != nullptr ? 1 : 0, "HMAC-SHA-256");
  return to_hex(digest, size);
}

}  // namespace vigie
