// Arbitrary text into core::jid::parse. A jid that parses must be a fixed point: parsing its
// str() (and building it from its parts) gives the same jid, and its bare form parses too.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "server/core/jid.hpp"

namespace {

void require(bool ok, const char* what, const std::string& detail) {
  if (ok) return;
  std::fprintf(stderr, "%s: %s\n", what, detail.c_str());
  std::abort();
}

bool same(const ofs::core::jid& a, const ofs::core::jid& b) {
  return a == b && a.node() == b.node() && a.domain() == b.domain() && a.resource() == b.resource();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto j = ofs::core::jid::parse(in);
  if (!j) return 0;
  auto again = ofs::core::jid::parse(j->str());
  require(again.has_value(), "str() does not parse", j->str());
  require(same(*again, *j), "parse(str()) differs", j->str() + " -> " + again->str());
  auto parts = ofs::core::jid::from_parts(j->node(), j->domain(), j->resource());
  require(parts && same(*parts, *j), "from_parts(parts) differs", j->str());
  auto bare = ofs::core::jid::parse(j->bare_str());
  require(bare && same(*bare, j->bare()), "bare_str() does not give bare()", j->bare_str());
  return 0;
}
