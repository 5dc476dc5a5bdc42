"""XCAP (RFC 4825) over HTTP with a real HTTP client: the RFC 4825/4826/5025 examples, the
roster as the default resource list (seen by slixmpp), authentication and authorization,
and hostile requests."""
import asyncio
import os
import re
import socket
import unittest

from slixmpp.xmlstream import ET

from harness import ServerTest, TIMEOUT
from xcap_client import XcapClient

RL = "application/resource-lists+xml"
EL = "application/xcap-el+xml"
ATT = "application/xcap-att+xml"

# RFC 4826 section 3.3's example document (the SIP URIs of the RFC).
RESOURCE_LISTS = """<?xml version="1.0" encoding="UTF-8"?>
<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <list name="friends">
    <entry uri="sip:bill@example.com">
      <display-name>Bill Doe</display-name>
    </entry>
    <entry-ref ref="resource-lists/users/sip:bill@example.com/index/~~/resource-lists/list%5b@name=%22list1%22%5d/entry%5b@uri=%22sip:petri@example.com%22%5d"/>
    <list name="close-friends">
      <display-name>Close Friends</display-name>
      <entry uri="sip:joe@example.com">
        <display-name>Joe Smith</display-name>
      </entry>
      <entry uri="sip:nancy@example.com">
        <display-name>Nancy Gross</display-name>
      </entry>
      <external anchor="http://xcap.example.org/resource-lists/users/sip:a@example.org/index/~~/resource-lists/list%5b@name=%22mkting%22%5d">
        <display-name>Marketing</display-name>
      </external>
    </list>
  </list>
</resource-lists>
"""

# RFC 5025 section 7's example.
PRES_RULES = """<?xml version="1.0" encoding="UTF-8"?>
<cr:ruleset xmlns="urn:ietf:params:xml:ns:pres-rules"
 xmlns:pr="urn:ietf:params:xml:ns:pres-rules"
 xmlns:cr="urn:ietf:params:xml:ns:common-policy">
 <cr:rule id="a">
  <cr:conditions>
   <cr:identity>
    <cr:one id="sip:user@example.com"/>
   </cr:identity>
  </cr:conditions>
  <cr:actions>
   <pr:sub-handling>allow</pr:sub-handling>
  </cr:actions>
  <cr:transformations>
   <pr:provide-services>
     <pr:service-uri-scheme>sip</pr:service-uri-scheme>
     <pr:service-uri-scheme>mailto</pr:service-uri-scheme>
   </pr:provide-services>
   <pr:provide-persons>
     <pr:all-persons/>
   </pr:provide-persons>
   <pr:provide-activities>true</pr:provide-activities>
   <pr:provide-user-input>bare</pr:provide-user-input>
   <pr:provide-unknown-attribute ns="urn:vendor-specific:foo-namespace" name="foo">true</pr:provide-unknown-attribute>
  </cr:transformations>
 </cr:rule>
</cr:ruleset>
"""


def error_element(reply):
    m = re.search(r'<xcap-error xmlns="urn:ietf:params:xml:ns:xcap-error"><([a-z0-9-]+)', reply.body)
    return m.group(1) if m else None


def roster_items(push):
    return {str(jid): item for jid, item in push["roster"]["items"].items()}


async def next_push(pushes, contact):
    """The next roster push (or result) about contact; slixmpp reports both as roster_update."""
    while True:
        iq = await asyncio.wait_for(pushes.get(), TIMEOUT)
        if contact in roster_items(iq):
            return roster_items(iq)[contact]


class XcapServerTest(ServerTest):
    def http(self, user, **kw):
        return XcapClient(self.server.ports["http"], user, **kw)


