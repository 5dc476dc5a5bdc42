#include "server/ctl/commands.hpp"

#include <algorithm>
#include <iostream>

namespace ofs::ctl {
namespace {

// A bare JID on a domain this server serves, or an error printed to stderr.
std::optional<core::jid> account_jid(const app::config& c, const std::string& text) {
  auto j = core::jid::parse(text);
  if (!j || j->node().empty() || !j->is_bare()) {
    std::cerr << "ofsctl: '" << text << "' is not a bare JID like alice@" << c.domains.front() << "\n";
    return std::nullopt;
  }
  if (std::find(c.domains.begin(), c.domains.end(), j->domain()) == c.domains.end()) {
    std::cerr << "ofsctl: domain " << j->domain() << " is not served by this server (server.domains)\n";
    return std::nullopt;
  }
  return *j;
}

std::optional<std::vector<auth::scram_credentials>> credentials(const app::config& c,
                                                                const std::string& password) {
  auto prepared = auth::saslprep(password);
  if (!prepared || prepared->empty()) {
    std::cerr << "ofsctl: the password is empty or contains characters SASLprep forbids\n";
    return std::nullopt;
  }
  return std::vector<auth::scram_credentials>{
      auth::make_credentials(auth::scram_hash::sha1, *prepared, c.scram_iterations),
      auth::make_credentials(auth::scram_hash::sha256, *prepared, c.scram_iterations)};
}

int storage_failure(const error_code& ec) {
  std::cerr << "ofsctl: storage error: " << ec.message() << "\n";
  return failed;
}

}  // namespace

boost::asio::awaitable<int> delete_offline(const app::config& c, storage::store& db, std::string jid) {
  auto account = account_jid(c, jid);
  if (!account) co_return usage;
  auto stored = co_await db.load_offline(*account);
  if (!stored) co_return storage_failure(stored.error());
  if (!stored->empty()) {
    auto deleted = co_await db.delete_offline(*account, stored->back().id);
    if (!deleted) co_return storage_failure(deleted.error());
  }
  std::cout << "deleted " << stored->size() << " offline messages of " << account->str() << "\n";
  co_return ok;
}

boost::asio::awaitable<int> add_user(const app::config& c, storage::store& db, std::string jid,
                                     std::string password) {
  auto account = account_jid(c, jid);
  if (!account) co_return usage;
  auto creds = credentials(c, password);
  if (!creds) co_return usage;
  auto created = co_await db.create_account(*account, std::move(*creds));
  if (!created) co_return storage_failure(created.error());
  if (!*created) {
    std::cerr << "ofsctl: user " << account->str() << " already exists\n";
    co_return failed;
  }
  std::cout << "created user " << account->str() << "\n";
  co_return ok;
}

boost::asio::awaitable<int> set_password(const app::config& c, storage::store& db, std::string jid,
                                         std::string password) {
  auto account = account_jid(c, jid);
  if (!account) co_return usage;
  auto creds = credentials(c, password);
  if (!creds) co_return usage;
  auto changed = co_await db.set_credentials(*account, std::move(*creds));
  if (!changed) co_return storage_failure(changed.error());
  if (!*changed) {
    std::cerr << "ofsctl: no such user " << account->str() << "\n";
    co_return failed;
  }
  std::cout << "changed the password of " << account->str() << "\n";
  co_return ok;
}

boost::asio::awaitable<int> delete_user(const app::config& c, storage::store& db, std::string jid) {
  auto account = account_jid(c, jid);
  if (!account) co_return usage;
  auto removed = co_await db.remove_account(*account);
  if (!removed) co_return storage_failure(removed.error());
  if (!*removed) {
    std::cerr << "ofsctl: no such user " << account->str() << "\n";
    co_return failed;
  }
  std::cout << "deleted user " << account->str() << " with their roster, offline messages and private data\n";
  co_return ok;
}

boost::asio::awaitable<int> list_users(const app::config&, storage::store& db, std::string domain) {
  auto users = co_await db.list_accounts(domain);
  if (!users) co_return storage_failure(users.error());
  for (const auto& u : *users) std::cout << u.str() << "\n";
  co_return ok;
}

boost::asio::awaitable<int> check(const app::config& c, storage::store& db) {
  auto pong = co_await db.ping();
  if (!pong) co_return storage_failure(pong.error());
  auto users = co_await db.list_accounts("");
  if (!users) co_return storage_failure(users.error());
  std::cout << "configuration: " << (c.source.empty() ? std::string("built-in defaults") : c.source.string())
            << "\n"
            << "domains: ";
  for (const auto& d : c.domains) std::cout << d << (&d == &c.domains.back() ? "\n" : ", ");
  std::cout << "storage: reachable, " << users->size() << " account(s)\n"
            << "ok\n";
  co_return ok;
}

}  // namespace ofs::ctl
