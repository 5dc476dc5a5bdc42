// Arbitrary text into core::jid::parse. A jid that parses must be a fixed point: parsing its
// str() (and building it from its parts) gives the same jid, and its bare form parses too.
// ASCII text must be prepared exactly as libidn prepares it (the fast paths skip libidn).

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "server/core/jid.hpp"
#include "tests/unit/core/libidn_reference.hpp"

namespace {

void require(bool ok, const char* what, const std::string& detail) {
  if (ok) return;
  std::fprintf(stderr, "%s: %s\n", what, detail.c_str());
  std::abort();
}

bool same(const ofs::core::jid& a, const ofs::core::jid& b) {
  return a == b && a.node() == b.node() && a.domain() == b.domain() && a.resource() == b.resource();
}

void check_ascii_profiles(std::string_view in) {
  const bool ascii = std::all_of(in.begin(), in.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u > 0 && u < 0x80;
  });
  if (!ascii || in.empty() || in.size() > ofs::core::jid::max_part_bytes) return;
  require(ofs::core::nodeprep(in) == ofs::test::libidn_prep(in, stringprep_xmpp_nodeprep),
          "nodeprep differs from libidn", std::string(in));
  require(ofs::core::resourceprep(in) == ofs::test::libidn_prep(in, stringprep_xmpp_resourceprep),
          "resourceprep differs from libidn", std::string(in));
  // nameprep also drops one trailing dot and applies the LDH rule: compare what it accepts.
  auto name = ofs::core::nameprep(in);
  auto undotted = in.back() == '.' ? in.substr(0, in.size() - 1) : in;
  require(!name || name == ofs::test::libidn_prep(undotted, stringprep_nameprep),
          "nameprep differs from libidn", std::string(in));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  check_ascii_profiles(in);
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
