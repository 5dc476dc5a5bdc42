#include "server/storage/pg_connection.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <cstring>

namespace ofs::storage {
namespace asio = boost::asio;
using asio::posix::stream_descriptor;
using namespace asio::experimental::awaitable_operators;
constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

namespace {

std::string first_line(std::string_view s) {
  s = s.substr(0, s.find('\n'));
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.remove_suffix(1);
  return std::string(s);
}

// libpq says 'connection to server at "h", port 1 failed: Connection refused\n\tIs the...';
// keep the reason only, in lower case like the rest of our messages.
std::string connect_error(PGconn* c, std::string_view reason = {}) {
  std::string detail(reason);
  if (detail.empty()) {
    detail = first_line(c ? PQerrorMessage(c) : "out of memory");
    if (auto at = detail.find("failed: "); at != std::string::npos) detail.erase(0, at + 8);
    if (detail.starts_with("FATAL:  ")) detail.erase(0, 8);
    if (detail.size() > 1 && std::isupper(static_cast<unsigned char>(detail[0])) &&
        std::islower(static_cast<unsigned char>(detail[1])))
      detail[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(detail[0])));
  }
  const char* host = c ? PQhost(c) : nullptr;
  const char* port = c ? PQport(c) : nullptr;
  if (!host || !*host) return fmt::format("cannot connect to PostgreSQL: {}", detail);
  return fmt::format("cannot connect to PostgreSQL at {}:{}: {}", host, port && *port ? port : "5432",
                     detail);
}

// FATAL and PANIC end the session: the socket closes right after.
bool is_fatal(const PGresult* res) {
  const char* severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
  return severity && (std::strcmp(severity, "FATAL") == 0 || std::strcmp(severity, "PANIC") == 0);
}

void log_notice(void*, const char* message) { spdlog::debug("postgres: {}", first_line(message)); }

}  // namespace

std::string pg_rows::text(int row, int col) const {
  return std::string(PQgetvalue(res_.get(), row, col),
                     static_cast<std::size_t>(PQgetlength(res_.get(), row, col)));
}

std::int64_t pg_rows::int64(int row, int col) const {
  return std::strtoll(PQgetvalue(res_.get(), row, col), nullptr, 10);
}

std::string pg_rows::bytes(int row, int col) const {
  std::size_t n = 0;
  auto* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(res_.get(), row, col)), &n);
  if (!raw) return {};
  std::string out(reinterpret_cast<const char*>(raw), n);
  PQfreemem(raw);
  return out;
}

std::int64_t pg_rows::affected() const {
  return res_ ? std::strtoll(PQcmdTuples(res_.get()), nullptr, 10) : 0;
}

asio::awaitable<std::pair<std::unique_ptr<pg_connection>, std::string>> pg_connection::connect(
    std::string conninfo, std::chrono::milliseconds timeout) {
  using out_t = std::pair<std::unique_ptr<pg_connection>, std::string>;
  auto ex = co_await asio::this_coro::executor;
  // The URL expands in place of dbname; the keywords after it override it.
  const char* keys[] = {"dbname", "fallback_application_name", "client_encoding", nullptr};
  const char* values[] = {conninfo.c_str(), "ofs", "UTF8", nullptr};
  PGconn* raw = PQconnectStartParams(keys, values, 1);
  if (!raw) co_return out_t(nullptr, connect_error(nullptr));
  std::unique_ptr<pg_connection> c(new pg_connection(raw));
  PQsetNoticeProcessor(raw, log_notice, nullptr);  // not stderr

  asio::steady_timer deadline(ex);
  deadline.expires_after(timeout);
  auto status = PGRES_POLLING_WRITING;  // as libpq says to start
  while (status != PGRES_POLLING_OK) {
    if (status == PGRES_POLLING_FAILED || PQstatus(raw) == CONNECTION_BAD)
      co_return out_t(nullptr, connect_error(raw));
    // The socket may change between steps (next host, SSL fallback): wrap it afresh.
    int fd = ::dup(PQsocket(raw));
    if (fd < 0) co_return out_t(nullptr, connect_error(raw, std::strerror(errno)));
    stream_descriptor socket(ex, fd);
    auto ready = socket.async_wait(
        status == PGRES_POLLING_READING ? stream_descriptor::wait_read : stream_descriptor::wait_write,
        nothrow);
    auto expired = deadline.async_wait(nothrow);
    auto which = co_await (std::move(ready) || std::move(expired));
    if (which.index() == 1)
      co_return out_t(nullptr, connect_error(raw, fmt::format("no answer within {} ms", timeout.count())));
    status = PQconnectPoll(raw);
  }
  int fd = PQsetnonblocking(raw, 1) == 0 ? ::dup(PQsocket(raw)) : -1;
  if (fd < 0) co_return out_t(nullptr, connect_error(raw, "cannot make the socket non-blocking"));
  c->socket_.emplace(ex, fd);
  co_return out_t(std::move(c), std::string());
}

