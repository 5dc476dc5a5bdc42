#pragma once
// The commands of ofsctl, each a coroutine over the same store ofsd uses. Each prints what
// it did (or one error line) and returns the process exit code.
#include <boost/asio/awaitable.hpp>
#include <string>

#include "server/app/config.hpp"
#include "server/storage/store.hpp"

namespace ofs::ctl {

enum exit_code { ok = 0, failed = 1, usage = 2 };

boost::asio::awaitable<int> add_user(const app::config& c, storage::store& db, std::string jid,
                                     std::string password);
boost::asio::awaitable<int> set_password(const app::config& c, storage::store& db, std::string jid,
                                         std::string password);
boost::asio::awaitable<int> delete_user(const app::config& c, storage::store& db, std::string jid);
boost::asio::awaitable<int> list_users(const app::config& c, storage::store& db, std::string domain);
boost::asio::awaitable<int> delete_offline(const app::config& c, storage::store& db, std::string jid);
// A user's XCAP documents as files DIR/<auid>/<document>, the roster as its resource list;
// import checks each against its schema first and leaves the roster's list alone.
boost::asio::awaitable<int> xcap_export(const app::config& c, storage::store& db, std::string jid,
                                        std::string dir);
boost::asio::awaitable<int> xcap_import(const app::config& c, storage::store& db, std::string jid,
                                        std::string dir);
boost::asio::awaitable<int> check(const app::config& c, storage::store& db);

}  // namespace ofs::ctl
