#include "server/core/jid.hpp"

#include <gtest/gtest.h>

#include <cctype>

#include "tests/unit/core/libidn_reference.hpp"

using ofs::core::jid;

namespace {
std::string canonical(std::string_view text) {
  auto j = jid::parse(text);
  return j ? j->str() : "<invalid>";
}
}  // namespace

// RFC 7622 section 3.5: examples of valid JIDs.
TEST(jid, rfc7622_valid_examples) {
  EXPECT_EQ(canonical("juliet@example.com"), "juliet@example.com");
  EXPECT_EQ(canonical("juliet@example.com/foo"), "juliet@example.com/foo");
  EXPECT_EQ(canonical("juliet@example.com/foo bar"), "juliet@example.com/foo bar");
  EXPECT_EQ(canonical("juliet@example.com/foo@bar"), "juliet@example.com/foo@bar");
  EXPECT_EQ(canonical("foo\\20bar@example.com"), "foo\\20bar@example.com");
  EXPECT_EQ(canonical("fussball@example.com"), "fussball@example.com");
  EXPECT_EQ(canonical("fu\xC3\x9F"
                      "ball@example.com"),
            "fussball@example.com");                                             // nodeprep folds ß
  EXPECT_EQ(canonical("\xCF\x80@example.com"), "\xCF\x80@example.com");          // π
  EXPECT_EQ(canonical("\xCE\xA3@example.com/foo"), "\xCF\x83@example.com/foo");  // Σ -> σ
  EXPECT_EQ(canonical("\xCF\x83@example.com/foo"), "\xCF\x83@example.com/foo");
  EXPECT_EQ(canonical("king@example.com/\xE2\x99\x9A"), "king@example.com/\xE2\x99\x9A");
  EXPECT_EQ(canonical("example.com"), "example.com");
  EXPECT_EQ(canonical("example.com/foobar"), "example.com/foobar");
  EXPECT_EQ(canonical("a.example.com/b@example.net"), "a.example.com/b@example.net");
}

// RFC 7622 section 3.5: examples of invalid JIDs. (Example 18, a leading space in the
// resourcepart, was withdrawn by erratum 4560: it is valid, and checked as such below.)
TEST(jid, rfc7622_invalid_examples) {
  EXPECT_FALSE(jid::parse("\"juliet\"@example.com"));
  EXPECT_FALSE(jid::parse("foo bar@example.com"));
  EXPECT_FALSE(jid::parse("@example.com/"));
  EXPECT_FALSE(jid::parse("juliet@"));
  EXPECT_FALSE(jid::parse("/foobar"));
  EXPECT_EQ(canonical("juliet@example.com/ foo"), "juliet@example.com/ foo");
}

// OFS prepares addresses with the stringprep profiles (RFC 6122, as libidn implements them),
// which most deployed servers still use. Three RFC 7622 examples differ under stringprep:
// it maps compatibility characters where PRECIS refuses them, folds final sigma, allows symbols.
TEST(jid, stringprep_differs_from_precis_on_three_examples) {
  EXPECT_EQ(canonical("henry\xE2\x85\xA3@example.com"), "henryiv@example.com");  // ROMAN NUMERAL FOUR
  EXPECT_EQ(canonical("\xE2\x99\x9A@example.com"), "\xE2\x99\x9A@example.com");  // BLACK CHESS KING
  EXPECT_EQ(canonical("\xCF\x82@example.com/foo"), "\xCF\x83@example.com/foo");  // final sigma folds
}

TEST(jid, parts_and_bare) {
  auto j = jid::parse("Romeo@Example.NET/Orchard").value();
  EXPECT_EQ(j.node(), "romeo");
  EXPECT_EQ(j.domain(), "example.net");
  EXPECT_EQ(j.resource(), "Orchard");  // resourceprep does not fold case
  EXPECT_EQ(j.bare().str(), "romeo@example.net");
  EXPECT_EQ(j.bare_str(), "romeo@example.net");
  EXPECT_FALSE(j.is_bare());
  EXPECT_TRUE(j.bare().is_bare());
  EXPECT_TRUE(jid::parse("example.net").value().is_domain());
}

TEST(jid, domain_forms) {
  EXPECT_EQ(canonical("example.com."), "example.com");  // trailing dot is removed
  EXPECT_EQ(canonical("u@192.0.2.1"), "u@192.0.2.1");
  EXPECT_EQ(canonical("u@[2001:DB8::1]/r"), "u@[2001:db8::1]/r");
  EXPECT_FALSE(jid::parse("u@[2001:db8::1"));
  EXPECT_FALSE(jid::parse("u@exa mple.com"));
  EXPECT_FALSE(jid::parse("u@example..com"));
  EXPECT_FALSE(jid::parse("u@."));
}

TEST(jid, rejects_parts_over_1023_bytes) {
  std::string node(1023, 'a'), domain(1023, 'b');
  // A 1023-byte localpart is fine, one more byte is not.
  EXPECT_TRUE(jid::parse(node + "@example.com"));
  EXPECT_FALSE(jid::parse(node + "a@example.com"));
  EXPECT_TRUE(jid::parse("u@example.com/" + std::string(1023, 'r')));
  EXPECT_FALSE(jid::parse("u@example.com/" + std::string(1024, 'r')));
  EXPECT_FALSE(jid::parse("u@" + domain + "b"));
}

TEST(jid, rejects_invalid_utf8_and_nul) {
  EXPECT_FALSE(jid::parse("ab\xFF@example.com"));
  EXPECT_FALSE(jid::parse(std::string("a\0b@example.com", 15)));
  EXPECT_FALSE(jid::parse("u@example.com/\xC3"));
}

TEST(jid, equality_is_on_canonical_form) {
  EXPECT_EQ(jid::parse("ROMEO@example.net").value(), jid::parse("romeo@EXAMPLE.net").value());
  EXPECT_NE(jid::parse("romeo@example.net/a").value(), jid::parse("romeo@example.net/A").value());
}

// nodeprep, resourceprep and nameprep skip libidn for ASCII text: each of the 127 characters,
// alone and between letters of both cases, gives what libidn gives.
TEST(jid, ascii_fast_paths_match_libidn) {
  for (int c = 1; c < 0x80; ++c) {
    for (const std::string& text :
         {std::string(1, static_cast<char>(c)), "aB" + std::string(1, static_cast<char>(c)) + "Zy"}) {
      SCOPED_TRACE("character " + std::to_string(c));
      EXPECT_EQ(ofs::core::nodeprep(text), ofs::test::libidn_prep(text, stringprep_xmpp_nodeprep));
      EXPECT_EQ(ofs::core::resourceprep(text), ofs::test::libidn_prep(text, stringprep_xmpp_resourceprep));
      // nameprep also applies the LDH rule, so compare where that rule lets the text through.
      auto expected = ofs::test::libidn_prep(text, stringprep_nameprep);
      auto got = ofs::core::nameprep(text);
      if (got) {
        EXPECT_EQ(got, expected);
      }
      if (expected && std::isalnum(c)) {
        EXPECT_TRUE(got.has_value());
      }
    }
  }
}