class Documents(XcapServerTest):
    async def test_rfc_4826_resource_list_put_get_element_attribute_and_etags(self):
        alice, = self.users("alice")
        x = self.http(alice)
        doc = x.url("resource-lists")
        r = x.put(doc, RESOURCE_LISTS, RL)
        self.assertEqual(r.status, 201, r)
        first = r.etag
        self.assertTrue(first)
        r = x.get(doc)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("content-type"), RL)
        self.assertEqual(r.body, RESOURCE_LISTS)
        self.assertEqual(r.etag, first)

        # GET an element by node selector (RFC 4825 6.3's forms).
        joe = 'resource-lists/list[@name="friends"]/list[@name="close-friends"]/entry[@uri="sip:joe@example.com"]'
        r = x.get(x.url("resource-lists", selector=joe))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("content-type"), EL)
        self.assertIn("<display-name>Joe Smith</display-name>", r.body)
        r = x.get(x.url("resource-lists", selector='resource-lists/list[1]/list[1]/entry[2]/display-name'))
        self.assertEqual(r.body, "<display-name>Nancy Gross</display-name>")
        r = x.get(x.url("resource-lists", selector='rl:resource-lists/rl:list/@name',
                        query="xmlns(rl=urn:ietf:params:xml:ns:resource-lists)"))
        self.assertEqual((r.status, r.body, r.header("content-type")), (200, "friends", ATT))

        # PUT an element: inserted, then a GET by the same URI gives it back.
        ann = 'resource-lists/list[@name="friends"]/entry[@uri="sip:ann@example.com"]'
        body = '<entry uri="sip:ann@example.com"><display-name>Ann</display-name></entry>'
        r = x.put(x.url("resource-lists", selector=ann), body, EL)
        self.assertEqual(r.status, 201, r)
        self.assertNotEqual(r.etag, first)
        second = r.etag
        self.assertEqual(x.get(x.url("resource-lists", selector=ann)).body, body)

        # DELETE an attribute (twice gives 404), then PUT it back.
        anchor = x.url("resource-lists", selector='resource-lists/list[1]/list[@name="close-friends"]/external/@anchor')
        value = x.get(anchor).body
        self.assertTrue(value.startswith("http://xcap.example.org/"), value)
        self.assertEqual(x.delete(anchor).status, 200)
        self.assertEqual(x.get(anchor).status, 404)
        self.assertEqual(x.delete(anchor).status, 404)
        self.assertEqual(x.put(anchor, value, ATT).status, 201)
        self.assertEqual(x.get(anchor).body, value)
        # An attribute the schema does not allow: refused, and the document is unchanged.
        r = x.put(x.url("resource-lists", selector='resource-lists/list[1]/entry[1]/@note'), "hi", ATT)
        self.assertEqual(error_element(r), "schema-validation-error", r)

        # A stale ETag: 412, and nothing changed; the current one: accepted; 304 on a match.
        r = x.put(x.url("resource-lists", selector=ann), body.replace("Ann", "Annie"), EL,
                  headers={"If-Match": f'"{second}"'})
        self.assertEqual(r.status, 412, r)
        current = x.get(doc).etag
        self.assertEqual(x.get(doc, headers={"If-None-Match": f'"{current}"'}).status, 304)
        r = x.put(x.url("resource-lists", selector=ann), body.replace("Ann", "Annie"), EL,
                  headers={"If-Match": f'"{current}"'})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(x.put(doc, RESOURCE_LISTS, RL, headers={"If-None-Match": "*"}).status, 412)

    async def test_invalid_documents_get_409_with_the_right_element(self):
        alice, = self.users("alice")
        x = self.http(alice)
        doc = x.url("resource-lists", "other")
        cases = [
            ("<resource-lists", "not-well-formed"),
            ('<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><entry uri="sip:a@b"/></resource-lists>',
             "schema-validation-error"),
            ('<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list name="a"/><list name="a"/>'
             '</resource-lists>', "uniqueness-failure"),
            ('<?xml version="1.0" encoding="ISO-8859-1"?><resource-lists xmlns="urn:ietf:params:xml:ns:'
             'resource-lists"><list name="\xe9"/></resource-lists>'.encode("latin-1"), "not-utf-8"),
        ]
        for body, element in cases:
            r = x.put(doc, body, RL)
            self.assertEqual(r.status, 409, (body, r))
            self.assertEqual(r.header("content-type"), "application/xcap-error+xml")
            self.assertEqual(error_element(r), element, r)
        self.assertEqual(x.get(doc).status, 404)  # nothing was stored
        self.assertEqual(x.put(doc, RESOURCE_LISTS, RL).status, 201)
        r = x.put(x.url("resource-lists", "other", 'resource-lists/list[@name="nope"]/entry'),
                  '<entry uri="sip:x@y"/>', EL)
        self.assertEqual(error_element(r), "no-parent", r)
        r = x.put(x.url("resource-lists", "other", 'resource-lists/list[1]/entry[@uri="sip:x@y"]'),
                  '<entry uri="sip:other@y"/>', EL)
        self.assertEqual(error_element(r), "cannot-insert", r)
        r = x.put(x.url("resource-lists", "other", 'resource-lists/list[1]/entry[@uri="sip:x@y"]'),
                  '<entry uri="sip:x@y"/><entry uri="sip:x@y"/>', EL)
        self.assertEqual(error_element(r), "not-xml-frag", r)
        r = x.put(x.url("resource-lists", "other", 'resource-lists/list[1]/entry[@uri="sip:x@y"]'),
                  '<entry/>', EL)
        self.assertEqual(error_element(r), "cannot-insert", r)  # would not be selected by the URI
        r = x.put(doc, RESOURCE_LISTS, "text/plain")
        self.assertEqual(r.status, 415)

    async def test_rfc_5025_pres_rules_and_pidf_documents(self):
        alice, = self.users("alice")
        x = self.http(alice)
        r = x.put(x.url("pres-rules"), PRES_RULES, "application/auth-policy+xml")
        self.assertEqual(r.status, 201, r)
        r = x.get(x.url("pres-rules", selector="cr:ruleset/cr:rule[@id=\"a\"]/cr:actions/pr:sub-handling",
                        query="xmlns(cr=urn:ietf:params:xml:ns:common-policy)"
                              "xmlns(pr=urn:ietf:params:xml:ns:pres-rules)"))
        self.assertEqual(r.status, 200, r)
        self.assertIn(">allow</pr:sub-handling>", r.body)
        bad = PRES_RULES.replace(">allow<", ">maybe<")
        self.assertEqual(error_element(x.put(x.url("pres-rules"), bad, "application/auth-policy+xml")),
                         "schema-validation-error")
        pidf = ('<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="pres:' + alice + '"><tuple id="t1">'
                '<status><basic>closed</basic></status><note>Back on Monday</note></tuple></presence>')
        self.assertEqual(x.put(x.url("pidf-manipulation"), pidf, "application/pidf+xml").status, 201)
        self.assertEqual(x.get(x.url("pidf-manipulation", selector="presence/tuple/note")).body,
                         "<note>Back on Monday</note>")

    async def test_xcap_caps_and_the_read_only_global_tree(self):
        alice, = self.users("alice")
        x = self.http(alice)
        r = x.get("/xcap-root/xcap-caps/global/index")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("content-type"), "application/xcap-caps+xml")
        for auid in ("resource-lists", "rls-services", "pres-rules", "pidf-manipulation", "xcap-caps"):
            self.assertIn(f"<auid>{auid}</auid>", r.body)
        self.assertEqual(x.put("/xcap-root/xcap-caps/global/index", "<x/>", "application/xcap-caps+xml").status, 403)
        self.assertEqual(x.delete("/xcap-root/resource-lists/global/index").status, 403)


