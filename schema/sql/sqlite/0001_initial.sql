-- Accounts, SCRAM credentials, rosters, offline messages and private data.
-- Keep in lock-step with sql/postgres/0001_initial.sql. The schema_version table is
-- created by the program before any migration runs.

CREATE TABLE accounts (
  id             INTEGER PRIMARY KEY,
  node           TEXT NOT NULL,            -- localpart, prepared; '' for a domain account
  domain         TEXT NOT NULL,
  roster_version INTEGER NOT NULL DEFAULT 0,
  created_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  UNIQUE (domain, node)
);

-- One row per hash; never a password.
CREATE TABLE scram_credentials (
  account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  mechanism  TEXT NOT NULL CHECK (mechanism IN ('sha1', 'sha256')),
  salt       BLOB NOT NULL,
  iterations INTEGER NOT NULL CHECK (iterations > 0),
  stored_key BLOB NOT NULL,
  server_key BLOB NOT NULL,
  PRIMARY KEY (account_id, mechanism)
);

CREATE TABLE roster_items (
  account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  contact      TEXT NOT NULL,              -- bare JID
  name         TEXT NOT NULL DEFAULT '',
  subscription TEXT NOT NULL CHECK (subscription IN ('none', 'to', 'from', 'both')),
  ask_out      INTEGER NOT NULL DEFAULT 0,
  pending_in   INTEGER NOT NULL DEFAULT 0,
  approved     INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (account_id, contact)
);

CREATE TABLE roster_groups (
  account_id INTEGER NOT NULL,
  contact    TEXT NOT NULL,
  position   INTEGER NOT NULL,             -- keeps the client's order
  name       TEXT NOT NULL,
  PRIMARY KEY (account_id, contact, name),
  FOREIGN KEY (account_id, contact) REFERENCES roster_items (account_id, contact) ON DELETE CASCADE
);

-- AUTOINCREMENT: ids are never reused, even after the newest message is deleted.
CREATE TABLE offline_messages (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  stored_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  xml        TEXT NOT NULL
);
CREATE INDEX offline_messages_account ON offline_messages (account_id, id);

CREATE TABLE private_data (
  account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  key        TEXT NOT NULL,
  value      TEXT NOT NULL,
  PRIMARY KEY (account_id, key)
);
