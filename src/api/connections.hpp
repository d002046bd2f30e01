#pragma once
// Connection handling under cpp-httplib's request parsing. httplib gives each connection a
// thread of a fixed pool for as long as the client keeps it open, with a per-read timeout
// but no deadline: clients sending one header line every few seconds could hold every thread
// and keep everyone else waiting. Here a request's headers must arrive within a deadline and
// its body within another; each client address may hold only so many connections and all
// clients together only so many more; live event streams are counted apart, with threads of
// their own, so they never take a request's place.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace httplib {
class Server;
}

namespace vigie::api {

/// The limits a server applies to its connections.
struct ConnectionLimits {
  double header_timeout_s = 10;  ///< a TLS handshake, or a request from its first byte to the
                                 ///< end of its headers
  double body_timeout_s = 30;    ///< from the end of the headers to the end of the body
  double keep_alive_s = 5;       ///< idle wait for the next request on an open connection
  int max_connections = 64;      ///< open connections at once, event streams not counted
  int max_per_address = 16;      ///< of which from one client address
  int max_streams = 32;          ///< event streams at once (each holds a thread)
};

/// Counts open connections per client address and in all, and event streams apart.
/// Thread-safe.
class ConnectionRegistry {
 public:
  explicit ConnectionRegistry(const ConnectionLimits& limits);

  /// One admitted connection; released when destroyed.
  class Ticket {
   public:
    Ticket(ConnectionRegistry& registry, std::string address);
    ~Ticket();
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    /// Counts the connection as an event stream from now on, leaving its place to requests.
    void become_stream();
    [[nodiscard]] bool is_stream() const { return stream_; }

   private:
    ConnectionRegistry& registry_;
    std::string address_;
    bool stream_ = false;
  };

  /// A ticket when `address` may open one more connection; nullptr when it holds
  /// max_per_address or all clients hold max_connections.
  std::unique_ptr<Ticket> admit(const std::string& address);

  /// Open connections now (event streams not counted), in all and from `address`.
  [[nodiscard]] int connections() const;
  [[nodiscard]] int connections_from(const std::string& address) const;
  /// Open event streams now.
  [[nodiscard]] int streams() const;
  /// Connections refused since start.
  [[nodiscard]] std::uint64_t refused() const;

 private:
  friend class Ticket;
  void release(const std::string& address, bool stream);
  void to_stream(const std::string& address);

  ConnectionLimits limits_;
  mutable std::mutex mutex_;
  std::map<std::string, int> per_address_;  // guarded by mutex_; connections, not streams
  int connections_ = 0;                     // guarded by mutex_
  int streams_ = 0;                         // guarded by mutex_
  std::uint64_t refused_ = 0;               // guarded by mutex_
};

/// An httplib server (plain, or TLS with `cert` and `key`) whose connections follow `limits`
/// and `registry`. Its pool has a thread for every connection and stream the limits allow and
/// a few more, so a connection never waits for a thread and refusals are immediate. nullptr
/// when the certificate or key cannot be used.
std::unique_ptr<httplib::Server> make_limited_server(const ConnectionLimits& limits,
                                                     ConnectionRegistry& registry,
                                                     const std::string& cert,
                                                     const std::string& key);

/// After binding a server from make_limited_server: lets the kernel hold up to `backlog`
/// connections not yet accepted (httplib asks for 5, so bursts of clients were reset).
void widen_backlog(httplib::Server& server, int backlog);

/// Called by the server's handlers on the thread serving the request: the request's headers
/// are read (its body, when `expects_body`, is to be read within the body deadline).
void connection_headers_read(bool expects_body);
/// The whole request is read: no deadline while the handler runs and the response is written.
void connection_request_read();
/// The request became an event stream: the connection is counted as one, and closes when the
/// stream ends.
void connection_became_stream();

}  // namespace vigie::api