class Authorization(XcapServerTest):
    async def test_another_users_document_is_forbidden_and_bad_credentials_unauthorized(self):
        alice, bob = self.users("alice", "bob")
        a, b = self.http(alice), self.http(bob)
        self.assertEqual(b.put(b.url("resource-lists"), RESOURCE_LISTS, RL).status, 201)
        for r in (a.get(b.url("resource-lists")), a.put(b.url("resource-lists"), RESOURCE_LISTS, RL),
                  a.delete(b.url("resource-lists")), a.get(b.url("resource-lists", "buddies"))):
            self.assertEqual(r.status, 403, r)
            self.assertIn("only users/" + alice, r.body)
        wrong = self.http(alice, password="wrong")
        r = wrong.get(wrong.url("resource-lists"))
        self.assertEqual(r.status, 401)
        self.assertIn("wrong user name or password", r.body)
        challenges = r.header("www-authenticate")
        self.assertIn("algorithm=SHA-256", challenges)
        self.assertIn("algorithm=MD5", challenges)
        self.assertIn("Basic", challenges)  # loopback may use Basic
        self.assertEqual(a.get(a.url("resource-lists"), auth=False).status, 401)

    async def test_digest_sha256_and_md5_with_the_hashes_stored_by_ofsctl(self):
        alice, = self.users("alice")
        for algorithm in ("SHA-256", "MD5"):
            x = self.http(alice, digest=algorithm)
            r = x.put(x.url("resource-lists", "d-" + algorithm), RESOURCE_LISTS, RL)
            self.assertEqual(r.status, 201, (algorithm, r))
            self.assertEqual(x.get(x.url("resource-lists", "d-" + algorithm)).status, 200)
        bad = self.http(alice, password="nope", digest="SHA-256")
        self.assertEqual(bad.get(bad.url("resource-lists")).status, 401)

    async def test_a_password_changed_over_xmpp_ends_the_old_digest(self):
        alice, = self.users("alice")
        old = self.http(alice, digest="SHA-256")
        self.assertEqual(old.get(old.url("resource-lists", "none")).status, 404)  # authenticated
        a = await self.client(alice)
        iq = a.Iq(stype="set", sto="localhost")
        query = ET.Element("{jabber:iq:register}query")
        ET.SubElement(query, "{jabber:iq:register}username").text = alice.split("@")[0]
        ET.SubElement(query, "{jabber:iq:register}password").text = "changed"
        iq.append(query)
        await iq.send(timeout=TIMEOUT)
        r = old.get(old.url("resource-lists", "none"))
        self.assertEqual(r.status, 401, r)
        self.assertIn("no Digest credentials", r.body)
        # One Basic login (loopback) with the new password, and Digest works with it.
        self.assertEqual(self.http(alice, password="changed").get(old.url("resource-lists", "none")).status, 404)
        new = self.http(alice, password="changed", digest="MD5")
        self.assertEqual(new.get(new.url("resource-lists", "none")).status, 404)


