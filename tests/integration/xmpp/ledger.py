"""The accounting of a fault scenario: every message a client sent is received by its recipient
(live, or from offline storage after a restart or a new login), or bounced to its sender with an
error stanza. One that is neither vanished; the report names it by id.

Message ids say who sent what to whom: "s017.0004>on042" is the 5th message of sender 17 to
online user 42 ("off" for a user who was offline when it was sent).
"""
import asyncio
import collections
import time


def message_id(sender, seq, kind, recipient):
    return f"s{sender:03d}.{seq:04d}>{kind}{recipient:03d}"


class Ledger:
    def __init__(self, title):
        self.title = title
        self.live = []  # clients of the phase being tested: their received/bounced count
        self.later = []  # clients logged in afterwards to collect offline messages

    def delivered_live(self):
        return collections.Counter(m for c in self.live for m in c.received)

    def delivered_later(self):
        return collections.Counter(m for c in self.later for m in c.received)

    def bounced(self):
        return {mid: cond for c in self.live for mid, cond in c.bounced.items()}

    def unaccounted(self, must):
        live, later, bounced = self.delivered_live(), self.delivered_later(), self.bounced()
        return sorted(m for m in must if m not in live and m not in later and m not in bounced)

    async def wait_accounted(self, must, timeout):
        """Waits until every id in must is accounted for, or timeout; returns the missing ids.
        Only the missing ones make this wait: a correct server ends it as soon as all arrived."""
        deadline = time.monotonic() + timeout
        while True:
            missing = self.unaccounted(must)
            if not missing or time.monotonic() >= deadline:
                return missing
            await asyncio.sleep(0.1)

    def report(self, sent, must):
        """One block of figures for the test output, and the missing ids."""
        live, later, bounced = self.delivered_live(), self.delivered_later(), self.bounced()
        missing = self.unaccounted(must)
        conditions = collections.Counter(bounced.values())
        dup = sum(1 for m, n in (live + later).items() if n > 1)
        both = sum(1 for m in bounced if m in live or m in later)
        text = (f"{self.title}: sent {len(sent)}, acknowledged {len(must)}, "
                f"delivered live {sum(1 for m in sent if m in live)}, "
                f"delivered from offline storage {sum(1 for m in sent if m in later and m not in live)}, "
                f"bounced {len(bounced)} {dict(conditions)}, missing {len(missing)} "
                f"(delivered twice: {dup}; bounced yet delivered: {both})")
        return text, missing


def describe_missing(missing, limit=60):
    to_online = [m for m in missing if ">on" in m]
    to_offline = [m for m in missing if ">off" in m]
    shown = ", ".join(missing[:limit]) + (" ..." if len(missing) > limit else "")
    return (f"{len(missing)} messages vanished ({len(to_online)} to online users, "
            f"{len(to_offline)} to offline users): {shown}")
