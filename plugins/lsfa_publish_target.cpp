#include "lsfa_publish_target.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include <cstring>

namespace lsfa_gst {
namespace {

// Writes all of `data` to `fd` (retrying short writes and EINTR). One write() call for the usual
// case: with O_APPEND the line lands whole at the end of the file, even with other writers.
bool write_all(int fd, const char *data, size_t size, std::string *error) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      *error = std::strerror(errno);
      return false;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// A file opened for appending, or stdout. Each line is written with one write() and nothing is
// buffered in the process: a reader (tail -f) sees every frame's line as soon as it is written.
class FdTarget : public PublishTarget {
 public:
  FdTarget(int fd, bool own, std::string name) : fd_(fd), own_(own), name_(std::move(name)) {}
  ~FdTarget() override {
    if (own_) ::close(fd_);
  }
  Status write(const std::string &line, std::string *message) override {
    const std::string data = line + "\n";
    std::string error;
    if (write_all(fd_, data.data(), data.size(), &error)) return Status::kOk;
    *message = "cannot write to " + name_ + ": " + error;
    return Status::kFailed;
  }

 private:
  int fd_;
  bool own_;
  std::string name_;
};

std::string error_text(GError *e) {
  std::string s = e ? e->message : "unknown error";
  if (e) g_error_free(e);
  return s;
}

std::string endpoint(const TargetConfig &c) {
  return c.host + ":" + std::to_string(c.port);
}

// The first address of `host` (a literal address, or a name resolved once at start).
GSocketAddress *resolve(const TargetConfig &c, std::string *error) {
  GError *e = nullptr;
  GResolver *resolver = g_resolver_get_default();
  GList *addresses = g_resolver_lookup_by_name(resolver, c.host.c_str(), nullptr, &e);
  g_object_unref(resolver);
  if (addresses == nullptr) {
    *error = "cannot resolve host '" + c.host + "': " + error_text(e);
    return nullptr;
  }
  GSocketAddress *a =
      g_inet_socket_address_new(G_INET_ADDRESS(addresses->data), static_cast<guint16>(c.port));
  g_resolver_free_addresses(addresses);
  return a;
}

// Keeps warnings from repeating: a message is passed on only when it differs from the last one
// passed since the last delivered line.
class WarnOnce {
 public:
  bool first(const std::string &m) {
    if (m == last_) return false;
    last_ = m;
    return true;
  }
  void delivered() { last_.clear(); }

 private:
  std::string last_;
};

// One datagram per line, sent to host:port. UDP gives no delivery guarantee: a send error (no
// route, an ICMP "port unreachable" reported on a later send) drops the line with a warning.
class UdpTarget : public PublishTarget {
 public:
  UdpTarget(GSocket *socket, GSocketAddress *address, std::string name)
      : socket_(socket), address_(address), name_(std::move(name)) {}
  ~UdpTarget() override {
    g_object_unref(socket_);
    g_object_unref(address_);
  }
  Status write(const std::string &line, std::string *message) override {
    const std::string data = line + "\n";
    GError *e = nullptr;
    const gssize n = g_socket_send_to(socket_, address_, data.data(), data.size(), nullptr, &e);
    if (n == static_cast<gssize>(data.size())) {
      warn_.delivered();
      return Status::kOk;
    }
    std::string m = "UDP send to " + name_ +
                    " failed: " + (n < 0 ? error_text(e) : std::string("short datagram"));
    if (warn_.first(m)) *message = m;
    return Status::kDropped;
  }