class Hostile(XcapServerTest):
    async def test_traversal_injection_entities_and_oversized_bodies_get_4xx(self):
        alice, bob = self.users("alice", "bob")
        x = self.http(alice)
        self.assertEqual(self.http(bob).put(self.http(bob).url("resource-lists"), RESOURCE_LISTS, RL).status, 201)
        base = f"/xcap-root/resource-lists/users/{alice}"
        for target in (f"{base}/../../users/{bob}/index", f"{base}/%2e%2e/%2e%2e/users/{bob}/index",
                       f"{base}/..%2f..%2fusers%2f{bob}%2findex", f"{base}/index%00", f"{base}/a%5c..%5cb",
                       f"/xcap-root/resource-lists/users/{alice}%2f..%2f{bob}/index",
                       "/xcap-root/../../etc/passwd", "/xcap-root/resource-lists/users/%2e%2e/index",
                       f"{base}/%2E%2E/%2E%2E/%2E%2E/etc/passwd"):
            r = x.get(target)
            self.assertGreaterEqual(r.status, 400, target)
            self.assertLess(r.status, 500, target)
            self.assertNotIn("root:", r.body)
        self.assertEqual(x.put(x.url("resource-lists"), RESOURCE_LISTS, RL).status, 201)
        for selector in ('resource-lists/list[@name="friends" or 1=1]', "resource-lists//entry",
                         "resource-lists/list[position()=1]", "resource-lists/list | //*",
                         'resource-lists/list[@name=document("/etc/passwd")]', "resource-lists/..",
                         "resource-lists/list[1]/text()", "/resource-lists"):
            r = x.get(x.url("resource-lists", selector=selector))
            self.assertEqual(r.status, 400, (selector, r))
        laughs = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">'
                  ']><resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">&lol2;</resource-lists>')
        xxe = ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
               '<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list name="&x;"/></resource-lists>')
        for body in (laughs, xxe):
            r = x.put(x.url("resource-lists", "evil"), body, RL)
            self.assertEqual(r.status, 409, r)
            self.assertNotIn("root:", r.body)
        r = x.put(x.url("resource-lists", selector='resource-lists/list[1]/entry[@uri="sip:x@y"]'),
                  '<entry uri="sip:x@y">&x;</entry>', EL)
        self.assertEqual(r.status, 409)
        big = ('<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list name="big">'
               + "".join(f'<entry uri="sip:u{i}@example.com"/>' for i in range(20000)) + "</list></resource-lists>")
        r = x.put(x.url("resource-lists", "big"), big, RL)
        self.assertEqual(r.status, 413, r.status)
        self.assertEqual(self.server.health(), 200)


