#include "xcap/operations.hpp"

#include "xcap/xml_doc.hpp"

namespace ofs::xcap {
namespace {

const xmlChar* x(const std::string& s) { return reinterpret_cast<const xmlChar*>(s.c_str()); }

bool name_matches(const xmlNode* n, const name_test& t) {
  if (n->type != XML_ELEMENT_NODE) return false;
  if (t.any) return true;
  return name_of(n) == t.local && ns_of(n) == t.ns;
}

std::optional<std::string> attribute(xmlNode* n, const std::string& ns, const std::string& local) {
  xmlChar* v = ns.empty() ? xmlGetNoNsProp(n, x(local)) : xmlGetNsProp(n, x(local), x(ns));
  if (!v) return std::nullopt;
  std::string out(reinterpret_cast<char*>(v));
  xmlFree(v);
  return out;
}

bool attr_matches(xmlNode* n, const step& s) {
  if (!s.attr) return true;
  auto v = attribute(n, s.attr->ns, s.attr->local);
  return v && *v == s.attr->value;
}

// The children of parent that one step selects: the position-th of those whose name matches
// (XPath child::name[n]), then the attribute test.
std::vector<xmlNode*> apply_step(xmlNode* first_child, const step& s) {
  std::vector<xmlNode*> out;
  std::size_t seen = 0;
  for (xmlNode* c = first_child; c; c = c->next) {
    if (!name_matches(c, s.name)) continue;
    ++seen;
    if (s.position && seen != *s.position) continue;
    if (attr_matches(c, s)) out.push_back(c);
  }
  return out;
}

xmlNode* select_one(xmlDoc* doc, const std::vector<step>& steps) {
  auto found = select(doc, steps);
  return found.size() == 1 ? found.front() : nullptr;
}

op_result not_found(std::string why) {
  op_result r;
  r.status = 404;
  r.why = std::move(why);
  return r;
}

op_result refused(conflict_tag tag, std::string phrase) {
  op_result r;
  r.status = 409;
  r.error = conflict{tag, std::move(phrase)};
  return r;
}

std::string namespaces_of(xmlDoc* doc, xmlNode* n) {
  std::string out = "<" + std::string(name_of(n));
  if (xmlNs** list = xmlGetNsList(doc, n)) {
    for (xmlNs** p = list; *p; ++p) {
      out += (*p)->prefix ? " xmlns:" + std::string(reinterpret_cast<const char*>((*p)->prefix)) : " xmlns";
      out += "=\"" + escape_xml(reinterpret_cast<const char*>((*p)->href)) + "\"";
    }
    xmlFree(list);
  }
  return out + "/>";
}

op_result put_element(xmlDoc* doc, const node_selector& sel, std::string_view body) {
  const bool at_root = sel.steps.size() == 1;
  xmlNode* root = xmlDocGetRootElement(doc);
  xmlNode* parent = at_root ? nullptr : select_one(doc, parent_of(sel).steps);
  if (!at_root && !parent) {
    op_result r = refused(conflict_tag::no_parent, "the parent of the element does not exist");
    return r;
  }
  auto parsed = parse_fragment(parent ? parent : root, body);
  if (auto* c = std::get_if<conflict>(&parsed)) {
    op_result r;
    r.status = 409;
    r.error = std::move(*c);
    return r;
  }
  xmlNode* fresh = std::get<xmlNode*>(parsed);
  auto existing = select(doc, sel.steps);
  if (existing.size() > 1) {
    xmlFreeNode(fresh);
    return refused(conflict_tag::cannot_insert, "the node selector selects more than one element");
  }
  if (existing.size() == 1) {  // replace, keep the old one until the check passed
    xmlNode* old = existing.front();
    xmlReplaceNode(old, fresh);
    if (select_one(doc, sel.steps) == fresh) {
      xmlFreeNode(old);
      return {};
    }
    xmlReplaceNode(fresh, old);
    xmlFreeNode(fresh);
    return refused(conflict_tag::cannot_insert, "the element would not be selected by the request URI");
  }
  if (at_root) {
    xmlFreeNode(fresh);
    return refused(conflict_tag::cannot_insert, "a document has one root element; PUT the document instead");
  }
  // Insert: by position n, after the (n-1)th sibling of that name; else after the last element.
  const step& last = sel.steps.back();
  xmlNode* after = nullptr;
  std::size_t seen = 0;
  for (xmlNode* c = parent->children; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    if (!last.position)
      after = c;
    else if (name_matches(c, last.name) && ++seen < *last.position)
      after = c;
  }
  if (last.position && seen + 1 < *last.position) {
    xmlFreeNode(fresh);
    return refused(conflict_tag::cannot_insert, "there are fewer siblings than the position requires");
  }
  if (after)
    xmlAddNextSibling(after, fresh);
  else if (parent->children)
    xmlAddPrevSibling(parent->children, fresh);
  else
    xmlAddChild(parent, fresh);
  if (select_one(doc, sel.steps) == fresh) {
    op_result r;
    r.status = 201;
    return r;
  }
  xmlUnlinkNode(fresh);
  xmlFreeNode(fresh);
  return refused(conflict_tag::cannot_insert, "the element would not be selected by the request URI");
}

op_result put_attribute(xmlDoc* doc, const node_selector& sel, std::string_view body) {
  xmlNode* element = select_one(doc, sel.steps);
  if (!element) return refused(conflict_tag::no_parent, "the element of the attribute does not exist");
  auto value = decode_att_value(body);
  if (!value || !valid_utf8(*value))
    return refused(conflict_tag::not_xml_att_value, "not a valid attribute value");
  xmlNs* ns = nullptr;
  if (!sel.attr_ns.empty()) {
    ns = xmlSearchNsByHref(doc, element, x(sel.attr_ns));
    if (!ns) return refused(conflict_tag::cannot_insert, "the attribute's namespace is not declared there");
  }
  auto before = ns ? attribute(element, sel.attr_ns, sel.attr_local) : attribute(element, "", sel.attr_local);
  if (ns)
    xmlSetNsProp(element, ns, x(sel.attr_local), x(*value));
  else
    xmlSetProp(element, x(sel.attr_local), x(*value));
  if (select_one(doc, sel.steps) == element) {
    op_result r;
    r.status = before ? 200 : 201;
    return r;
  }
  if (before)
    xmlSetNsProp(element, ns, x(sel.attr_local), x(*before));
  else if (ns)
    xmlUnsetNsProp(element, ns, x(sel.attr_local));
  else
    xmlUnsetProp(element, x(sel.attr_local));
  return refused(conflict_tag::cannot_insert, "the element would no longer be selected by the request URI");
}

}  // namespace

std::vector<xmlNode*> select(xmlDoc* doc, const std::vector<step>& steps) {
  std::vector<xmlNode*> current;
  xmlNode* root = xmlDocGetRootElement(doc);
  if (!root || steps.empty()) return current;
  current = apply_step(root, steps.front());
  // apply_step walked the root's siblings too: only the root itself counts.
  std::erase_if(current, [root](xmlNode* n) { return n != root; });
  for (std::size_t i = 1; i < steps.size() && !current.empty(); ++i) {
    std::vector<xmlNode*> next;
    for (xmlNode* n : current) {
      auto found = apply_step(n->children, steps[i]);
      next.insert(next.end(), found.begin(), found.end());
    }
    current = std::move(next);
  }
  return current;
}

op_result get_node(xmlDoc* doc, const node_selector& sel) {
  auto found = select(doc, sel.steps);
  if (found.empty()) return not_found("no element matches the node selector");
  if (found.size() > 1) return not_found("the node selector matches more than one element");
  xmlNode* n = found.front();
  op_result r;
  switch (sel.what) {
    case node_selector::target::element:
      r.body = serialize(doc, n);
      r.content_type = element_mime;
      break;
    case node_selector::target::attribute: {
      auto v = attribute(n, sel.attr_ns, sel.attr_local);
      if (!v) return not_found("the element has no such attribute");
      r.body = escape_xml(*v);
      r.content_type = attribute_mime;
      break;
    }
    case node_selector::target::namespaces:
      r.body = namespaces_of(doc, n);
      r.content_type = namespaces_mime;
      break;
  }
  return r;
}

op_result put_node(xmlDoc* doc, const node_selector& sel, std::string_view body) {
  if (sel.what == node_selector::target::attribute) return put_attribute(doc, sel, body);
  return put_element(doc, sel, body);
}

op_result delete_node(xmlDoc* doc, const node_selector& sel) {
  auto found = select(doc, sel.steps);
  if (found.empty()) return not_found("no element matches the node selector");
  if (found.size() > 1) return not_found("the node selector matches more than one element");
  xmlNode* n = found.front();
  if (sel.what == node_selector::target::attribute) {
    xmlAttr* a = sel.attr_ns.empty() ? xmlHasNsProp(n, x(sel.attr_local), nullptr)
                                     : xmlHasNsProp(n, x(sel.attr_local), x(sel.attr_ns));
    if (!a) return not_found("the element has no such attribute");
    xmlRemoveProp(a);
    return {};
  }
  if (n == xmlDocGetRootElement(doc))
    return refused(conflict_tag::cannot_delete,
                   "the root element goes with its document: DELETE the document");
  // Keep the place, so that a refused delete can be undone exactly.
  xmlNode* parent = n->parent;
  xmlNode* next = n->next;
  xmlUnlinkNode(n);
  if (select(doc, sel.steps).empty()) {
    xmlFreeNode(n);
    return {};
  }
  if (next)
    xmlAddPrevSibling(next, n);
  else
    xmlAddChild(parent, n);
  return refused(conflict_tag::cannot_delete, "another element would then be selected by the request URI");
}

std::optional<std::string> decode_att_value(std::string_view text) {
  // Through the node selector's AttValue parser: the same references, the same refusals.
  std::string quoted = "*[@a=\"";
  for (char c : text) {
    if (c == '"')
      quoted += "&quot;";
    else
      quoted += c;
  }
  quoted += "\"]";
  auto parsed = parse_node_selector(quoted, {}, "");
  auto* s = std::get_if<node_selector>(&parsed);
  if (!s || s->steps.size() != 1 || !s->steps[0].attr) return std::nullopt;
  return s->steps[0].attr->value;
}

}  // namespace ofs::xcap
