#include "xcap/pres_rules.hpp"

#include <algorithm>
#include <functional>

#include "xcap/errors.hpp"
#include "xcap/xml_doc.hpp"

namespace ofs::xcap {
namespace {

constexpr std::string_view cp_ns = "urn:ietf:params:xml:ns:common-policy";
constexpr std::string_view pr_ns = "urn:ietf:params:xml:ns:pres-rules";

bool is(const xmlNode* n, std::string_view ns, std::string_view name) {
  return n && n->type == XML_ELEMENT_NODE && ns_of(n) == ns && name_of(n) == name;
}

xmlNode* child(xmlNode* parent, std::string_view ns, std::string_view name) {
  for (xmlNode* c = parent ? parent->children : nullptr; c; c = c->next)
    if (is(c, ns, name)) return c;
  return nullptr;
}

std::string attr(xmlNode* n, const char* name) {
  xmlChar* v = xmlGetNoNsProp(n, reinterpret_cast<const xmlChar*>(name));
  std::string out = v ? reinterpret_cast<char*>(v) : "";
  xmlFree(v);
  return out;
}

std::string trimmed_text(xmlNode* n) {
  xmlChar* t = xmlNodeGetContent(n);
  std::string out = t ? reinterpret_cast<char*>(t) : "";
  xmlFree(t);
  auto b = out.find_first_not_of(" \t\r\n"), e = out.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? "" : out.substr(b, e - b + 1);
}

std::string rule_text(const std::vector<core::jid>& blocked) {
  std::string out = "<cr:rule xmlns:cr=\"" + std::string(cp_ns) + "\" id=\"" +
                    std::string(blocklist_rule_id) + "\"><cr:conditions><cr:identity>";
  for (const auto& j : blocked)
    out += j.node().empty() && j.resource().empty() ? "<cr:many domain=\"" + escape_xml(j.domain()) + "\"/>"
                                                    : "<cr:one id=\"xmpp:" + escape_xml(j.str()) + "\"/>";
  out += "</cr:identity></cr:conditions><cr:actions><pr:sub-handling xmlns:pr=\"" + std::string(pr_ns) +
         "\">block</pr:sub-handling></cr:actions></cr:rule>";
  return out;
}

}  // namespace

std::string with_block_rule(std::string_view stored, const std::vector<core::jid>& blocked) {
  const std::string empty =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<cr:ruleset xmlns:cr=\"" + std::string(cp_ns) + "\"/>\n";
  auto parsed = parse_document(stored.empty() ? std::string_view(empty) : stored);
  if (!std::holds_alternative<doc_ptr>(parsed)) return std::string(stored);
  xmlDoc* doc = std::get<doc_ptr>(parsed).get();
  xmlNode* root = xmlDocGetRootElement(doc);
  for (xmlNode* r = root->children; r;) {
    xmlNode* next = r->next;
    if (is(r, cp_ns, "rule") && attr(r, "id") == blocklist_rule_id) {
      xmlUnlinkNode(r);
      xmlFreeNode(r);
    }
    r = next;
  }
  // Only what the user's own rules do not already block: removing such a rule then unblocks.
  const auto covered = effect_of(doc).blocked;
  std::vector<core::jid> rest;
  for (const auto& j : blocked)
    if (!std::binary_search(covered.begin(), covered.end(), j)) rest.push_back(j);
  if (!rest.empty()) {
    auto rule = parse_fragment(root, rule_text(rest));
    if (auto** n = std::get_if<xmlNode*>(&rule)) xmlAddChild(root, *n);
  }
  return serialize(doc);
}

rules_effect effect_of(xmlDoc* doc) {
  rules_effect out;
  xmlNode* root = xmlDocGetRootElement(doc);
  for (xmlNode* r = root ? root->children : nullptr; r; r = r->next) {
    if (!is(r, cp_ns, "rule")) continue;
    const std::string handling = trimmed_text(child(child(r, cp_ns, "actions"), pr_ns, "sub-handling"));
    const bool block = handling == "block" || handling == "polite-block";
    if (!block && handling != "allow") continue;
    xmlNode* identity = child(child(r, cp_ns, "conditions"), cp_ns, "identity");
    for (xmlNode* id = identity ? identity->children : nullptr; id; id = id->next) {
      if (is(id, cp_ns, "one")) {
        std::string uri = attr(id, "id");
        std::string_view address = uri;
        if (address.starts_with("xmpp:")) address.remove_prefix(5);
        auto j = core::jid::parse(address);
        if (!j) continue;  // a SIP or tel URI: no XMPP meaning
        (block ? out.blocked : out.allowed).push_back(block ? *j : j->bare());
      } else if (block && is(id, cp_ns, "many") && !child(id, cp_ns, "except")) {
        // A whole domain; "many" without a domain would block everyone: no block list item.
        auto j = core::jid::parse(attr(id, "domain"));
        if (j && j->is_domain()) out.blocked.push_back(*j);
      }
    }
  }
  std::sort(out.blocked.begin(), out.blocked.end());
  out.blocked.erase(std::unique(out.blocked.begin(), out.blocked.end()), out.blocked.end());
  return out;
}

namespace {

std::optional<core::jid> xmpp_identity(std::string uri) {
  std::string_view address = uri;
  if (address.starts_with("xmpp:")) address.remove_prefix(5);
  auto j = core::jid::parse(address);
  if (!j) return std::nullopt;
  return j->bare();
}

void add_identities(web_viewers& out, xmlNode* identity) {
  for (xmlNode* id = identity->children; id; id = id->next) {
    if (is(id, cp_ns, "one")) {
      if (auto j = xmpp_identity(attr(id, "id"))) out.allowed.push_back(*j);
    } else if (is(id, cp_ns, "many")) {
      const std::string domain = attr(id, "domain");
      if (domain.empty()) {
        out.any_authenticated = true;
        continue;
      }
      web_viewers::domain_rule rule{domain, {}};
      for (xmlNode* e = id->children; e; e = e->next) {
        if (!is(e, cp_ns, "except")) continue;
        const std::string except_domain = attr(e, "domain");
        std::optional<core::jid> j;
        if (except_domain.empty())
          j = xmpp_identity(attr(e, "id"));
        else if (auto d = core::jid::parse(except_domain))
          j = *d;
        if (j) rule.except.push_back(*j);
      }
      out.domains.push_back(std::move(rule));
    }
  }
}

}  // namespace

web_viewers web_viewers_of(xmlDoc* doc) {
  web_viewers out;
  xmlNode* root = xmlDocGetRootElement(doc);
  for (xmlNode* r = root ? root->children : nullptr; r; r = r->next) {
    if (!is(r, cp_ns, "rule")) continue;
    const std::string handling = trimmed_text(child(child(r, cp_ns, "actions"), pr_ns, "sub-handling"));
    xmlNode* conditions = child(r, cp_ns, "conditions");
    xmlNode* identity = child(conditions, cp_ns, "identity");
    bool other_condition = false;
    for (xmlNode* c = conditions ? conditions->children : nullptr; c; c = c->next)
      if (c->type == XML_ELEMENT_NODE && c != identity) other_condition = true;
    if (other_condition) continue;
    if (!identity) {
      if (handling == "allow")
        out.anyone = true;
      else if ((handling == "block" || handling == "polite-block") && !out.anyone)
        out.anyone = false;
    } else if (handling == "allow") {
      add_identities(out, identity);
    }
  }
  return out;
}

bool allows(const web_viewers& rules, const core::jid& viewer) {
  if (rules.anyone.value_or(false) || rules.any_authenticated) return true;
  const core::jid bare = viewer.bare();
  if (std::find(rules.allowed.begin(), rules.allowed.end(), bare) != rules.allowed.end()) return true;
  for (const auto& d : rules.domains) {
    if (d.domain != bare.domain()) continue;
    const bool excepted = std::any_of(d.except.begin(), d.except.end(), [&](const core::jid& e) {
      return e == bare || (e.is_domain() && e.domain() == bare.domain());
    });
    if (!excepted) return true;
  }
  return false;
}

std::string pres_rules_etag(std::string_view stored_etag, const std::vector<core::jid>& blocked) {
  std::string all;
  for (const auto& j : blocked) all += j.str() + "\n";
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016zx", std::hash<std::string>{}(all));
  return (stored_etag.empty() ? std::string("new") : std::string(stored_etag)) + "-b" + hex;
}

}  // namespace ofs::xcap
