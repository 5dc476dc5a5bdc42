-- XCAP documents (RFC 4825) other than the roster-backed resource list, which is the roster.
-- Keep in lock-step with sql/sqlite/0004_xcap.sql.

CREATE TABLE xcap_documents (
  account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  auid       text COLLATE "C" NOT NULL,  -- application usage, e.g. 'pres-rules'
  name       text COLLATE "C" NOT NULL,  -- document path below users/<xui>/
  body       text NOT NULL,              -- UTF-8 XML
  etag       text NOT NULL,              -- strong entity tag
  PRIMARY KEY (account_id, auid, name)
);
