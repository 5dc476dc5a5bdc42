-- XCAP documents (RFC 4825) other than the roster-backed resource list, which is the roster.
-- Keep in lock-step with sql/postgres/0004_xcap.sql.

CREATE TABLE xcap_documents (
  account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  auid       TEXT NOT NULL,  -- application usage, e.g. 'pres-rules'
  name       TEXT NOT NULL,  -- document path below users/<xui>/
  body       TEXT NOT NULL,  -- UTF-8 XML
  etag       TEXT NOT NULL,  -- strong entity tag
  PRIMARY KEY (account_id, auid, name)
);
