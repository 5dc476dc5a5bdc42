#include "server/storage/pg_store.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "schema/migrations.hpp"
#include "server/storage/convert.hpp"

namespace ofs::storage {
namespace asio = boost::asio;
using creds_t = std::vector<auth::scram_credentials>;
using status_t = std::pair<error_code, std::string>;

namespace {

// Held for the transaction of each migration step, so nodes starting together take turns.
constexpr std::int64_t migration_lock = 0x6f66735f6d6967;  // "ofs_mig"

// One migration step: nullopt when none is left, else its outcome. Ends its transaction.
asio::awaitable<std::optional<status_t>> migrate_step(pg_connection& c) {
  auto migrations = schema::postgres_migrations();
  const int latest = migrations.back().version;
  auto fail = [&](storage_error e, std::string_view what) {
    auto detail = c.last_error().empty() ? std::string("connection lost") : c.last_error();
    return std::optional(status_t(e, fmt::format("{}: {}", what, detail)));
  };
  auto v = co_await c.query("BEGIN");
  if (v) v = co_await c.query("SELECT pg_advisory_xact_lock($1)", migration_lock);
  if (v)
    v = co_await c.script(
        "CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, "
        "applied_at timestamptz NOT NULL DEFAULT now())");
  if (v) v = co_await c.query("SELECT coalesce(max(version), 0) FROM schema_version");
  if (!v) co_return fail(storage_error::unavailable, "cannot read the PostgreSQL schema version");
  const auto current = v->int64(0, 0);
  const schema::migration* next = nullptr;
  for (const auto& m : migrations)
    if (!next && m.version > current) next = &m;
  if (current > latest || !next) {
    if (!co_await c.query("ROLLBACK"))
      co_return fail(storage_error::unavailable, "cannot read the PostgreSQL schema version");
    if (current <= latest) co_return std::nullopt;
    co_return status_t(storage_error::bad_schema,
                       fmt::format("PostgreSQL database has schema version {}, newer than this program's {}",
                                   current, latest));
  }
  const std::string sql(next->sql);
  const auto what = fmt::format("cannot apply migration {:04}_{} to PostgreSQL", next->version, next->name);
  auto done = co_await c.script(sql.c_str());
  if (done) done = co_await c.query("INSERT INTO schema_version (version) VALUES ($1)", next->version);
  if (done) done = co_await c.query("COMMIT");
  if (!done) {
    auto failed = fail(storage_error::bad_schema, what);
    if (!c.broken()) (void)co_await c.query("ROLLBACK");
    co_return failed;
  }
  spdlog::info("postgres: applied migration {:04}_{}", next->version, next->name);
  co_return status_t();
}

asio::awaitable<status_t> migrate(pg_connection& c) {
  for (;;) {
    auto step = co_await migrate_step(c);
    if (!step) co_return status_t();
    if (step->first) co_return *step;
  }
}

task<void> insert_credentials(pg_connection& c, std::int64_t id, const creds_t& creds) {
  for (const auto& k : creds) {
    auto q = co_await c.query(
        "INSERT INTO scram_credentials (account_id, mechanism, salt, iterations, stored_key, server_key) "
        "VALUES ($1, $2, $3, $4, $5, $6)",
        id, detail::to_text(k.hash), bytea(k.salt), k.iterations, bytea(k.stored_key), bytea(k.server_key));
    if (!q) co_return detail::failure(q.error());
  }
  co_return result<void>();
}

task<bool> create_in(pg_connection& c, core::jid j, creds_t creds) {
  auto q = co_await c.query(
      "INSERT INTO accounts (node, domain) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING id", j.node(),
      j.domain());
  if (!q) co_return detail::failure(q.error());
  if (q->size() == 0) co_return false;
  if (auto r = co_await insert_credentials(c, q->int64(0, 0), creds); !r)
    co_return detail::failure(r.error());
  co_return true;
}

task<bool> set_credentials_in(pg_connection& c, core::jid j, creds_t creds) {
  auto q = co_await c.query("SELECT id FROM accounts WHERE domain = $1 AND node = $2 FOR NO KEY UPDATE",
                            j.domain(), j.node());
  if (!q) co_return detail::failure(q.error());
  if (q->size() == 0) co_return false;
  const auto id = q->int64(0, 0);
  if (auto d = co_await c.query("DELETE FROM scram_credentials WHERE account_id = $1", id); !d)
    co_return detail::failure(d.error());
  if (auto r = co_await insert_credentials(c, id, creds); !r) co_return detail::failure(r.error());
  co_return true;
}

task<bool> remove_in(pg_connection& c, core::jid j) {
  auto q = co_await c.query("DELETE FROM accounts WHERE domain = $1 AND node = $2", j.domain(), j.node());
  if (!q) co_return detail::failure(q.error());
  co_return q->affected() > 0;  // ON DELETE CASCADE removes the rest
}

task<std::optional<creds_t>> get_credentials_in(pg_connection& c, core::jid j) {
  auto q = co_await c.query(
      "SELECT c.mechanism, c.salt, c.iterations, c.stored_key, c.server_key FROM accounts a "
      "LEFT JOIN scram_credentials c ON c.account_id = a.id WHERE a.domain = $1 AND a.node = $2 "
      "ORDER BY c.mechanism",
      j.domain(), j.node());
  if (!q) co_return detail::failure(q.error());
  if (q->size() == 0) co_return std::optional<creds_t>();
  creds_t out;
  for (int i = 0; i < q->size(); ++i) {
    auto hash = detail::hash_from_text(q->text(i, 0));
    if (!hash) continue;  // the account has no credentials (NULL from the join)
    auth::scram_credentials k;
    k.hash = *hash;
    k.salt = q->bytes(i, 1);
    k.iterations = static_cast<std::uint32_t>(q->int64(i, 2));
    k.stored_key = q->bytes(i, 3);
    k.server_key = q->bytes(i, 4);
    out.push_back(std::move(k));
  }
  co_return std::optional(std::move(out));
}

task<std::vector<core::jid>> list_in(pg_connection& c, std::string domain) {
  auto q = co_await c.query(
      "SELECT node, domain FROM accounts WHERE $1::text = '' OR domain = $1 ORDER BY domain, node", domain);
  if (!q) co_return detail::failure(q.error());
  std::vector<core::jid> out;
  for (int i = 0; i < q->size(); ++i) {
    if (auto j = core::jid::from_parts(q->text(i, 0), q->text(i, 1)))
      out.push_back(std::move(*j));
    else
      spdlog::warn("postgres: skipping account with an invalid address {}@{}", q->text(i, 0), q->text(i, 1));
  }
  co_return out;
}

task<void> ping_in(pg_connection& c) {
  if (auto q = co_await c.query("SELECT 1"); !q) co_return detail::failure(q.error());
  co_return result<void>();
}

}  // namespace

pg_store::pg_store(std::string url, std::size_t pool_size, std::chrono::milliseconds timeout) {
  pool_.emplace(thread_.get_executor(), std::move(url), std::max<std::size_t>(pool_size, 1), timeout);
}

pg_store::~pg_store() {
  thread_.join();  // quick: every call has finished, or close() has failed it
  pool_.reset();   // the connections' sockets belong to thread_'s reactor: before it goes
}

void pg_store::close(std::chrono::steady_clock::time_point deadline) {
  if (calls_.wait_idle(deadline)) return;
  spdlog::warn("postgres: {} calls still running at shutdown: failing them", calls_.count());
  asio::post(thread_, [this] { pool_->close(); });
  calls_.wait_idle(std::chrono::steady_clock::now() + std::chrono::milliseconds(500));  // failing is quick
}

asio::awaitable<status_t> pg_store::start() {
  auto [lease, error] = co_await pool_->acquire_first();
  if (!lease)
    co_return status_t(storage_error::unavailable, error.empty() ? "cannot connect to PostgreSQL" : error);
  co_return co_await migrate(**lease);
}

asio::awaitable<opened_store> pg_store::open(std::string url, std::size_t pool_size,
                                             std::chrono::milliseconds timeout) {
  opened_store out;
  char* parse_error = nullptr;
  if (PQconninfoOption* options = PQconninfoParse(url.c_str(), &parse_error)) {
    PQconninfoFree(options);
  } else {
    std::string why = parse_error ? parse_error : "out of memory";
    PQfreemem(parse_error);
    out.code = storage_error::unavailable;
    out.error = fmt::format("invalid PostgreSQL URL: {}", why.substr(0, why.find('\n')));
    co_return out;
  }
  std::unique_ptr<pg_store> s(new pg_store(std::move(url), pool_size, timeout));
  auto work = s->start();
  auto [ec, error] = co_await asio::co_spawn(s->thread_, std::move(work), asio::use_awaitable);
  if (ec) {
    out.code = ec;
    out.error = std::move(error);
  } else {
    out.db = std::move(s);
  }
  co_return out;
}

task<bool> pg_store::create_account(core::jid account, creds_t creds) {
  auto work = in_transaction(&create_in, account.bare(), detail::unique_credentials(std::move(creds)));
  co_return co_await on_io_thread(std::move(work));
}

task<bool> pg_store::set_credentials(core::jid account, creds_t creds) {
  auto work =
      in_transaction(&set_credentials_in, account.bare(), detail::unique_credentials(std::move(creds)));
  co_return co_await on_io_thread(std::move(work));
}

task<bool> pg_store::remove_account(core::jid account) {
  auto work = with_connection(&remove_in, account.bare());
  co_return co_await on_io_thread(std::move(work));
}

task<std::optional<creds_t>> pg_store::get_credentials(core::jid account) {
  auto work = with_connection(&get_credentials_in, account.bare());
  co_return co_await on_io_thread(std::move(work));
}

task<std::vector<core::jid>> pg_store::list_accounts(std::string domain) {
  auto work = with_connection(&list_in, std::move(domain));
  co_return co_await on_io_thread(std::move(work));
}

task<void> pg_store::ping() {
  auto work = with_connection(&ping_in);
  co_return co_await on_io_thread(std::move(work));
}

}  // namespace ofs::storage
