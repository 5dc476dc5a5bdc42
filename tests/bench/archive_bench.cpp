// ofs_archive_bench: the XEP-0313 archive queries of storage::store on a large archive.
// Loads N messages into one account's archive (straight SQL, in bulk), then times the
// store's own query_archive calls (page + count + index, as a MAM query runs them):
//   ofs_archive_bench <store URL> [rows=1000000] [repeats=50]
// e.g. sqlite:/tmp/a.db or postgresql://user@host/db (an empty database). Not a test.
#include <libpq-fe.h>
#include <sqlite3.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "server/storage/open_store.hpp"

namespace {
namespace asio = boost::asio;
namespace st = ofs::storage;
using clock_type = std::chrono::steady_clock;

constexpr std::int64_t base_seq = 1'700'000'000'000'000;  // 2023-11-14, then one message per second
constexpr int contacts = 10;

template <class T>
T run(asio::io_context& io, asio::awaitable<T> op) {
  auto f = asio::co_spawn(io, std::move(op), asio::use_future);
  io.restart();
  io.run();
  return f.get();
}

bool load_sqlite(const std::string& path, long rows) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) return false;
  sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db,
                     "INSERT INTO archive (account_id, seq, id, with_jid, with_resource, xml) "
                     "SELECT id, ?1, ?2, ?3, 'res', ?4 FROM accounts WHERE node = 'juliet'",
                     -1, &s, nullptr);
  for (long i = 0; i < rows; ++i) {
    const std::string id = "id" + std::to_string(i),
                      with = "c" + std::to_string(i % contacts) + "@bench.test";
    const std::string xml = "<message xmlns=\"jabber:client\" from=\"" + with +
                            "/res\" to=\"juliet@bench.test\" "
                            "type=\"chat\" id=\"m" +
                            std::to_string(i) + "\"><body>message number " + std::to_string(i) +
                            ", a line of ordinary chat of ordinary length</body></message>";
    sqlite3_bind_int64(s, 1, base_seq + i * 1'000'000);
    sqlite3_bind_text(s, 2, id.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 3, with.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 4, xml.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(s) != SQLITE_DONE) return false;
    sqlite3_reset(s);
  }
  sqlite3_finalize(s);
  bool ok = sqlite3_exec(db, "COMMIT; ANALYZE;", nullptr, nullptr, nullptr) == SQLITE_OK;
  sqlite3_close(db);
  return ok;
}

bool load_pg(const std::string& url, long rows) {
  PGconn* c = PQconnectdb(url.c_str());
  if (PQstatus(c) != CONNECTION_OK) return false;
  const std::string sql =
      "INSERT INTO archive (account_id, seq, id, with_jid, with_resource, xml) "
      "SELECT a.id, " +
      std::to_string(base_seq) + " + g * 1000000, 'id' || g, 'c' || (g % " + std::to_string(contacts) +
      ") || '@bench.test', 'res', "
      "'<message xmlns=\"jabber:client\" from=\"c' || (g % 10) || '@bench.test/res\" "
      "to=\"juliet@bench.test\" "
      "type=\"chat\" id=\"m' || g || '\"><body>message number ' || g || ', a line of ordinary chat of "
      "ordinary "
      "length</body></message>' FROM accounts a, generate_series(0::bigint, " +
      std::to_string(rows - 1) +
      ") g "
      "WHERE a.node = 'juliet'";
  PGresult* r = PQexec(c, sql.c_str());
  bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
  PQclear(r);
  if (ok) {  // its own statement: VACUUM refuses to run inside the INSERT's implicit transaction
    r = PQexec(c, "VACUUM ANALYZE archive");
    ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
  }
  if (!ok) std::fprintf(stderr, "%s", PQerrorMessage(c));
  PQfinish(c);
  return ok;
}

struct timing {
  double median_ms, p95_ms;
  std::size_t items;
};

timing measure(asio::io_context& io, st::store& db, const st::archive_query& q, int repeats) {
  std::vector<double> ms;
  std::size_t items = 0;
  const auto owner = ofs::core::jid::parse("juliet@bench.test").value();
  for (int i = 0; i < repeats; ++i) {
    const auto start = clock_type::now();
    auto page = run(io, db.query_archive(owner, q)).value();
    ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - start).count());
    items = page.items.size();
  }
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms[std::min(ms.size() - 1, ms.size() * 95 / 100)], items};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <store URL: sqlite:FILE or postgresql://...> [rows] [repeats]\n",
                 argv[0]);
    return 2;
  }
  const std::string url = argv[1];
  const long rows = argc > 2 ? std::stol(argv[2]) : 1'000'000;
  const int repeats = argc > 3 ? std::stoi(argv[3]) : 50;
  asio::io_context io;
  st::store_options options;
  options.url = url;
  auto opened = run(io, st::open_store(options));
  if (!opened.db) {
    std::fprintf(stderr, "%s\n", opened.error.c_str());
    return 1;
  }
  auto& db = *opened.db;
  for (auto name : {"juliet@bench.test", "romeo@bench.test"})
    (void)run(io, db.create_account(ofs::core::jid::parse(name).value(), {}));
  const auto load_start = clock_type::now();
  const bool loaded = url.starts_with("sqlite:") ? load_sqlite(url.substr(7), rows) : load_pg(url, rows);
  if (!loaded) {
    std::fprintf(stderr, "loading the archive failed\n");
    return 1;
  }
  std::printf("%s: %ld archived messages loaded in %.1f s\n",
              url.starts_with("sqlite:") ? "SQLite" : "PostgreSQL", rows,
              std::chrono::duration<double>(clock_type::now() - load_start).count());

  const std::int64_t middle = base_seq + rows / 2 * 1'000'000;
  std::vector<std::pair<std::string, st::archive_query>> cases;
  st::archive_query q;
  q.max = 50;
  q.from_end = true;
  cases.emplace_back("latest 50 (<before/>)", q);
  q.from_end = false;
  cases.emplace_back("oldest 50", q);
  q.after = middle;
  cases.emplace_back("50 after an id in the middle", q);
  q.after.reset();
  q.from_end = true;
  q.before = middle;
  cases.emplace_back("50 before an id in the middle", q);
  q.before.reset();
  q.with = "c3@bench.test";
  cases.emplace_back("latest 50 with one contact (1/10 of rows)", q);
  q.with.clear();
  q.from_end = false;
  q.min_seq = middle;
  q.max_seq = middle + 3600LL * 1'000'000;
  cases.emplace_back("start/end: one hour in the middle", q);

  std::printf("%-44s %10s %10s %6s\n", "query (page + count)", "median ms", "p95 ms", "items");
  for (const auto& [name, query] : cases) {
    auto t = measure(io, db, query, repeats);
    std::printf("%-44s %10.2f %10.2f %6zu\n", name.c_str(), t.median_ms, t.p95_ms, t.items);
  }
  // One more append, as the IM layer writes each message.
  std::vector<double> ms;
  const auto owner = ofs::core::jid::parse("juliet@bench.test").value();
  for (int i = 0; i < repeats; ++i) {
    st::archived_message m{base_seq + rows * 1'000'000LL + i, "new" + std::to_string(i), "c1@bench.test",
                           "res", "<message><body>new</body></message>"};
    const auto start = clock_type::now();
    (void)run(io, db.append_archive(owner, m)).value();
    ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  std::printf("%-44s %10.2f %10.2f\n", "append one message", ms[ms.size() / 2], ms[ms.size() * 95 / 100]);
  db.close(clock_type::now() + std::chrono::seconds(5));
  return 0;
}
