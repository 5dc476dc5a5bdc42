#pragma once
// How every backend turns an archive_query into seq ranges and a fetched page into an
// archive_page, so that memory, SQLite and PostgreSQL page identically. Internal to storage.
#include <algorithm>
#include <string>
#include <string_view>

#include "server/storage/store.hpp"

namespace ofs::storage::detail {

struct archive_bounds {
  std::int64_t lo = 0, hi = INT64_MAX;  // the page's range, inclusive
  std::size_t limit = 1;                // rows to fetch: one more than max tells "complete"
};

inline archive_bounds bounds_of(const archive_query& q) {
  archive_bounds b{q.min_seq, q.max_seq, q.max + 1};
  if (q.after) b.lo = std::max(b.lo, *q.after == INT64_MAX ? INT64_MAX : *q.after + 1);
  if (q.before) b.hi = std::min(b.hi, *q.before == INT64_MIN ? INT64_MIN : *q.before - 1);
  return b;
}

// A statement template with {T} for the table (archive, muc_archive) and {K} for its owner's
// key (account_id, room_id): the users' and the rooms' archives share the statements.
inline std::string archive_statement(std::string_view t, std::string_view table, std::string_view key) {
  std::string out(t);
  for (auto [from, to] : {std::pair{std::string_view("{T}"), table}, std::pair{std::string_view("{K}"), key}})
    for (auto at = out.find(from); at != std::string::npos; at = out.find(from, at + to.size()))
      out.replace(at, from.size(), to);
  return out;
}

// rows as fetched (ascending, or descending when from_end), at most max + 1 of them.
inline void finish_page(const archive_query& q, std::vector<archived_message> rows, archive_page& page) {
  page.complete = rows.size() <= q.max;
  if (!page.complete) rows.resize(q.max);
  if (q.from_end) std::reverse(rows.begin(), rows.end());
  page.items = std::move(rows);
}

}  // namespace ofs::storage::detail
