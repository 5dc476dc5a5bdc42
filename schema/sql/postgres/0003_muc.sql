-- Persistent multi-user chat rooms (XEP-0045): configuration, affiliations, recent history.
-- Keep in lock-step with sql/sqlite/0003_muc.sql.

CREATE TABLE muc_rooms (
  id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  node   text COLLATE "C" NOT NULL,      -- the room's name, prepared
  domain text COLLATE "C" NOT NULL,      -- the MUC service
  config text NOT NULL,                  -- the muc#roomconfig submit form
  UNIQUE (domain, node)
);

CREATE TABLE muc_affiliations (
  room_id     bigint NOT NULL REFERENCES muc_rooms (id) ON DELETE CASCADE,
  jid         text COLLATE "C" NOT NULL, -- bare JID
  affiliation text NOT NULL CHECK (affiliation IN ('owner', 'admin', 'member', 'outcast')),
  nick        text NOT NULL DEFAULT '',
  reason      text NOT NULL DEFAULT '',
  PRIMARY KEY (room_id, jid)
);

CREATE TABLE muc_history (
  id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  room_id  bigint NOT NULL REFERENCES muc_rooms (id) ON DELETE CASCADE,
  stamp_ms bigint NOT NULL,              -- milliseconds since the Unix epoch
  xml      text NOT NULL
);
CREATE INDEX muc_history_room ON muc_history (room_id, id);
