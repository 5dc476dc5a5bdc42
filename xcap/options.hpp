#pragma once
// [xcap] settings of the XCAP endpoint.
#include <cstddef>
#include <string>
#include <vector>

namespace ofs::xcap {

struct options {
  std::string root = "/xcap-root";  // where the route table mounts XCAP
  // The resource-lists documents that are the roster: the configured name, and
  // "oma_buddylist" (OMA's name) recognised as the same document.
  std::vector<std::string> roster_documents{"buddies", "oma_buddylist"};
  std::size_t max_document_bytes = 256 * 1024;  // larger bodies: 413
  bool allow_plain_http_logins = false;         // Basic over plain HTTP from other hosts
  std::vector<std::string> domains;             // served domains: the Digest realms
};

}  // namespace ofs::xcap
