"""Visitors and the widget's tokens, seen by a library client over TCP: SASL ANONYMOUS on the
configured visitors' domain gives each visitor a fresh name, is limited per address, and is
the only login there; the widget's login tokens are not handed out over TCP."""
import asyncio
import unittest

import slixmpp

from harness import Client, ServerTest, TIMEOUT

VISITORS = "visitors.localhost"


class Visitors(ServerTest):
    domains = ["localhost", VISITORS]
    extra_config = f'[anonymous]\ndomain = "{VISITORS}"\nlogins_per_ip_minute = 3\n'

    async def visitor(self):
        return await self.client(VISITORS, password="", mech="ANONYMOUS")

    async def refused(self, jid, password, mech):
        c = Client(self.server, jid, password=password, mech=mech)
        c.add_event_handler("no_auth", lambda _: c.failed_auth.set())  # the mechanism is not offered
        self.addAsyncCleanup(self._close, c)
        c.connect(("127.0.0.1", self.server.ports["c2s"]), force_starttls=True)
        await asyncio.wait_for(c.failed_auth.wait(), TIMEOUT)

    async def test_visitors_get_fresh_names_chat_and_are_limited_per_address(self):
        (support,) = self.users("support")
        helpdesk = await self.client(support)
        helpdesk.send_presence()  # available: a message to the bare JID comes here
        first, second = await self.visitor(), await self.visitor()
        for v in (first, second):
            self.assertEqual(v.boundjid.domain, VISITORS)
            self.assertTrue(v.boundjid.user.startswith("visitor-"), v.boundjid)
        self.assertNotEqual(first.boundjid.user, second.boundjid.user)
        first.send_message(mto=support, mbody="hello from a visitor", mtype="chat")
        got = await helpdesk.next("message", lambda m: m["body"] == "hello from a visitor")
        self.assertEqual(got["from"], first.boundjid)
        helpdesk.send_message(mto=first.boundjid, mbody="welcome", mtype="chat")
        await first.next("message", lambda m: m["body"] == "welcome")

        await self.visitor()  # the third of this minute from 127.0.0.1
        await self.refused(VISITORS, "", "ANONYMOUS")
        self.assertIn("visitor login refused: rate limit", self.server.log())

    async def test_the_visitors_domain_has_no_password_logins(self):
        r = self.server.ctl("adduser", f"someone@{VISITORS}", "secret")
        self.assertEqual(r.returncode, 0, r.stderr)
        await self.refused(f"someone@{VISITORS}", "secret", "SCRAM-SHA-256")
        self.assertNotIn(f"authenticated as someone@{VISITORS}", self.server.log())

    async def test_anonymous_is_not_offered_on_other_domains(self):
        await self.refused("localhost", "", "ANONYMOUS")

    async def test_widget_tokens_are_not_handed_out_over_tcp(self):
        (user,) = self.users("user")
        c = await self.client(user)
        iq = c.make_iq_set()
        iq.append(slixmpp.xmlstream.ET.Element("{urn:ofs:widget-token:0}request"))
        with self.assertRaises(slixmpp.exceptions.IqError) as e:
            await iq.send(timeout=TIMEOUT)
        self.assertEqual(e.exception.condition, "not-allowed")


if __name__ == "__main__":
    unittest.main()
