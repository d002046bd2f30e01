#include "api/connections.hpp"

#include <httplib.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fcntl.h>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <type_traits>

namespace vigie::api {

// ---- registry ---------------------------------------------------------------------------

ConnectionRegistry::ConnectionRegistry(const ConnectionLimits& limits) : limits_(limits) {}

ConnectionRegistry::Ticket::Ticket(ConnectionRegistry& registry, std::string address)
    : registry_(registry), address_(std::move(address)) {}

ConnectionRegistry::Ticket::~Ticket() {
  registry_.release(address_, stream_);
}

void ConnectionRegistry::Ticket::become_stream() {
  if (stream_) return;
  stream_ = true;
  registry_.to_stream(address_);
}

std::unique_ptr<ConnectionRegistry::Ticket> ConnectionRegistry::admit(const std::string& address) {
  std::lock_guard lock(mutex_);
  int& mine = per_address_[address];
  if (connections_ >= limits_.max_connections || mine >= limits_.max_per_address) {
    if (mine == 0) per_address_.erase(address);
    ++refused_;
    return nullptr;
  }
  ++mine;
  ++connections_;
  return std::make_unique<Ticket>(*this, address);
}

void ConnectionRegistry::release(const std::string& address, bool stream) {
  std::lock_guard lock(mutex_);
  if (stream) {
    --streams_;
    return;
  }
  --connections_;
  auto it = per_address_.find(address);
  if (it != per_address_.end() && --it->second <= 0) per_address_.erase(it);
}

void ConnectionRegistry::to_stream(const std::string& address) {
  std::lock_guard lock(mutex_);
  --connections_;
  ++streams_;
  auto it = per_address_.find(address);
  if (it != per_address_.end() && --it->second <= 0) per_address_.erase(it);
}

int ConnectionRegistry::connections() const {
  std::lock_guard lock(mutex_);
  return connections_;
}

int ConnectionRegistry::connections_from(const std::string& address) const {
  std::lock_guard lock(mutex_);
  auto it = per_address_.find(address);
  return it == per_address_.end() ? 0 : it->second;
}

int ConnectionRegistry::streams() const {
  std::lock_guard lock(mutex_);
  return streams_;
}

std::uint64_t ConnectionRegistry::refused() const {
  std::lock_guard lock(mutex_);
  return refused_;
}

// ---- one connection -----------------------------------------------------------------------

namespace {

using Clock = std::chrono::steady_clock;

std::chrono::milliseconds ms(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
}

/// Numeric host and port of a socket's peer (or of its own end).
void endpoint(int fd, bool peer, std::string& ip, int& port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  auto* sa = reinterpret_cast<sockaddr*>(&addr);
  const int rc = peer ? getpeername(fd, sa, &len) : getsockname(fd, sa, &len);
  if (rc != 0) return;
  char host[NI_MAXHOST];
  char serv[NI_MAXSERV];
  if (getnameinfo(sa, len, host, sizeof host, serv, sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV) ==
      0) {
    ip = host;
    port = std::atoi(serv);
  }
}

/// A connection's socket, plain or TLS, read and written without ever blocking longer than
/// the current deadline (nor than the read or write timeout, nor than a server stop).
/// Non-blocking underneath: a TLS record trickled in byte by byte must not hold a read.
class Connection final : public httplib::Stream {
 public:
  Connection(int fd, SSL* ssl, const std::atomic<int>& server_socket, Clock::duration read_timeout,
             Clock::duration write_timeout)
      : fd_(fd),
        ssl_(ssl),
        server_socket_(server_socket),
        read_timeout_(read_timeout),
        write_timeout_(write_timeout) {}

  void set_deadline(std::optional<Clock::time_point> deadline) { deadline_ = deadline; }
  void set_ticket(ConnectionRegistry::Ticket* ticket) { ticket_ = ticket; }
  [[nodiscard]] ConnectionRegistry::Ticket* ticket() const { return ticket_; }
  [[nodiscard]] bool has_buffered() const {
    return buffer_pos_ < buffer_.size() || (ssl_ != nullptr && SSL_pending(ssl_) > 0);
  }

  /// Waits until the socket is ready for `events`, at most until `until`; false on timeout,
  /// error, a passed deadline or a stopping server.
  bool wait(short events, Clock::time_point until) const {
    if (deadline_) until = std::min(until, *deadline_);
    for (;;) {
      if (server_socket_.load() == INVALID_SOCKET) return false;
      const auto now = Clock::now();
      if (now >= until) return false;
      // Short slices, so that a stopping server is noticed soon.
      const auto slice = std::min<Clock::duration>(until - now, std::chrono::milliseconds(200));
      pollfd p{fd_, events, 0};
      const int rc = poll(
          &p, 1, static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(slice).count()));
      if (rc > 0) return (p.revents & (events | POLLHUP | POLLERR)) != 0;
      if (rc < 0 && errno != EINTR) return false;
    }
  }

