-- Accounts, SCRAM credentials, rosters, offline messages and private data.
-- Keep in lock-step with sql/sqlite/0001_initial.sql. The schema_version table is
-- created by the program before any migration runs. JID columns use the "C" collation so
-- that ordering is bytewise, as in SQLite and the memory store.

CREATE TABLE accounts (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  node           text COLLATE "C" NOT NULL,  -- localpart, prepared; '' for a domain account
  domain         text COLLATE "C" NOT NULL,
  roster_version bigint NOT NULL DEFAULT 0,
  created_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (domain, node)
);

-- One row per hash; never a password.
CREATE TABLE scram_credentials (
  account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  mechanism  text NOT NULL CHECK (mechanism IN ('sha1', 'sha256')),
  salt       bytea NOT NULL,
  iterations integer NOT NULL CHECK (iterations > 0),
  stored_key bytea NOT NULL,
  server_key bytea NOT NULL,
  PRIMARY KEY (account_id, mechanism)
);

CREATE TABLE roster_items (
  account_id   bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  contact      text COLLATE "C" NOT NULL,    -- bare JID
  name         text NOT NULL DEFAULT '',
  subscription text NOT NULL CHECK (subscription IN ('none', 'to', 'from', 'both')),
  ask_out      boolean NOT NULL DEFAULT false,
  pending_in   boolean NOT NULL DEFAULT false,
  approved     boolean NOT NULL DEFAULT false,
  PRIMARY KEY (account_id, contact)
);

CREATE TABLE roster_groups (
  account_id bigint NOT NULL,
  contact    text COLLATE "C" NOT NULL,
  position   integer NOT NULL,               -- keeps the client's order
  name       text NOT NULL,
  PRIMARY KEY (account_id, contact, name),
  FOREIGN KEY (account_id, contact) REFERENCES roster_items (account_id, contact) ON DELETE CASCADE
);

-- An identity never hands out the same id twice.
CREATE TABLE offline_messages (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  stored_at  timestamptz NOT NULL DEFAULT now(),
  xml        text NOT NULL
);
CREATE INDEX offline_messages_account ON offline_messages (account_id, id);

CREATE TABLE private_data (
  account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  key        text NOT NULL,
  value      text NOT NULL,
  PRIMARY KEY (account_id, key)
);