class RosterIsTheBuddyList(XcapServerTest):
    async def test_xcap_put_pushes_to_xmpp_and_xmpp_changes_the_document_and_etag(self):
        alice, bob, carol = self.users("alice", "bob", "carol")
        a = await self.client(alice)
        pushes = asyncio.Queue()
        a.add_event_handler("roster_update", lambda iq: pushes.put_nowait(iq))
        await a.get_roster()
        b = await self.client(bob)
        await b.get_roster()
        b.send_presence()  # available: subscription requests are delivered to it at once
        await asyncio.sleep(0.2)
        x = self.http(alice)
        buddies = x.url("resource-lists", "buddies")
        r = x.get(buddies)
        self.assertEqual(r.status, 200, r)
        empty_etag = r.etag
        self.assertTrue(empty_etag.startswith("roster-"))

        entry = f'resource-lists/list[@name="Friends"]/entry[@uri="xmpp:{bob}"]'
        r = x.put(x.url("resource-lists", "buddies", 'resource-lists/list[@name="Friends"]'),
                  f'<list name="Friends"><entry uri="xmpp:{bob}"><display-name>Bob</display-name></entry></list>', EL)
        self.assertEqual(r.status, 201, r)
        self.assertNotEqual(r.etag, empty_etag)
        item = await next_push(pushes, bob)
        self.assertEqual(item["name"], "Bob")
        self.assertEqual(item["groups"], ["Friends"])
        # RFC 6121 3.1: the new buddy is asked for its presence subscription.
        await b.next("presence", lambda p: p["type"] == "subscribe" and p["from"].bare == alice)
        self.assertEqual(x.get(x.url("resource-lists", "buddies", entry + "/display-name")).body,
                         "<display-name>Bob</display-name>")

        # A contact added over XMPP is in the document, with a new ETag (the roster version).
        before = x.get(buddies).etag
        await a.update_roster(carol, name="Carol", groups=["Work"])
        await asyncio.sleep(0.2)
        r = x.get(buddies)
        self.assertIn(f'<list name="Work">', r.body)
        self.assertIn(f'<entry uri="xmpp:{carol}"><display-name>Carol</display-name></entry>', r.body)
        self.assertNotEqual(r.etag, before)
        # XEP-0237: the roster version an XMPP client sees is the document's ETag.
        iq = a.Iq(stype="get")
        iq.append(ET.Element("{jabber:iq:roster}query", ver="0"))
        result = await iq.send(timeout=TIMEOUT)
        self.assertEqual(r.etag, "roster-" + result.xml.find("{jabber:iq:roster}query").get("ver"))

        # DELETE an entry: the roster item goes, with a push of subscription="remove".
        while not pushes.empty():
            pushes.get_nowait()
        r = x.delete(x.url("resource-lists", "buddies", f'resource-lists/list[@name="Work"]/entry[@uri="xmpp:{carol}"]'))
        self.assertEqual(r.status, 200, r)
        self.assertEqual((await next_push(pushes, carol))["subscription"], "remove")
        self.assertNotIn(carol, x.get(buddies).body)
        self.assertEqual(x.get(x.url("resource-lists", "oma_buddylist")).body, x.get(buddies).body)