  /// TLS: the handshake, within the current deadline.
  bool handshake() {
    for (;;) {
      ERR_clear_error();
      const int rc = SSL_accept(ssl_);
      if (rc == 1) return true;
      const int err = SSL_get_error(ssl_, rc);
      const auto until = Clock::now() + read_timeout_;
      if (err == SSL_ERROR_WANT_READ) {
        if (!wait(POLLIN, until)) return false;
      } else if (err == SSL_ERROR_WANT_WRITE) {
        if (!wait(POLLOUT, until)) return false;
      } else {
        return false;
      }
    }
  }

  bool is_readable() const override {
    return has_buffered() || wait(POLLIN, Clock::now() + read_timeout_);
  }
  bool is_writable() const override { return wait(POLLOUT, Clock::now() + write_timeout_); }

  ssize_t read(char* ptr, size_t size) override {
    if (buffer_pos_ < buffer_.size()) return take(ptr, size);
    const auto until = Clock::now() + read_timeout_;
    for (;;) {
      buffer_.resize(kBufferSize);
      buffer_pos_ = 0;
      ssize_t n = 0;
      short want = POLLIN;
      if (ssl_ != nullptr) {
        ERR_clear_error();
        const int rc = SSL_read(ssl_, buffer_.data(), static_cast<int>(buffer_.size()));
        if (rc > 0) {
          n = rc;
        } else {
          const int err = SSL_get_error(ssl_, rc);
          if (err == SSL_ERROR_WANT_WRITE) {
            want = POLLOUT;
          } else if (err != SSL_ERROR_WANT_READ) {
            buffer_.clear();
            return err == SSL_ERROR_ZERO_RETURN ? 0 : -1;
          }
        }
      } else {
        n = ::recv(fd_, buffer_.data(), buffer_.size(), 0);
        if (n == 0) {
          buffer_.clear();
          return 0;
        }
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
          buffer_.clear();
          return -1;
        }
      }
      if (n > 0) {
        buffer_.resize(static_cast<std::size_t>(n));
        return take(ptr, size);
      }
      buffer_.clear();
      if (!wait(want, until)) return -1;
    }
  }

  ssize_t write(const char* ptr, size_t size) override {
    const auto until = Clock::now() + write_timeout_;
    for (;;) {
      short want = POLLOUT;
      if (ssl_ != nullptr) {
        ERR_clear_error();
        const int rc = SSL_write(ssl_, ptr, static_cast<int>(std::min<size_t>(size, 1 << 30)));
        if (rc > 0) return rc;
        const int err = SSL_get_error(ssl_, rc);
        if (err == SSL_ERROR_WANT_READ) {
          want = POLLIN;
        } else if (err != SSL_ERROR_WANT_WRITE) {
          return -1;
        }
      } else {
        const ssize_t n = ::send(fd_, ptr, size, MSG_NOSIGNAL);
        if (n >= 0) return n;
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return -1;
      }
      if (!wait(want, until)) return -1;
    }
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    endpoint(fd_, true, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    endpoint(fd_, false, ip, port);
  }
  socket_t socket() const override { return fd_; }

 private:
  static constexpr std::size_t kBufferSize = 4096;

  ssize_t take(char* ptr, size_t size) {
    const size_t n = std::min(size, buffer_.size() - buffer_pos_);
    std::memcpy(ptr, buffer_.data() + buffer_pos_, n);
    buffer_pos_ += n;
    return static_cast<ssize_t>(n);
  }

  int fd_;
  SSL* ssl_;
  const std::atomic<int>& server_socket_;
  Clock::duration read_timeout_;
  Clock::duration write_timeout_;
  std::optional<Clock::time_point> deadline_;
  ConnectionRegistry::Ticket* ticket_ = nullptr;
  std::string buffer_;
  std::size_t buffer_pos_ = 0;
};

// The connection the calling thread serves, for the handlers' phase changes.
thread_local Connection* t_connection = nullptr;
thread_local const ConnectionLimits* t_limits = nullptr;

constexpr const char* kRefusal =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
    "Retry-After: 1\r\nConnection: close\r\nContent-Length: 90\r\n\r\n"
    R"({"error": {"code": "unavailable", "message": "too many connections: try again shortly"}})";

// What make_limited_server's servers add to httplib's interface.
class Backlog {
 public:
  virtual ~Backlog() = default;
  virtual void widen(int backlog) = 0;
};

template <class Base>
class LimitedServer final : public Base, public Backlog {
 public:
  void widen(int backlog) override {
    const int sock = this->svr_sock_.load();
    // listen() again on a listening socket only changes its queue's length.
    if (sock != INVALID_SOCKET) (void)::listen(sock, backlog);
  }

