-- XEP-0313 message archives: one row per message and owner (the sender and the receiver
-- each keep their own). Keep in lock-step with sql/sqlite/0002_archive.sql.

CREATE TABLE archive (
  account_id    bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  seq           bigint NOT NULL,             -- microseconds since the epoch; orders the archive
  id            text COLLATE "C" NOT NULL,   -- XEP-0359 stanza id
  with_jid      text COLLATE "C" NOT NULL,   -- the other party, bare
  with_resource text NOT NULL DEFAULT '',
  xml           text NOT NULL,
  PRIMARY KEY (account_id, seq)
);
CREATE INDEX archive_with ON archive (account_id, with_jid, seq);
CREATE INDEX archive_seq ON archive (seq);  -- retention deletes by age over all accounts
