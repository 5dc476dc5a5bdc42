#pragma once
// The SQL migrations of sql/sqlite/ and sql/postgres/, embedded at build time (embed_sql.cmake)
// so that the programs run from any directory. Each list is sorted by version, starting at 1.
#include <span>
#include <string_view>

namespace ofs::schema {

struct migration {
  int version;            // NNNN of NNNN_name.sql
  std::string_view name;  // "initial"
  std::string_view sql;   // the file's text; several statements
};

std::span<const migration> sqlite_migrations();
std::span<const migration> postgres_migrations();

}  // namespace ofs::schema
