"""Multi-user chat (XEP-0045) against the real ofsd, with slixmpp's xep_0045 plugin: a room
is created, three occupants see each other, messages fan out, history arrives on entering,
a members-only room refuses a non-member, the owner kicks and bans, a password room refuses
a wrong password, a persistent room survives a restart with its configuration, affiliations,
subject, archive (XEP-0313, paged with xep_0313) and occupant ids (XEP-0421), and ofsctl
manages rooms of the running and of the stopped server.
"""
import asyncio
import json

from slixmpp.exceptions import IqError, PresenceError

from harness import Client, Server, ServerTest, TIMEOUT

MUC = "conference.localhost"
CONFIG = '[muc]\ncreate_rooms = "local"\n'
MUC_USER = "{http://jabber.org/protocol/muc#user}"
OCCUPANT_ID = "{urn:xmpp:occupant-id:0}occupant-id"


def occupant_id(stanza):
    return stanza.xml.find(OCCUPANT_ID).get("id")


def archived(result):
    """The message a MAM result forwards."""
    return result["mam_result"]["forwarded"]["stanza"]


def real_jid(message):
    """The sender's real JID an archived message shows, or None."""
    item = message.xml.find(f"{MUC_USER}x/{MUC_USER}item")
    return None if item is None else item.get("jid")


class MucClient(Client):
    def __init__(self, server, jid, **kw):
        super().__init__(server, jid, **kw)
        for plugin in ("xep_0045", "xep_0004", "xep_0313", "xep_0359"):
            self.register_plugin(plugin)
        # The MUC plugin takes room presences for itself: collect them with the others.
        self.add_event_handler("groupchat_presence", lambda p: self.queues["presence"].put_nowait(p))


