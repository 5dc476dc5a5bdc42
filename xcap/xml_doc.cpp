#include "xcap/xml_doc.hpp"

#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#include <map>
#include <mutex>

#include "xcap/embedded_resources.hpp"

namespace ofs::xcap {
namespace {

// The only loader libxml2 gets: our embedded schemas by name, nothing from disk or network.
xmlParserInputPtr refusing_loader(const char* url, const char*, xmlParserCtxtPtr ctxt) {
  if (url) {
    std::string_view name(url);
    if (auto slash = name.rfind('/'); slash != std::string_view::npos) name.remove_prefix(slash + 1);
    if (auto text = embedded_resource(name))
      return xmlNewStringInputStream(ctxt, reinterpret_cast<const xmlChar*>(text->data()));
  }
  return nullptr;
}

// A document type declaration stops the parse: no entity is ever declared, so none expands.
void stop_on_dtd(void* ctx, const xmlChar*, const xmlChar*, const xmlChar*) {
  auto* ctxt = static_cast<xmlParserCtxtPtr>(ctx);
  ctxt->_private = reinterpret_cast<void*>(1);
  xmlStopParser(ctxt);
}

constexpr int parse_options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;

std::string last_error_text(const xmlError* e, std::string_view fallback) {
  if (!e || !e->message) return std::string(fallback);
  std::string m = e->message;
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  return m;
}

}  // namespace

void init_libxml() {
  static std::once_flag once;
  std::call_once(once, [] {
    xmlInitParser();
    xmlSetExternalEntityLoader(refusing_loader);
  });
}

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : 99;
    if (n == 99 || i + n >= s.size()) return false;
    std::uint32_t cp = n == 0 ? c : n == 1 ? (c & 0x1F) : n == 2 ? (c & 0x0F) : (c & 0x07);
    for (std::size_t k = 1; k <= n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d >> 6) != 2) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += n + 1;
  }
  return true;
}

std::variant<doc_ptr, conflict> parse_document(std::string_view body) {
  init_libxml();
  if (!valid_utf8(body)) return conflict{conflict_tag::not_utf_8, "the document is not UTF-8"};
  std::unique_ptr<xmlParserCtxt, decltype(&xmlFreeParserCtxt)> ctxt(xmlNewParserCtxt(), &xmlFreeParserCtxt);
  if (!ctxt) return conflict{conflict_tag::not_well_formed, "out of memory"};
  ctxt->sax->internalSubset = stop_on_dtd;
  ctxt->sax->externalSubset = nullptr;
  doc_ptr doc(xmlCtxtReadMemory(ctxt.get(), body.data(), static_cast<int>(body.size()), nullptr, "UTF-8",
                                parse_options));
  if (ctxt->_private)
    return conflict{conflict_tag::not_well_formed, "document type declarations (DTD, entities) are refused"};
  if (!doc || !ctxt->wellFormed)
    return conflict{conflict_tag::not_well_formed,
                    last_error_text(xmlCtxtGetLastError(ctxt.get()), "not well-formed")};
  if (doc->intSubset || doc->extSubset || !xmlDocGetRootElement(doc.get()))
    return conflict{conflict_tag::not_well_formed, "document type declarations are refused"};
  return doc;
}

std::variant<xmlNode*, conflict> parse_fragment(xmlNode* context, std::string_view body) {
  init_libxml();
  if (!valid_utf8(body)) return conflict{conflict_tag::not_utf_8, "the body is not UTF-8"};
  if (body.find("<!DOCTYPE") != std::string_view::npos)
    return conflict{conflict_tag::not_xml_frag, "document type declarations are refused"};
  if (body.starts_with("<?xml"))  // a fragment has no XML declaration (RFC 4825 7.4)
    return conflict{conflict_tag::not_xml_frag, "an element body has no XML declaration"};
  xmlNode* list = nullptr;
  auto rc = xmlParseInNodeContext(context, body.data(), static_cast<int>(body.size()), parse_options, &list);
  if (rc != XML_ERR_OK) {
    if (list) xmlFreeNodeList(list);
    return conflict{conflict_tag::not_xml_frag, "the body is not a well-formed XML element"};
  }
  xmlNode* element = nullptr;
  bool ok = true;
  for (xmlNode* n = list; n; n = n->next) {
    if (n->type == XML_ELEMENT_NODE && !element)
      element = n;
    else if (!(n->type == XML_TEXT_NODE && xmlIsBlankNode(n)))
      ok = false;
  }
  if (!ok || !element) {
    if (list) xmlFreeNodeList(list);
    return conflict{conflict_tag::not_xml_frag, "the body must be exactly one XML element"};
  }
  xmlNode* rest = list == element ? element->next : list;
  xmlUnlinkNode(element);
  if (rest) xmlFreeNodeList(rest);
  return element;
}

std::string serialize(xmlDoc* doc) {
  xmlChar* mem = nullptr;
  int size = 0;
  xmlDocDumpMemoryEnc(doc, &mem, &size, "UTF-8");
  std::string out(reinterpret_cast<char*>(mem), static_cast<std::size_t>(size));
  xmlFree(mem);
  return out;
}

std::string serialize(xmlDoc* doc, xmlNode* node) {
  std::unique_ptr<xmlBuffer, decltype(&xmlBufferFree)> buf(xmlBufferCreate(), &xmlBufferFree);
  xmlNodeDump(buf.get(), doc, node, 0, 0);
  return std::string(reinterpret_cast<const char*>(xmlBufferContent(buf.get())),
                     static_cast<std::size_t>(xmlBufferLength(buf.get())));
}

std::string_view ns_of(const xmlNode* n) {
  return n->ns && n->ns->href ? std::string_view(reinterpret_cast<const char*>(n->ns->href))
                              : std::string_view();
}
std::string_view name_of(const xmlNode* n) { return reinterpret_cast<const char*>(n->name); }

}  // namespace ofs::xcap
