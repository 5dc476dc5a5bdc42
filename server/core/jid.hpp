#pragma once
// An XMPP address (RFC 7622): node@domain/resource, each part prepared with the stringprep
// profiles nodeprep, nameprep and resourceprep. A jid is always valid; parse() is the only
// way to build one from untrusted text.
#include <compare>
#include <optional>
#include <string>
#include <string_view>

#include "server/core/result.hpp"

namespace ofs::core {

enum class jid_error {
  empty = 1,
  bad_node,
  bad_domain,
  bad_resource,
  too_long,
};
const boost::system::error_category& jid_category();
inline error_code make_error_code(jid_error e) { return {static_cast<int>(e), jid_category()}; }

class jid {
public:
  jid() = default;  // the empty address, used before binding

  static result<jid> parse(std::string_view text);
  // Builds from parts, preparing each; an empty node or resource means none.
  static result<jid> from_parts(std::string_view node, std::string_view domain,
                                std::string_view resource = {});

  const std::string& node() const { return node_; }
  const std::string& domain() const { return domain_; }
  const std::string& resource() const { return resource_; }
  bool empty() const { return domain_.empty(); }
  bool is_bare() const { return resource_.empty(); }
  bool is_domain() const { return node_.empty() && resource_.empty(); }

  jid bare() const;
  jid with_resource(std::string_view resource) const;  // resource already prepared
  const std::string& str() const { return full_; }     // canonical text form
  std::string bare_str() const;

  friend bool operator==(const jid& a, const jid& b) { return a.full_ == b.full_; }
  friend auto operator<=>(const jid& a, const jid& b) { return a.full_ <=> b.full_; }

  static constexpr std::size_t max_part_bytes = 1023;

private:
  jid(std::string node, std::string domain, std::string resource);
  std::string node_, domain_, resource_, full_;
};

// Each returns the prepared form, or nullopt when the input is not allowed in that part.
std::optional<std::string> nodeprep(std::string_view in);
std::optional<std::string> nameprep(std::string_view in);
std::optional<std::string> resourceprep(std::string_view in);

}  // namespace ofs::core

template <>
struct boost::system::is_error_code_enum<ofs::core::jid_error> : std::true_type {};

template <>
struct std::hash<ofs::core::jid> {
  std::size_t operator()(const ofs::core::jid& j) const noexcept { return std::hash<std::string>{}(j.str()); }
};