class MucTest(ServerTest):
    extra_config = CONFIG

    async def muc_client(self, jid):
        c = MucClient(self.server, jid)
        self.addAsyncCleanup(self._close, c)
        return await c.login()

    async def join(self, c, room, nick, **kw):
        return await c.plugin["xep_0045"].join_muc_wait(room, nick, timeout=TIMEOUT, **kw)

    async def create(self, owner, name, nick, **fields):
        """A room created by `owner` and configured with muc#roomconfig_<key> = value."""
        room = f"{name}@{MUC}"
        pres, *_ = await self.join(owner, room, nick)
        self.assertIn(201, [int(s) for s in pres["muc"]["status_codes"]])
        muc = owner.plugin["xep_0045"]
        form = await muc.get_room_config(room, timeout=TIMEOUT)
        form.set_values({"muc#roomconfig_" + key: value for key, value in fields.items()})
        await muc.set_room_config(room, form, timeout=TIMEOUT)
        return room

    async def refused(self, c, room, nick, **kw):
        """The condition of the error a join gets."""
        with self.assertRaises(PresenceError) as e:
            await self.join(c, room, nick, **kw)
        return e.exception.condition

    async def test_three_occupants_see_each_other_and_messages_fan_out(self):
        romeo, juliet, nurse = self.users("romeo", "juliet", "nurse")
        r, j, n = [await self.muc_client(u) for u in (romeo, juliet, nurse)]
        room = await self.create(r, "balcony" + romeo[5:11], "Romeo", roomname="Balcony")
        await self.join(j, room, "Juliet")
        _, _, occupants, _ = await self.join(n, room, "Nurse")
        self.assertLessEqual({"Juliet", "Romeo"}, {p["from"].resource for p in occupants})
        await r.next("presence", lambda p: p["from"].full == f"{room}/Nurse")
        await j.next("presence", lambda p: p["from"].full == f"{room}/Nurse")
        self.assertEqual(set(r.plugin["xep_0045"].get_roster(room)), {"Romeo", "Juliet", "Nurse"})

        r.send_message(mto=room, mbody="Good morrow", mtype="groupchat")
        for c in (r, j, n):
            m = await c.next("message", lambda m: m["body"] == "Good morrow")
            self.assertEqual(m["from"].full, f"{room}/Romeo")
            self.assertEqual(m["type"], "groupchat")

        # History on entering: the newest two, delayed, then the subject.
        for i in range(3):
            j.send_message(mto=room, mbody=f"line {i}", mtype="groupchat")
        await r.next("message", lambda m: m["body"] == "line 2")
        late, = self.users("benvolio")
        b = await self.muc_client(late)
        _, _, _, history = await self.join(b, room, "Benvolio", maxstanzas=2)
        self.assertEqual([m["body"] for m in history], ["line 1", "line 2"])

    async def test_room_archive_pages_both_ways_and_shows_real_jids_to_owners_only(self):
        romeo, juliet, nurse = self.users("romeo", "juliet", "nurse")
        r, j, n = [await self.muc_client(u) for u in (romeo, juliet, nurse)]
        room = await self.create(r, "library" + romeo[5:11], "Romeo", persistentroom=True)
        await self.join(j, room, "Juliet")
        info = await j.plugin["xep_0030"].get_info(jid=room, timeout=TIMEOUT)
        self.assertIn("urn:xmpp:mam:2", info["disco_info"]["features"])
        texts = [f"verse {i}" for i in range(1, 6)]
        got = []
        for t in texts:
            r.send_message(mto=room, mbody=t, mtype="groupchat")
            got.append(await j.next("message", lambda m, t=t: m["body"] == t))
        # Each broadcast carries the room's stanza id (XEP-0359), by the room.
        self.assertEqual({m["stanza_id"]["by"] for m in got}, {room})

        mam = j.plugin["xep_0313"]
        first = await mam.retrieve(jid=room, rsm={"max": 2}, timeout=TIMEOUT)
        self.assertEqual([archived(m)["body"] for m in first["mam"]["results"]], texts[:2])
        self.assertEqual(first["mam_fin"]["rsm"]["count"], "5")
        self.assertIsNone(first["mam_fin"].xml.get("complete"))
        self.assertEqual([m["mam_result"]["id"] for m in first["mam"]["results"]],
                         [m["stanza_id"]["id"] for m in got[:2]])
        forward = [archived(m)["body"] async for m in mam.iterate(jid=room, rsm={"max": 2})]
        self.assertEqual(forward, texts)
        backward = [archived(m)["body"] async for m in mam.iterate(jid=room, rsm={"max": 2}, reverse=True)]
        self.assertEqual(backward, texts[::-1])
        # From the occupant's room JID; the real JID for owners only in a semi-anonymous room.
        mine = await mam.retrieve(jid=room, with_jid=f"{room}/Romeo", timeout=TIMEOUT)
        first_line = archived(mine["mam"]["results"][0])
        self.assertEqual(first_line["from"].full, f"{room}/Romeo")
        self.assertIsNone(real_jid(first_line))
        owners = await r.plugin["xep_0313"].retrieve(jid=room, rsm={"max": 1}, timeout=TIMEOUT)
        self.assertEqual(real_jid(archived(owners["mam"]["results"][0])), romeo)
        # A temporary room keeps no archive.
        scratch = await self.create(n, "scratch" + nurse[5:11], "Nurse")
        info = await n.plugin["xep_0030"].get_info(jid=scratch, timeout=TIMEOUT)
        self.assertNotIn("urn:xmpp:mam:2", info["disco_info"]["features"])

    async def test_members_only_archive_is_for_members(self):
        romeo, juliet, tybalt = self.users("romeo", "juliet", "tybalt")
        r, j, t = [await self.muc_client(u) for u in (romeo, juliet, tybalt)]
        room = await self.create(r, "vault" + romeo[5:11], "Romeo", persistentroom=True, membersonly=True)
        await r.plugin["xep_0045"].set_affiliation(room, "member", jid=juliet, timeout=TIMEOUT)
        r.send_message(mto=room, mbody="Meet at the crypt", mtype="groupchat")
        await r.next("message", lambda m: m["body"] == "Meet at the crypt")
        # A member who was not there reads it through the archive, without joining.
        page = await j.plugin["xep_0313"].retrieve(jid=room, timeout=TIMEOUT)
        self.assertEqual([archived(m)["body"] for m in page["mam"]["results"]], ["Meet at the crypt"])
        with self.assertRaises(IqError) as e:
            await t.plugin["xep_0313"].retrieve(jid=room, timeout=TIMEOUT)
        self.assertEqual(e.exception.condition, "registration-required")

    async def test_occupant_id_is_stable_across_rejoin_and_nick_change(self):
        romeo, juliet = self.users("romeo", "juliet")
        r, j = [await self.muc_client(u) for u in (romeo, juliet)]
        room = await self.create(r, "hall" + romeo[5:11], "Romeo")
        pres, *_ = await self.join(j, room, "Juliet")
        first = occupant_id(pres)
        j.plugin["xep_0045"].leave_muc(room, "Juliet")
        await r.next("presence", lambda p: p["type"] == "unavailable" and p["from"].resource == "Juliet")
        pres, *_ = await self.join(j, room, "Jules")
        self.assertEqual(occupant_id(pres), first)
        j.send_message(mto=room, mbody="It is I", mtype="groupchat")
        m = await r.next("message", lambda m: m["body"] == "It is I")
        self.assertEqual(occupant_id(m), first)
        seen = await r.next("presence", lambda p: p["from"].resource == "Jules")
        self.assertEqual(occupant_id(seen), first)
        r.send_message(mto=room, mbody="Who is there?", mtype="groupchat")
        other = await j.next("message", lambda m: m["body"] == "Who is there?")
        self.assertNotEqual(occupant_id(other), first)

    async def test_members_only_room_refuses_a_non_member(self):
        romeo, juliet, tybalt = self.users("romeo", "juliet", "tybalt")
        r, j, t = [await self.muc_client(u) for u in (romeo, juliet, tybalt)]
        room = await self.create(r, "crypt" + romeo[5:11], "Romeo", membersonly=True)
        await r.plugin["xep_0045"].set_affiliation(room, "member", jid=juliet, timeout=TIMEOUT)
        await self.join(j, room, "Juliet")
        self.assertEqual(await self.refused(t, room, "Tybalt"), "registration-required")

    async def test_owner_kicks_and_bans(self):
        romeo, juliet, tybalt = self.users("romeo", "juliet", "tybalt")
        r, j, t = [await self.muc_client(u) for u in (romeo, juliet, tybalt)]
        room = await self.create(r, "square" + romeo[5:11], "Romeo")
        await self.join(j, room, "Juliet")
        await self.join(t, room, "Tybalt")
        muc = r.plugin["xep_0045"]
        await muc.set_role(room, "Juliet", "none", reason="Go home", timeout=TIMEOUT)
        kicked = await j.next("presence", lambda p: p["type"] == "unavailable" and p["from"].full == f"{room}/Juliet")
        self.assertIn(307, [int(s) for s in kicked["muc"]["status_codes"]])
        await muc.set_affiliation(room, "outcast", jid=tybalt, reason="Fights", timeout=TIMEOUT)
        banned = await t.next("presence", lambda p: p["type"] == "unavailable" and p["from"].full == f"{room}/Tybalt")
        self.assertIn(301, [int(s) for s in banned["muc"]["status_codes"]])
        self.assertEqual(await self.refused(t, room, "Tybalt"), "forbidden")
        await self.join(j, room, "Juliet")  # kicked is not banned

    async def test_password_room_refuses_a_wrong_password(self):
        romeo, juliet = self.users("romeo", "juliet")
        r, j = [await self.muc_client(u) for u in (romeo, juliet)]
        room = await self.create(r, "vault" + romeo[5:11], "Romeo", passwordprotectedroom=True, roomsecret="capulet")
        self.assertEqual(await self.refused(j, room, "Juliet", password="montague"), "not-authorized")
        await self.join(j, room, "Juliet", password="capulet")

    async def test_ofsctl_manages_rooms_of_the_running_server(self):
        romeo, juliet = self.users("romeo", "juliet")
        name = "hall" + romeo[5:11]
        out = self.server.ctl("create-room", name, "--title", "Great Hall", "--members-only", "--owner", romeo)
        self.assertEqual(out.returncode, 0, out.stderr)
        out = self.server.ctl("--json", "list-rooms")
        rooms = {r["jid"]: r for r in json.loads(out.stdout)["rooms"]}
        self.assertTrue(rooms[f"{name}@{MUC}"]["members_only"])
        self.assertEqual(rooms[f"{name}@{MUC}"]["name"], "Great Hall")
        j = await self.muc_client(juliet)
        self.assertEqual(await self.refused(j, f"{name}@{MUC}", "Juliet"), "registration-required")
        out = self.server.ctl("set-affiliation", name, juliet, "member")
        self.assertEqual(out.returncode, 0, out.stderr)
        await self.join(j, f"{name}@{MUC}", "Juliet")
        out = self.server.ctl("destroy-room", name, "--reason", "Closing")
        self.assertEqual(out.returncode, 0, out.stderr)
        gone = await j.next("presence", lambda p: p["type"] == "unavailable")
        ns = "{http://jabber.org/protocol/muc#user}"
        self.assertEqual(gone.xml.find(f"{ns}x/{ns}destroy/{ns}reason").text, "Closing")
        self.assertNotEqual(self.server.ctl("destroy-room", name).returncode, 0)
        self.assertNotEqual(self.server.ctl("set-affiliation", name, juliet, "king").returncode, 0)


