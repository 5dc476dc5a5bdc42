#include "server/ctl/commands.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "xcap/app_usage.hpp"
#include "xcap/http_auth.hpp"
#include "xcap/roster_document.hpp"
#include "xcap/xml_doc.hpp"

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

// XCAP's HTTP Digest needs H(user:realm:password), which the SCRAM keys cannot give.
boost::asio::awaitable<bool> store_digest(storage::store& db, core::jid account, std::string password) {
  auto put = db.put_private(account, std::string(xcap::digest_key), xcap::digest_secrets(account, password));
  auto done = co_await std::move(put);
  if (!done) storage_failure(done.error());
  co_return done.has_value();
}

// A document name from the store or a file name: relative, no "." or ".." part.
bool safe_name(const std::string& name) {
  if (name.empty() || name.front() == '/' || name.find('\\') != std::string::npos) return false;
  for (const auto& part : std::filesystem::path(name))
    if (part == "." || part == ".." || part.empty()) return false;
  return true;
}

}  // namespace

boost::asio::awaitable<int> xcap_export(const app::config& c, storage::store& db, std::string jid,
                                        std::string dir) {
  auto account = account_jid(c, jid);
  if (!account) co_return usage;
  auto docs = co_await db.list_xcap_documents(*account);
  if (!docs) co_return storage_failure(docs.error());
  auto roster = co_await db.load_roster(*account);
  if (!roster) co_return storage_failure(roster.error());
  docs->push_back({"resource-lists", c.xcap_roster_document, xcap::roster_to_document(*roster), {}});
  for (const auto& d : *docs) {
    if (!safe_name(d.auid) || !safe_name(d.name)) {
      std::cerr << "ofsctl: skipping document with an unsafe name " << d.auid << "/" << d.name << "\n";
      continue;
    }
    const auto path = std::filesystem::path(dir) / d.auid / d.name;
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (ec || !out || !(out << d.body) || !out.flush()) {
      std::cerr << "ofsctl: cannot write " << path.string() << "\n";
      co_return failed;
    }
  }
  std::cout << "exported " << docs->size() << " XCAP documents of " << account->str() << " to " << dir
            << "\n";
  co_return ok;
}

boost::asio::awaitable<int> xcap_import(const app::config& c, storage::store& db, std::string jid,
                                        std::string dir) {
  auto account = account_jid(c, jid);
  if (!account) co_return usage;
  std::error_code ec;
  std::vector<storage::xcap_document> docs;
  for (std::filesystem::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    const auto rel = std::filesystem::relative(it->path(), dir).generic_string();
    const auto slash = rel.find('/');
    if (slash == std::string::npos) continue;
    storage::xcap_document d{rel.substr(0, slash), rel.substr(slash + 1), {}, {}};
    const auto* usage = xcap::find_usage(d.auid);
    if (!usage || usage->global_only || !safe_name(d.name)) {
      std::cerr << "ofsctl: skipping " << rel << ": not a user document of a known application usage\n";
      continue;
    }
    if (d.auid == "resource-lists" && (d.name == c.xcap_roster_document || d.name == "oma_buddylist")) {
      std::cerr << "ofsctl: skipping " << rel << ": that list is the roster; PUT it over XCAP instead\n";
      continue;
    }
    std::ifstream in(it->path(), std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    d.body = text.str();
    auto parsed = xcap::parse_document(d.body);
    auto* error = std::get_if<xcap::conflict>(&parsed);
    auto invalid =
        error ? std::optional(*error) : xcap::check_document(*usage, std::get<xcap::doc_ptr>(parsed).get());
    if (invalid) {
      std::cerr << "ofsctl: " << rel << ": " << xcap::tag_name(invalid->tag) << ": " << invalid->phrase
                << "\n";
      co_return failed;
    }
    d.etag = "i" + std::to_string(std::hash<std::string>{}(d.body + rel + std::to_string(docs.size())));
    docs.push_back(std::move(d));
  }
  if (ec) {
    std::cerr << "ofsctl: cannot read " << dir << ": " << ec.message() << "\n";
    co_return failed;
  }
  for (auto& d : docs) {
    auto put_op = db.put_xcap_document(*account, d);  // named: GCC 12 (an aggregate argument)
    auto put = co_await std::move(put_op);
    if (!put) co_return storage_failure(put.error());
  }
  std::cout << "imported " << docs.size() << " XCAP documents of " << account->str() << " from " << dir
            << "\n";
  co_return ok;
}

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
  if (!co_await store_digest(db, *account, password)) co_return failed;
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
  if (!co_await store_digest(db, *account, password)) co_return failed;
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