def rules(*rules_xml):
    return ('<cr:ruleset xmlns:cr="urn:ietf:params:xml:ns:common-policy" '
            'xmlns:pr="urn:ietf:params:xml:ns:pres-rules">' + "".join(rules_xml) + "</cr:ruleset>")


def rule(rule_id, handling, *ids):
    identities = "".join(f'<cr:one id="xmpp:{j}"/>' for j in ids)
    return (f'<cr:rule id="{rule_id}"><cr:conditions><cr:identity>{identities}</cr:identity></cr:conditions>'
            f"<cr:actions><pr:sub-handling>{handling}</pr:sub-handling></cr:actions></cr:rule>")


class PresRulesAreTheBlockListAndPreApprovals(XcapServerTest):
    async def test_block_rules_and_the_xep_0191_list_are_one_both_ways(self):
        alice, carol, dave = self.users("alice", "carol", "dave")
        a = await self.client(alice)
        blocked = asyncio.Queue()
        a.add_event_handler("blocked", lambda iq: blocked.put_nowait(iq))
        a.add_event_handler("unblocked", lambda iq: blocked.put_nowait(iq))
        await a.plugin["xep_0191"].get_blocked()  # asks for pushes (XEP-0191 3.2)
        x = self.http(alice)
        doc = x.url("pres-rules")
        self.assertEqual(x.get(doc).status, 404)

        r = x.put(doc, rules(rule("no-carol", "block", carol)), "application/auth-policy+xml")
        self.assertEqual(r.status, 201, r)
        push = await asyncio.wait_for(blocked.get(), TIMEOUT)
        self.assertEqual([str(j) for j in push["block"]["items"]], [carol])
        listed = await a.plugin["xep_0191"].get_blocked()
        self.assertEqual({str(j) for j in listed["blocklist"]["items"]}, {carol})

        # Blocked over XMPP: the document shows it in the rule "xmpp-blocklist", new ETag.
        before = x.get(doc).etag
        await a.plugin["xep_0191"].block([dave])
        r = x.get(doc)
        self.assertNotEqual(r.etag, before)
        self.assertIn('id="xmpp-blocklist"', r.body)
        self.assertIn(f'<cr:one id="xmpp:{dave}"/>', r.body)
        # That document, PUT back without carol's rule: carol is unblocked, dave stays.
        while not blocked.empty():
            blocked.get_nowait()
        body = re.sub(r'<cr:rule id="no-carol">.*?</cr:rule>', "", r.body, flags=re.S)
        r = x.put(doc, body, "application/auth-policy+xml", headers={"If-Match": f'"{r.etag}"'})
        self.assertEqual(r.status, 200, r)
        # The push of dave's block may still be on its way: the next <unblock/> is carol's.
        while True:
            push = await asyncio.wait_for(blocked.get(), TIMEOUT)
            if push.xml.find("{urn:xmpp:blocking}unblock") is not None:
                break
        self.assertEqual([str(j) for j in push["unblock"]["items"]], [carol])
        listed = await a.plugin["xep_0191"].get_blocked()
        self.assertEqual({str(j) for j in listed["blocklist"]["items"]}, {dave})
        self.assertEqual(x.get(doc).etag, r.etag)

    async def test_allow_rules_pre_approve_subscriptions(self):
        alice, erin = self.users("alice", "erin")
        x = self.http(alice)
        r = x.put(x.url("pres-rules"), rules(rule("friends", "allow", erin)), "application/auth-policy+xml")
        self.assertEqual(r.status, 201, r)
        a = await self.client(alice)
        await a.get_roster()
        a.send_presence()
        e = await self.client(erin)
        await e.get_roster()
        e.send_presence()
        # Alice's client never answers: the server approves erin's request itself.
        a.auto_authorize = None
        e.send_presence_subscription(pto=alice)
        await e.next("presence", lambda p: p["type"] == "subscribed" and p["from"].bare == alice)
        await e.next("presence", lambda p: p["type"] == "available" and p["from"].bare == alice)