 private:
  GSocket *socket_;
  GSocketAddress *address_;
  std::string name_;
  WarnOnce warn_;
};

// A TCP connection to host:port. Sends block at most `timeout_s`; a failed or timed-out send
// closes the connection (a line cut short is never followed by more data on that connection). With
// a reconnect interval, lines are dropped while disconnected and a new connection is tried at the
// next line once the interval has passed; without one, a lost connection is a failure.
class TcpTarget : public PublishTarget {
 public:
  explicit TcpTarget(const TargetConfig &c) : config_(c), name_(endpoint(c)) {
    client_ = g_socket_client_new();
    g_socket_client_set_timeout(client_, c.timeout_s);
  }
  ~TcpTarget() override {
    disconnect();
    g_object_unref(client_);
  }
  // Tries to connect; false with `error` set when it failed.
  bool connect(std::string *error) {
    GError *e = nullptr;
    last_attempt_us_ = g_get_monotonic_time();
    connection_ = g_socket_client_connect_to_host(client_, config_.host.c_str(),
                                                  static_cast<guint16>(config_.port), nullptr, &e);
    if (connection_ == nullptr) {
      *error = "cannot connect to " + name_ + ": " + error_text(e);
      return false;
    }
    return true;
  }
  // A warning already given by whoever opened the target (not repeated for the same cause).
  void warned(const std::string &m) { warn_.first(m); }
  Status write(const std::string &line, std::string *message) override {
    std::string error;
    if (connection_ == nullptr) {
      // Lines are dropped while disconnected; a new attempt once the interval has passed.
      const gint64 wait_us = static_cast<gint64>(config_.reconnect_interval_s * 1e6);
      if (g_get_monotonic_time() - last_attempt_us_ < wait_us) return Status::kDropped;
      if (!connect(&error)) return dropped(error, message);
    }
    const std::string data = line + "\n";
    GSocket *socket = g_socket_connection_get_socket(connection_);
    const char *p = data.data();
    size_t left = data.size();
    while (left > 0) {
      GError *e = nullptr;
      const gssize n = g_socket_send(socket, p, left, nullptr, &e);
      if (n <= 0) {
        disconnect();
        error = "TCP send to " + name_ + " failed: " + (n < 0 ? error_text(e) : "closed");
        if (config_.reconnect_interval_s <= 0) {
          *message = error + " (reconnect-interval is 0)";
          return Status::kFailed;
        }
        return dropped(error + "; reconnecting", message);
      }
      p += n;
      left -= static_cast<size_t>(n);
    }
    warn_.delivered();
    return Status::kOk;
  }

 private:
  Status dropped(const std::string &m, std::string *message) {
    if (warn_.first(m)) *message = m;
    return Status::kDropped;
  }
  void disconnect() {
    if (connection_ == nullptr) return;
    g_io_stream_close(G_IO_STREAM(connection_), nullptr, nullptr);
    g_object_unref(connection_);
    connection_ = nullptr;
  }

  TargetConfig config_;
  std::string name_;
  GSocketClient *client_ = nullptr;
  GSocketConnection *connection_ = nullptr;
  gint64 last_attempt_us_ = 0;
  WarnOnce warn_;
};

}  // namespace

std::unique_ptr<PublishTarget> open_publish_target(const TargetConfig &c, std::string *error,
                                                   std::string *warning) {
  switch (c.kind) {
    case TargetKind::kFile: {
      if (c.location.empty()) {
        *error = "target=file needs the location property (the file to append the lines to)";
        return nullptr;
      }
      const int fd = g_open(c.location.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      if (fd < 0) {
        *error = "cannot open '" + c.location + "' for appending: " + std::strerror(errno);
        return nullptr;
      }
      return std::make_unique<FdTarget>(fd, true, "'" + c.location + "'");
    }
    case TargetKind::kStdout:
      return std::make_unique<FdTarget>(STDOUT_FILENO, false, "stdout");
    case TargetKind::kUdp: {
      if (c.port == 0 || c.port > 65535) {
        *error = "target=udp needs a port (1..65535)";
        return nullptr;
      }
      GSocketAddress *address = resolve(c, error);
      if (address == nullptr) return nullptr;
      GError *e = nullptr;
      GSocket *socket = g_socket_new(g_socket_address_get_family(address), G_SOCKET_TYPE_DATAGRAM,
                                     G_SOCKET_PROTOCOL_UDP, &e);
      if (socket == nullptr) {
        g_object_unref(address);
        *error = "cannot create a UDP socket: " + error_text(e);
        return nullptr;
      }
      g_socket_set_timeout(socket, c.timeout_s);
      return std::make_unique<UdpTarget>(socket, address, endpoint(c));
    }
    case TargetKind::kTcp: {
      if (c.port == 0 || c.port > 65535) {
        *error = "target=tcp needs a port (1..65535)";
        return nullptr;
      }
      auto tcp = std::make_unique<TcpTarget>(c);
      std::string why;
      if (!tcp->connect(&why)) {
        if (c.reconnect_interval_s <= 0) {
          *error = why + " (reconnect-interval is 0: no retry)";
          return nullptr;
        }
        tcp->warned(why);
        gchar *every = g_strdup_printf("%g", c.reconnect_interval_s);
        *warning = why + "; retrying every " + every + " s";
        g_free(every);
      }
      return tcp;
    }
  }
  *error = "unknown target";
  return nullptr;
}

}  // namespace lsfa_gst
