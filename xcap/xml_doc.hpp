#pragma once
// libxml2 documents for XCAP, parsed safely: no DTD (a document type declaration stops the
// parser, so no entity is ever declared or expanded), no network, no external file; the
// process-wide entity loader serves only our embedded schemas (schema_set) and refuses the
// rest. Documents are owned by one request at a time.
#include <libxml/tree.h>

#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "xcap/errors.hpp"

namespace ofs::xcap {

struct doc_deleter {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
using doc_ptr = std::unique_ptr<xmlDoc, doc_deleter>;

// Once per process, before any parse: libxml2's globals and the refusing entity loader.
void init_libxml();

bool valid_utf8(std::string_view s);

// A whole document: UTF-8, well-formed, one root element, no DTD.
std::variant<doc_ptr, conflict> parse_document(std::string_view body);
// The body of an element PUT, parsed in the context of `context` (its namespaces apply):
// exactly one element, optionally surrounded by whitespace. The node is not yet linked.
std::variant<xmlNode*, conflict> parse_fragment(xmlNode* context, std::string_view body);

std::string serialize(xmlDoc* doc);                 // with the XML declaration, UTF-8
std::string serialize(xmlDoc* doc, xmlNode* node);  // one element and its subtree

// Namespace URI of a node or attribute ("" for none), and names as std::string_view.
std::string_view ns_of(const xmlNode* n);
std::string_view name_of(const xmlNode* n);

}  // namespace ofs::xcap
