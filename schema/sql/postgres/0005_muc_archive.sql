-- Multi-user chat, second part: rooms keep their subject, the service keeps the secret of its
-- occupant ids (XEP-0421) across restarts, and rooms archive their messages (XEP-0313).
-- Keep in lock-step with sql/sqlite/0005_muc_archive.sql.

ALTER TABLE muc_rooms ADD COLUMN subject text NOT NULL DEFAULT '';
ALTER TABLE muc_rooms ADD COLUMN subject_by text NOT NULL DEFAULT '';  -- the nick that set it

CREATE TABLE muc_services (
  domain    text COLLATE "C" PRIMARY KEY,
  id_secret text NOT NULL                -- HMAC key of the occupant ids, base64
);

-- The archive table's shape, keyed by the room: with_jid is the room, with_resource the
-- sender's nickname; xml carries the sender's real JID, shown to those who may see it.
CREATE TABLE muc_archive (
  room_id       bigint NOT NULL REFERENCES muc_rooms (id) ON DELETE CASCADE,
  seq           bigint NOT NULL,
  id            text COLLATE "C" NOT NULL,
  with_jid      text COLLATE "C" NOT NULL,
  with_resource text NOT NULL DEFAULT '',
  xml           text NOT NULL,
  PRIMARY KEY (room_id, seq)
);
CREATE INDEX muc_archive_with ON muc_archive (room_id, with_jid, seq);
CREATE INDEX muc_archive_seq ON muc_archive (seq);
