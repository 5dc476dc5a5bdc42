#include "server/core/jid.hpp"

#include <stringprep.h>

#include <algorithm>
#include <vector>

namespace ofs::core {
namespace {

class jid_category_impl final : public boost::system::error_category {
public:
  const char* name() const noexcept override { return "jid"; }
  std::string message(int ev) const override {
    switch (static_cast<jid_error>(ev)) {
      case jid_error::empty: return "empty address";
      case jid_error::bad_node: return "invalid localpart";
      case jid_error::bad_domain: return "invalid domainpart";
      case jid_error::bad_resource: return "invalid resourcepart";
      case jid_error::too_long: return "address part longer than 1023 bytes";
    }
    return "unknown jid error";
  }
};

std::optional<std::string> prepare(std::string_view in, const Stringprep_profile* profile) {
  // Case folding can lengthen the text (U+00DF becomes "ss"), so grow the buffer if asked to.
  for (std::size_t size = in.size() * 3 + 16; size <= in.size() * 18 + 64; size *= 2) {
    std::vector<char> buf(size, '\0');
    std::copy(in.begin(), in.end(), buf.begin());
    int rc = stringprep(buf.data(), buf.size(), STRINGPREP_NO_UNASSIGNED, profile);
    if (rc == STRINGPREP_OK) return std::string(buf.data());
    if (rc != STRINGPREP_TOO_SMALL_BUFFER) return std::nullopt;
  }
  return std::nullopt;
}

bool has_nul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

bool is_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

bool is_ascii_control(char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }

// On ASCII text the three profiles (RFC 3491, RFC 3920 appendices A and B) reduce to case
// folding and a few prohibited characters: most addresses skip libidn and its allocations.
std::string ascii_fold(std::string_view in) {
  std::string out(in);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::optional<std::string> ascii_nodeprep(std::string_view in) {
  constexpr std::string_view prohibited = " \"&'/:<>@";  // C.1.1 and the eight of nodeprep
  for (char c : in)
    if (is_ascii_control(c) || prohibited.find(c) != std::string_view::npos) return std::nullopt;
  return ascii_fold(in);
}

std::optional<std::string> ascii_resourceprep(std::string_view in) {
  if (std::any_of(in.begin(), in.end(), is_ascii_control)) return std::nullopt;  // C.2.1
  return std::string(in);
}

bool valid_ip_literal(std::string_view d) {
  // "[" IPv6address "]": hex digits, colons and an optional dotted IPv4 tail.
  if (d.size() < 4 || d.front() != '[' || d.back() != ']') return false;
  auto inner = d.substr(1, d.size() - 2);
  return std::all_of(
             inner.begin(), inner.end(),
             [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.'; }) &&
         inner.find(':') != std::string_view::npos;
}

bool valid_dns_ascii(std::string_view d) {
  // After nameprep, ASCII characters are limited to the LDH rule (plus '_', which real
  // deployments use); labels are non-empty and at most 63 bytes.
  std::size_t label = 0;
  for (char c : d) {
    auto u = static_cast<unsigned char>(c);
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    if (u < 0x80 && !std::isalnum(u) && c != '-' && c != '_') return false;
    if (++label > 63) return false;
  }
  return label > 0;
}

}  // namespace

const boost::system::error_category& jid_category() {
  static const jid_category_impl instance;
  return instance;
}

std::optional<std::string> nodeprep(std::string_view in) {
  if (in.empty() || has_nul(in)) return std::nullopt;
  auto out = is_ascii(in) ? ascii_nodeprep(in) : prepare(in, stringprep_xmpp_nodeprep);
  if (!out || out->empty() || out->size() > jid::max_part_bytes) return std::nullopt;
  return out;
}

std::optional<std::string> resourceprep(std::string_view in) {
  if (in.empty() || has_nul(in)) return std::nullopt;
  auto out = is_ascii(in) ? ascii_resourceprep(in) : prepare(in, stringprep_xmpp_resourceprep);
  if (!out || out->empty() || out->size() > jid::max_part_bytes) return std::nullopt;
  return out;
}

std::optional<std::string> nameprep(std::string_view in) {
  if (!in.empty() && in.back() == '.') in.remove_suffix(1);  // RFC 7622 3.2: trailing dot
  if (in.empty() || has_nul(in) || in.size() > jid::max_part_bytes) return std::nullopt;
  if (in.front() == '[') {
    if (!valid_ip_literal(in)) return std::nullopt;
    std::string out(in);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
  }
  // Nameprep prohibits no ASCII character; the LDH check below does.
  auto out = is_ascii(in) ? std::optional(ascii_fold(in)) : prepare(in, stringprep_nameprep);
  if (!out || !valid_dns_ascii(*out) || out->size() > jid::max_part_bytes) return std::nullopt;
  return out;
}

jid::jid(std::string node, std::string domain, std::string resource)
    : node_(std::move(node)), domain_(std::move(domain)), resource_(std::move(resource)) {
  full_.reserve(node_.size() + domain_.size() + resource_.size() + 2);
  if (!node_.empty()) full_.append(node_).push_back('@');
  full_.append(domain_);
  if (!resource_.empty()) full_.append("/").append(resource_);
}

result<jid> jid::from_parts(std::string_view node, std::string_view domain, std::string_view resource) {
  if (node.size() > max_part_bytes || domain.size() > max_part_bytes + 1 || resource.size() > max_part_bytes)
    return jid_error::too_long;
  std::string n, r;
  if (!node.empty()) {
    auto p = nodeprep(node);
    if (!p) return jid_error::bad_node;
    n = std::move(*p);
  }
  auto d = nameprep(domain);
  if (!d) return jid_error::bad_domain;
  if (!resource.empty()) {
    auto p = resourceprep(resource);
    if (!p) return jid_error::bad_resource;
    r = std::move(*p);
  }
  return jid(std::move(n), std::move(*d), std::move(r));
}

result<jid> jid::parse(std::string_view text) {
  if (text.empty()) return jid_error::empty;
  // RFC 7622 3.1: the first '/' ends the domain; an '@' before it ends the node.
  std::string_view resource, rest = text;
  if (auto slash = text.find('/'); slash != std::string_view::npos) {
    resource = text.substr(slash + 1);
    rest = text.substr(0, slash);
    if (resource.empty()) return jid_error::bad_resource;
  }
  std::string_view node, domain = rest;
  if (auto at = rest.find('@'); at != std::string_view::npos) {
    node = rest.substr(0, at);
    domain = rest.substr(at + 1);
    if (node.empty()) return jid_error::bad_node;
  }
  if (domain.empty()) return jid_error::bad_domain;
  return from_parts(node, domain, resource);
}

jid jid::bare() const { return jid(node_, domain_, {}); }

jid jid::with_resource(std::string_view resource) const { return jid(node_, domain_, std::string(resource)); }

std::string jid::bare_str() const { return node_.empty() ? domain_ : node_ + '@' + domain_; }

}  // namespace ofs::core
