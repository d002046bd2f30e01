#include "support/postgres_server.hpp"

#include <arpa/inet.h>
#include <glob.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <vector>

#include <pqxx/pqxx>

namespace vigie::test {
namespace {

/// The newest /usr/lib/postgresql/N/bin holding initdb; empty when none.
std::string find_bin() {
  glob_t g{};
  std::vector<std::string> found;
  if (::glob("/usr/lib/postgresql/*/bin/initdb", 0, nullptr, &g) == 0) {
    for (std::size_t i = 0; i < g.gl_pathc; ++i) found.emplace_back(g.gl_pathv[i]);
  }
  ::globfree(&g);
  if (found.empty()) return {};
  std::sort(found.begin(), found.end(), [](const std::string& a, const std::string& b) {
    const auto version = [](const std::string& p) {
      return std::atoi(p.c_str() + std::string("/usr/lib/postgresql/").size());
    };
    return version(a) < version(b);
  });
  const std::string& initdb = found.back();
  return initdb.substr(0, initdb.size() - std::string("/initdb").size());
}

/// A port nothing listens on now (the kernel's choice for port 0).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

std::string quote_sh(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace

PostgresServer::PostgresServer(bool durable) {
  bin_ = find_bin();
  if (bin_.empty()) {
    why_ = "no PostgreSQL server binaries under /usr/lib/postgresql (install postgresql)";
    return;
  }
  if (::geteuid() == 0) {
    for (const char* user : {"postgres", "nobody"}) {
      if (const passwd* pw = ::getpwnam(user)) {
        owner_ = user;
        std::error_code ec;
        std::filesystem::permissions(dir_.path(), std::filesystem::perms::owner_all,
                                     std::filesystem::perm_options::replace, ec);
        if (::chown(dir_.path().c_str(), pw->pw_uid, pw->pw_gid) != 0) {
          why_ = "cannot give " + dir_.path().string() + " to user " + user;
          return;
        }
        break;
      }
    }
    if (owner_.empty()) {
      why_ = "running as root and no unprivileged user (postgres, nobody) to run PostgreSQL";
      return;
    }
  }
  const auto data = dir_ / "data";
  const auto pwfile = dir_ / "pwfile";
  std::ofstream(pwfile) << kPassword << "\n";
  if (!owner_.empty()) {
    const passwd* pw = ::getpwnam(owner_.c_str());
    if (::chown(pwfile.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      why_ = "cannot give the password file to " + owner_;
      return;
    }
  }
  const auto init =
      run_command(as_owner(bin_ + "/initdb -D " + quote_sh(data.string()) + " -U " + kUser +
                           " --auth-local=trust --auth-host=scram-sha-256 --pwfile=" +
                           quote_sh(pwfile.string()) + " -E UTF8 --locale=C.UTF-8 --no-sync"));
  if (init.exit_code != 0) {
    why_ = "initdb failed: " + init.err + init.out;
    return;
  }
  // A port found free may be taken before the server binds it: try a few.
  for (int attempt = 0; attempt < 5 && port_ == 0; ++attempt) {
    const int port = free_port();
    const std::string options = "-p " + std::to_string(port) + " -k " +
                                quote_sh(dir_.path().string()) +
                                " -c listen_addresses=127.0.0.1 -c max_connections=100" +
                                (durable ? "" : " -c fsync=off -c full_page_writes=off");
    const auto start = run_command(as_owner(bin_ + "/pg_ctl -D " + quote_sh(data.string()) +
                                            " -l " + quote_sh((dir_ / "log").string()) +
                                            " -w -t 60 -o " + quote_sh(options) + " start"));
    if (start.exit_code == 0) {
      port_ = port;
    } else {
      std::ifstream log(dir_ / "log");
      why_ = "pg_ctl start failed: " + start.err + start.out +
             std::string(std::istreambuf_iterator<char>(log), {});
    }
  }
  if (port_ > 0) why_.clear();
}

PostgresServer::~PostgresServer() {
  if (port_ > 0) {
    (void)run_command(as_owner(bin_ + "/pg_ctl -D " + quote_sh((dir_ / "data").string()) +
                               " -m immediate -w -t 30 stop"));
  }
}

std::string PostgresServer::as_owner(const std::string& command) const {
  if (owner_.empty()) return command;
  return "runuser -u " + owner_ + " -- " + command;
}

std::string PostgresServer::url(const std::string& db, bool with_password) const {
  return std::string("postgresql://") + kUser +
         (with_password ? std::string(":") + kPassword : "") +
         "@127.0.0.1:" + std::to_string(port_) + "/" + db;
}

std::string PostgresServer::exec(const std::string& db, const std::string& sql) {
  try {
    pqxx::connection c("host=" + dir_.path().string() + " port=" + std::to_string(port_) +
                       " user=" + kUser + " dbname=" + db);
    pqxx::nontransaction n(c);
    n.exec(sql);
    return {};
  } catch (const std::exception& e) {
    return std::string(e.what()).empty() ? "error" : e.what();
  }
}

std::string PostgresServer::scalar(const std::string& db, const std::string& sql) {
  try {
    pqxx::connection c("host=" + dir_.path().string() + " port=" + std::to_string(port_) +
                       " user=" + kUser + " dbname=" + db);
    pqxx::nontransaction n(c);
    const auto r = n.exec(sql);
    if (r.empty() || r[0][0].is_null()) return {};
    return r[0][0].c_str();
  } catch (const std::exception&) {
    return {};
  }
}

std::string PostgresServer::create_database(const std::string& name) {
  if (!ok()) return why_;
  if (auto e = exec("postgres", "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); !e.empty()) {
    return e;
  }
  return exec("postgres", "CREATE DATABASE " + name);
}

PostgresServer& PostgresServer::shared() {
  static PostgresServer server;
  return server;
}

}  // namespace vigie::test