class ExportImport(XcapServerTest):
    async def test_ofsctl_exports_and_imports_a_users_documents(self):
        alice, bob, carol = self.users("alice", "bob", "carol")
        x = self.http(alice)
        self.assertEqual(x.put(x.url("pres-rules"), PRES_RULES, "application/auth-policy+xml").status, 201)
        self.assertEqual(x.put(x.url("resource-lists", "dir/other"), RESOURCE_LISTS, RL).status, 201)
        out = os.path.join(self.server.dir, "export")
        r = self.server.ctl("xcap-export", alice, out)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(out, "resource-lists", "dir", "other")) as f:
            self.assertEqual(f.read(), RESOURCE_LISTS)
        self.assertTrue(os.path.exists(os.path.join(out, "pres-rules", "index")))
        self.assertTrue(os.path.exists(os.path.join(out, "resource-lists", "buddies")))  # the roster
        r = self.server.ctl("xcap-import", bob, out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("that list is the roster", r.stderr)
        y = self.http(bob)
        self.assertEqual(y.get(y.url("resource-lists", "dir/other")).body, RESOURCE_LISTS)
        self.assertIn("<pr:sub-handling>allow</pr:sub-handling>", y.get(y.url("pres-rules")).body)
        # An invalid file is refused with the XCAP reason, and nothing of that import is stored.
        with open(os.path.join(out, "pres-rules", "index"), "w") as f:
            f.write(PRES_RULES.replace(">allow<", ">maybe<"))
        r = self.server.ctl("xcap-import", carol, out)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("schema-validation-error", r.stderr)
        z = self.http(carol)
        self.assertEqual(z.get(z.url("resource-lists", "dir/other")).status, 404)


class PidfNote(XcapServerTest):
    async def test_the_pidf_note_is_the_offline_status_watchers_see(self):
        alice, bob = self.users("alice", "bob")
        a = await self.client(alice)
        b = await self.client(bob)
        for c in (a, b):
            await c.get_roster()
            c.send_presence()
        # slixmpp accepts and reciprocates subscription requests by default: mutual.
        b.send_presence_subscription(pto=alice)
        await b.next("presence", lambda p: p["type"] == "available" and p["from"].bare == alice)
        await a.logout()
        x = self.http(alice)
        pidf = ('<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="pres:' + alice + '"><tuple id="t1">'
                '<status><basic>closed</basic></status><note>Back on Monday</note></tuple></presence>')
        self.assertEqual(x.put(x.url("pidf-manipulation"), pidf, "application/pidf+xml").status, 201)
        # bob logs in again: his probe of alice is answered with the note.
        await b.logout()
        b2 = await self.client(bob)
        await b2.get_roster()
        b2.send_presence()
        p = await b2.next("presence", lambda p: p["from"].bare == alice and p["type"] == "unavailable")
        self.assertEqual(p["status"], "Back on Monday")


if __name__ == "__main__":
    unittest.main()
