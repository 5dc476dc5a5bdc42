-- Persistent multi-user chat rooms (XEP-0045): configuration, affiliations, recent history.
-- Keep in lock-step with sql/postgres/0003_muc.sql.

CREATE TABLE muc_rooms (
  id     INTEGER PRIMARY KEY,
  node   TEXT NOT NULL,                  -- the room's name, prepared
  domain TEXT NOT NULL,                  -- the MUC service
  config TEXT NOT NULL,                  -- the muc#roomconfig submit form
  UNIQUE (domain, node)
);

CREATE TABLE muc_affiliations (
  room_id     INTEGER NOT NULL REFERENCES muc_rooms (id) ON DELETE CASCADE,
  jid         TEXT NOT NULL,             -- bare JID
  affiliation TEXT NOT NULL CHECK (affiliation IN ('owner', 'admin', 'member', 'outcast')),
  nick        TEXT NOT NULL DEFAULT '',
  reason      TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (room_id, jid)
);

CREATE TABLE muc_history (
  id       INTEGER PRIMARY KEY AUTOINCREMENT,
  room_id  INTEGER NOT NULL REFERENCES muc_rooms (id) ON DELETE CASCADE,
  stamp_ms INTEGER NOT NULL,             -- milliseconds since the Unix epoch
  xml      TEXT NOT NULL
);
CREATE INDEX muc_history_room ON muc_history (room_id, id);