pg_connection::~pg_connection() {
  socket_.reset();  // our dup first; PQfinish closes libpq's own descriptor
  PQfinish(conn_);
}

void pg_connection::abort() {
  broken_ = true;
  boost::system::error_code ignored;
  if (socket_) socket_->cancel(ignored);
}

error_code pg_connection::lost(std::string_view what) {
  broken_ = true;
  if (auto why = first_line(PQerrorMessage(conn_)); !why.empty()) last_error_ = std::move(why);
  spdlog::warn("postgres: connection lost ({}): {}", what, last_error_);
  return storage_error::unavailable;
}

asio::awaitable<result<pg_rows>> pg_connection::run(const char* sql, std::vector<pg_param> params,
                                                    bool simple) {
  busy_ = true;
  auto out = co_await exchange(sql, std::move(params), simple);
  busy_ = false;
  co_return out;
}

asio::awaitable<result<pg_rows>> pg_connection::exchange(const char* sql, std::vector<pg_param> params,
                                                         bool simple) {
  if (broken() || !socket_) co_return lost("not connected");
  int sent;
  if (simple) {
    sent = PQsendQuery(conn_, sql);
  } else {
    std::vector<Oid> types;
    std::vector<const char*> values;
    std::vector<int> lengths, formats;
    for (const auto& p : params) {
      types.push_back(p.type);
      values.push_back(p.value.c_str());
      lengths.push_back(static_cast<int>(p.value.size()));
      formats.push_back(p.format);
    }
    sent = PQsendQueryParams(conn_, sql, static_cast<int>(params.size()), types.data(), values.data(),
                             lengths.data(), formats.data(), 0);
  }
  if (!sent) co_return lost("send");
  // Flush; while the socket is full the server may be writing to us, so read as well.
  for (int rc; (rc = PQflush(conn_)) != 0;) {
    if (rc < 0) co_return lost("flush");
    auto writable = socket_->async_wait(stream_descriptor::wait_write, nothrow);
    auto readable = socket_->async_wait(stream_descriptor::wait_read, nothrow);
    auto which = co_await (std::move(writable) || std::move(readable));
    if (which.index() == 1 && !PQconsumeInput(conn_)) co_return lost("read");
  }
  result<pg_rows> out = pg_rows();
  for (;;) {
    if (!PQconsumeInput(conn_)) co_return lost("read");
    while (PQisBusy(conn_)) {
      auto [ec] = co_await socket_->async_wait(stream_descriptor::wait_read, nothrow);
      if (ec) co_return lost(ec.message());  // cancelled: the reply's state is unknown
      if (!PQconsumeInput(conn_)) co_return lost("read");
    }
    PGresult* res = PQgetResult(conn_);
    if (!res) break;  // libpq wants every result read before the next query
    auto status = PQresultStatus(res);
    pg_rows rows(res);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
      if (out) out = std::move(rows);
    } else if (PQstatus(conn_) == CONNECTION_BAD || is_fatal(res)) {
      co_return lost("reply");  // e.g. the server shut down or an admin ended the session
    } else if (out) {           // keep the first error
      const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
      last_error_ = first_line(PQresultErrorMessage(res));
      spdlog::error("postgres: {} [{}] in \"{}\"", last_error_, state ? state : "?",
                    first_line(sql).substr(0, 80));
      out = storage_error::failed;
    }
  }
  if (out && broken()) out = lost("reply");
  co_return out;
}

}  // namespace ofs::storage