class PersistenceTest(ServerTest):
    extra_config = CONFIG

    async def test_persistent_room_survives_a_restart_with_config_and_affiliations(self):
        romeo, juliet, tybalt = self.users("romeo", "juliet", "tybalt")
        r = MucClient(self.server, romeo)
        await r.login()
        room = f"tomb@{MUC}"
        await r.plugin["xep_0045"].join_muc_wait(room, "Romeo", timeout=TIMEOUT)
        form = await r.plugin["xep_0045"].get_room_config(room, timeout=TIMEOUT)
        form.set_values({"muc#roomconfig_persistentroom": True, "muc#roomconfig_membersonly": True,
                         "muc#roomconfig_roomname": "The Tomb"})
        await r.plugin["xep_0045"].set_room_config(room, form, timeout=TIMEOUT)
        await r.plugin["xep_0045"].set_affiliation(room, "member", jid=juliet, timeout=TIMEOUT)
        r.send_message(mto=room, mbody="Thus with a kiss I die", mtype="groupchat")
        await r.next("message", lambda m: m["body"] == "Thus with a kiss I die")
        await r.logout()

        old = self.server
        self.assertEqual(old.stop(remove=False), 0)
        self.__class__.server = Server(CONFIG, storage_url=old.storage_url, directory=old.dir)

        j = MucClient(self.server, juliet)
        await j.login()
        info = await j.plugin["xep_0030"].get_info(jid=room, timeout=TIMEOUT)
        self.assertIn("muc_membersonly", info["disco_info"]["features"])
        self.assertIn("muc_persistent", info["disco_info"]["features"])
        self.assertIn(("conference", "text", None, "The Tomb"), info["disco_info"]["identities"])
        _, _, _, history = await j.plugin["xep_0045"].join_muc_wait(room, "Juliet", maxstanzas=5, timeout=TIMEOUT)
        self.assertEqual([m["body"] for m in history], ["Thus with a kiss I die"])
        t = MucClient(self.server, tybalt)
        await t.login()
        with self.assertRaises(PresenceError) as e:
            await t.plugin["xep_0045"].join_muc_wait(room, "Tybalt", timeout=TIMEOUT)
        self.assertEqual(e.exception.condition, "registration-required")
        for c in (j, t):
            await c.logout()

    async def test_subject_archive_and_occupant_ids_survive_a_restart(self):
        romeo, juliet = self.users("romeo", "juliet")
        r = MucClient(self.server, romeo)
        await r.login()
        room = f"chapel@{MUC}"
        muc = r.plugin["xep_0045"]
        await muc.join_muc_wait(room, "Romeo", timeout=TIMEOUT)
        form = await muc.get_room_config(room, timeout=TIMEOUT)
        form.set_values({"muc#roomconfig_persistentroom": True})
        await muc.set_room_config(room, form, timeout=TIMEOUT)
        muc.set_subject(room, "A secret wedding")  # the room takes it before the messages below
        texts = [f"vow {i}" for i in range(1, 5)]
        for t in texts:
            r.send_message(mto=room, mbody=t, mtype="groupchat")
        sent = [await r.next("message", lambda m, t=t: m["body"] == t) for t in texts]
        before = occupant_id(sent[0])
        await r.logout()

        old = self.server
        self.assertEqual(old.stop(remove=False), 0)
        self.__class__.server = Server(CONFIG, storage_url=old.storage_url, directory=old.dir)

        j = MucClient(self.server, juliet)
        await j.login()
        _, subject, _, _ = await j.plugin["xep_0045"].join_muc_wait(room, "Juliet", maxstanzas=0, timeout=TIMEOUT)
        self.assertEqual(subject["subject"], "A secret wedding")
        self.assertEqual(subject["from"].full, f"{room}/Romeo")
        mam = j.plugin["xep_0313"]
        forward = [archived(m) async for m in mam.iterate(jid=room, rsm={"max": 3})]
        self.assertEqual([m["body"] for m in forward], texts)
        backward = [archived(m)["body"] async for m in mam.iterate(jid=room, rsm={"max": 3}, reverse=True)]
        self.assertEqual(backward, texts[::-1])
        self.assertEqual(occupant_id(forward[0]), before)
        # The archive goes on after the restart, after the earlier messages.
        j.send_message(mto=room, mbody="vow 5", mtype="groupchat")
        await j.next("message", lambda m: m["body"] == "vow 5")
        newest = [archived(m)["body"] async for m in mam.iterate(jid=room, rsm={"max": 1}, reverse=True, total=1)]
        self.assertEqual(newest, ["vow 5"])

        r = MucClient(self.server, romeo)
        await r.login()
        pres, *_ = await r.plugin["xep_0045"].join_muc_wait(room, "Romeo", timeout=TIMEOUT)
        self.assertEqual(occupant_id(pres), before)
        for c in (j, r):
            await c.logout()

    async def test_ofsctl_creates_a_room_while_ofsd_is_stopped(self):
        owner, = self.users("friar")
        old = self.server
        self.assertEqual(old.stop(remove=False), 0)
        out = old.ctl("create-room", "cell", "--title", "The Cell", "--owner", owner)
        self.assertEqual(out.returncode, 0, out.stderr)
        out = old.ctl("list-rooms")
        self.assertIn(f"cell@{MUC}", out.stdout)
        self.__class__.server = Server(CONFIG, storage_url=old.storage_url, directory=old.dir)
        out = self.server.ctl("--json", "list-rooms")
        rooms = {r["jid"]: r for r in json.loads(out.stdout)["rooms"]}
        self.assertEqual(rooms[f"cell@{MUC}"]["name"], "The Cell")
        self.assertTrue(rooms[f"cell@{MUC}"]["persistent"])
        f = MucClient(self.server, owner)
        await f.login()
        pres, *_ = await f.plugin["xep_0045"].join_muc_wait(f"cell@{MUC}", "Friar", timeout=TIMEOUT)
        self.assertEqual(pres["muc"]["affiliation"], "owner")
        await f.logout()