  template <class... Args>
  LimitedServer(const ConnectionLimits& limits, ConnectionRegistry& registry, Args&&... args)
      : Base(std::forward<Args>(args)...), limits_(limits), registry_(registry) {}

 private:
  bool process_and_close_socket(socket_t sock) override {
    serve(sock);
    ::shutdown(sock, SHUT_RDWR);
    ::close(sock);
    return true;
  }

  void serve(int sock) {
    const int flags = fcntl(sock, F_GETFL, 0);
    if (flags < 0 || fcntl(sock, F_SETFL, flags | O_NONBLOCK) < 0) return;
    std::string address;
    int port = 0;
    endpoint(sock, true, address, port);
    auto ticket = registry_.admit(address);
    SSL* ssl = nullptr;
    if constexpr (std::is_same_v<Base, httplib::SSLServer>) {
      // A refused TLS client is closed without an answer: answering would cost a handshake.
      if (!ticket) return;
      ssl = SSL_new(this->ssl_context());
      if (ssl == nullptr) return;
      SSL_set_fd(ssl, sock);
    }
    const auto read_timeout = std::chrono::seconds(this->read_timeout_sec_) +
                              std::chrono::microseconds(this->read_timeout_usec_);
    const auto write_timeout = std::chrono::seconds(this->write_timeout_sec_) +
                               std::chrono::microseconds(this->write_timeout_usec_);
    Connection conn(sock, ssl, this->svr_sock_, read_timeout, write_timeout);
    if (!ticket) {
      // Said without reading the request: the client is told why rather than reset.
      const std::string refusal = kRefusal;
      (void)conn.write(refusal.data(), refusal.size());
      // Closing with the request unread would reset the connection, and the client could
      // lose the answer: read what has arrived, without waiting for more.
      ::shutdown(sock, SHUT_WR);
      char sink[4096];
      for (int i = 0; i < 16 && ::recv(sock, sink, sizeof sink, 0) > 0; ++i) {
      }
      return;
    }
    conn.set_ticket(ticket.get());
    t_connection = &conn;
    t_limits = &limits_;
    const auto header_timeout = ms(limits_.header_timeout_s);
    bool alive = true;
    if (ssl != nullptr) {
      conn.set_deadline(Clock::now() + header_timeout);
      alive = conn.handshake();
    }
    std::size_t left = std::max<std::size_t>(1, this->keep_alive_max_count_);
    while (alive && left > 0) {
      // Idle until the next request's first byte, then its headers within their deadline.
      conn.set_deadline(std::nullopt);
      if (!conn.has_buffered() && !conn.wait(POLLIN, Clock::now() + ms(limits_.keep_alive_s))) {
        break;
      }
      conn.set_deadline(Clock::now() + header_timeout);
      bool closed = false;
      alive = this->process_request(conn, left == 1, closed, [](httplib::Request&) {}) && !closed &&
              !ticket->is_stream();
      --left;
    }
    t_connection = nullptr;
    t_limits = nullptr;
    if (ssl != nullptr) {
      conn.set_deadline(Clock::now() + std::chrono::milliseconds(200));
      (void)SSL_shutdown(ssl);
      SSL_free(ssl);
    }
  }

  ConnectionLimits limits_;
  ConnectionRegistry& registry_;
};

}  // namespace

std::unique_ptr<httplib::Server> make_limited_server(const ConnectionLimits& limits,
                                                     ConnectionRegistry& registry,
                                                     const std::string& cert,
                                                     const std::string& key) {
  std::unique_ptr<httplib::Server> server;
  if (cert.empty() && key.empty()) {
    server = std::make_unique<LimitedServer<httplib::Server>>(limits, registry);
  } else {
    server = std::make_unique<LimitedServer<httplib::SSLServer>>(limits, registry, cert.c_str(),
                                                                 key.c_str());
    if (!server->is_valid()) return nullptr;
  }
  const auto threads = static_cast<std::size_t>(std::max(1, limits.max_connections) +
                                                std::max(0, limits.max_streams) + 4);
  // httplib owns and deletes the queue it is given.
  server->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };  // NOLINT
  return server;
}

void widen_backlog(httplib::Server& server, int backlog) {
  if (auto* b = dynamic_cast<Backlog*>(&server)) b->widen(backlog);
}

void connection_headers_read(bool expects_body) {
  if (t_connection == nullptr || t_limits == nullptr) return;
  if (expects_body) {
    t_connection->set_deadline(Clock::now() + ms(t_limits->body_timeout_s));
  } else {
    t_connection->set_deadline(std::nullopt);
  }
}

void connection_request_read() {
  if (t_connection != nullptr) t_connection->set_deadline(std::nullopt);
}

void connection_became_stream() {
  if (t_connection != nullptr && t_connection->ticket() != nullptr) {
    t_connection->ticket()->become_stream();
  }
}

}  // namespace vigie::api
