-- XEP-0313 message archives: one row per message and owner (the sender and the receiver
-- each keep their own). Keep in lock-step with sql/postgres/0002_archive.sql.

-- A rowid table: the (account_id, seq) key is then a narrow index, which counts (RSM
-- <count/>) scan instead of the whole rows.
CREATE TABLE archive (
  account_id    INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  seq           INTEGER NOT NULL,            -- microseconds since the epoch; orders the archive
  id            TEXT NOT NULL,               -- XEP-0359 stanza id
  with_jid      TEXT NOT NULL,               -- the other party, bare
  with_resource TEXT NOT NULL DEFAULT '',
  xml           TEXT NOT NULL,
  PRIMARY KEY (account_id, seq)
);
CREATE INDEX archive_with ON archive (account_id, with_jid, seq);
CREATE INDEX archive_seq ON archive (seq);  -- retention deletes by age over all accounts
