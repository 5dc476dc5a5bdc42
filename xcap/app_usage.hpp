#pragma once
// The XCAP application usages OFS serves (RFC 4825 section 5): their AUID, MIME type,
// default document namespace, XML schema (schema/xcap/, compiled once) and the uniqueness
// constraints their RFCs add. Immutable after start-up; shared by every request.
#include <libxml/tree.h>

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "xcap/errors.hpp"

namespace ofs::xcap {

struct app_usage {
  std::string_view auid;
  std::string_view mime;
  std::string_view default_ns;
  std::string_view schema_file;  // in schema/xcap/
  bool global_only = false;      // xcap-caps: one read-only global document
  std::optional<conflict> (*unique)(xmlDoc*) = nullptr;
};

std::span<const app_usage> all_usages();
const app_usage* find_usage(std::string_view auid);

// The schemas compiled from the embedded texts, once; then each validation uses its own
// context, so any thread may validate. Unknown or uncompilable schemas are a start-up error.
class schema_set {
public:
  static const schema_set& instance();
  // A problem with the schemas themselves (empty when they all compiled).
  const std::string& load_error() const { return error_; }
  // schema-validation-error naming the first problem, or nullopt when the document is valid.
  std::optional<conflict> validate(const app_usage& u, xmlDoc* doc) const;

private:
  schema_set();
  std::string error_;
};

// Schema, then uniqueness: the checks a document passes before it is stored.
std::optional<conflict> check_document(const app_usage& u, xmlDoc* doc);

}  // namespace ofs::xcap
