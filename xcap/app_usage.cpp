#include "xcap/app_usage.hpp"

#include <libxml/xmlschemas.h>

#include <map>
#include <set>

#include "xcap/embedded_resources.hpp"
#include "xcap/xml_doc.hpp"

namespace ofs::xcap {
namespace {

constexpr std::string_view rl_ns = "urn:ietf:params:xml:ns:resource-lists";
constexpr std::string_view rls_ns = "urn:ietf:params:xml:ns:rls-services";

std::string attr_text(xmlNode* n, const char* name) {
  xmlChar* v = xmlGetNoNsProp(n, reinterpret_cast<const xmlChar*>(name));
  if (!v) return {};
  std::string out(reinterpret_cast<char*>(v));
  xmlFree(v);
  return out;
}

// RFC 4826 3.4.5: among the children of one element, list names, entry URIs, entry-ref refs
// and external anchors are each unique.
std::optional<conflict> check_siblings(xmlNode* parent, std::string path) {
  static const std::pair<const char*, const char*> keys[] = {
      {"list", "name"}, {"entry", "uri"}, {"entry-ref", "ref"}, {"external", "anchor"}};
  for (const auto& [element, attribute] : keys) {
    std::set<std::string> seen;
    for (xmlNode* c = parent->children; c; c = c->next) {
      if (c->type != XML_ELEMENT_NODE || ns_of(c) != rl_ns || name_of(c) != element) continue;
      if (!xmlHasProp(c, reinterpret_cast<const xmlChar*>(attribute))) continue;
      auto v = attr_text(c, attribute);
      if (seen.insert(v).second) continue;
      conflict e{conflict_tag::uniqueness_failure,
                 std::string(element) + " " + attribute + " '" + v + "' appears twice in one list"};
      e.exists.push_back({path + "/" + element + "/@" + attribute, {}});
      return e;
    }
  }
  for (xmlNode* c = parent->children; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE || ns_of(c) != rl_ns || name_of(c) != std::string_view("list")) continue;
    auto name = attr_text(c, "name");
    if (auto e = check_siblings(c, path + "/list[@name=\"" + escape_xml(name) + "\"]")) return e;
  }
  return std::nullopt;
}

std::optional<conflict> unique_resource_lists(xmlDoc* doc) {
  xmlNode* root = xmlDocGetRootElement(doc);
  return check_siblings(root, "resource-lists");
}

// RFC 4826 4.4.5: service URIs are unique within the document (we serve one document per
// user, so this is their scope too); <list> inside a service follows resource-lists' rules.
std::optional<conflict> unique_rls_services(xmlDoc* doc) {
  std::set<std::string> seen;
  for (xmlNode* s = xmlDocGetRootElement(doc)->children; s; s = s->next) {
    if (s->type != XML_ELEMENT_NODE || ns_of(s) != rls_ns || name_of(s) != std::string_view("service"))
      continue;
    auto uri = attr_text(s, "uri");
    if (!seen.insert(uri).second) {
      conflict e{conflict_tag::uniqueness_failure, "service uri '" + uri + "' appears twice"};
      e.exists.push_back({"rls-services/service/@uri", {uri + "-2"}});
      return e;
    }
    for (xmlNode* l = s->children; l; l = l->next)
      if (l->type == XML_ELEMENT_NODE && name_of(l) == std::string_view("list"))
        if (auto e = check_siblings(l, "rls-services/service[@uri=\"" + escape_xml(uri) + "\"]/list"))
          return e;
  }
  return std::nullopt;
}

constexpr app_usage usages[] = {
    {"resource-lists", "application/resource-lists+xml", rl_ns, "resource-lists.xsd", false,
     &unique_resource_lists},
    {"rls-services", "application/rls-services+xml", rls_ns, "rls-services.xsd", false, &unique_rls_services},
    {"pres-rules", "application/auth-policy+xml", "urn:ietf:params:xml:ns:common-policy", "pres-rules.xsd",
     false, nullptr},
    {"pidf-manipulation", "application/pidf+xml", "urn:ietf:params:xml:ns:pidf", "pidf.xsd", false, nullptr},
    {"xcap-caps", "application/xcap-caps+xml", "urn:ietf:params:xml:ns:xcap-caps", "xcap-caps.xsd", true,
     nullptr},
};

struct compiled {
  std::map<std::string_view, xmlSchemaPtr> by_file;
  compiled() = default;
  compiled(const compiled&) = delete;
  compiled& operator=(const compiled&) = delete;
  ~compiled() {
    for (auto& [file, schema] : by_file) xmlSchemaFree(schema);
  }
};
compiled& schemas() {
  static compiled c;
  return c;
}

void collect_error(void* ctx, xmlErrorPtr e) {
  auto* out = static_cast<std::string*>(ctx);
  if (!out->empty() || !e || !e->message) return;
  *out = e->message;
  while (!out->empty() && (out->back() == '\n' || out->back() == ' ')) out->pop_back();
  if (e->line > 0) *out = "line " + std::to_string(e->line) + ": " + *out;
}

}  // namespace

std::span<const app_usage> all_usages() { return usages; }

const app_usage* find_usage(std::string_view auid) {
  for (const auto& u : usages)
    if (u.auid == auid) return &u;
  return nullptr;
}

schema_set::schema_set() {
  init_libxml();
  for (const auto& u : usages) {
    auto text = embedded_resource(u.schema_file);
    if (!text) {
      error_ = "schema " + std::string(u.schema_file) + " is not embedded";
      return;
    }
    // The base URL makes relative schemaLocations resolve to names the entity loader knows.
    xmlSchemaParserCtxtPtr p = xmlSchemaNewMemParserCtxt(text->data(), static_cast<int>(text->size()));
    std::string why;
    xmlSchemaSetParserStructuredErrors(p, &collect_error, &why);
    xmlSchemaPtr s = xmlSchemaParse(p);
    xmlSchemaFreeParserCtxt(p);
    if (!s) {
      error_ = "schema " + std::string(u.schema_file) + " does not compile: " + why;
      return;
    }
    schemas().by_file[u.schema_file] = s;
  }
}

const schema_set& schema_set::instance() {
  static const schema_set set;
  return set;
}

std::optional<conflict> schema_set::validate(const app_usage& u, xmlDoc* doc) const {
  auto it = schemas().by_file.find(u.schema_file);
  if (it == schemas().by_file.end())
    return conflict{conflict_tag::schema_validation_error, "no schema for " + std::string(u.auid)};
  std::unique_ptr<xmlSchemaValidCtxt, decltype(&xmlSchemaFreeValidCtxt)> v(xmlSchemaNewValidCtxt(it->second),
                                                                           &xmlSchemaFreeValidCtxt);
  std::string why;
  xmlSchemaSetValidStructuredErrors(v.get(), &collect_error, &why);
  if (xmlSchemaValidateDoc(v.get(), doc) == 0) return std::nullopt;
  return conflict{conflict_tag::schema_validation_error,
                  why.empty() ? "the document does not match the schema" : why};
}

std::optional<conflict> check_document(const app_usage& u, xmlDoc* doc) {
  xmlNode* root = xmlDocGetRootElement(doc);
  if (!root) return conflict{conflict_tag::schema_validation_error, "no root element"};
  if (auto e = schema_set::instance().validate(u, doc)) return e;
  if (u.unique) return u.unique(doc);
  return std::nullopt;
}

}  // namespace ofs::xcap
