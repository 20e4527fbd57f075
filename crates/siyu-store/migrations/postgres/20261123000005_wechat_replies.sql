-- Auto-reply configuration per Official Account: keyword rules, the FAQ knowledge base and the
-- fallback, as one JSON document. Its version is on the account row, which every callback reads
-- anyway, so each node can keep a compiled copy and know at once when it is stale.
CREATE TABLE wechat_replies (
    account_id  TEXT PRIMARY KEY REFERENCES wechat_accounts(id),
    tenant_id   TEXT NOT NULL,
    config      TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);
ALTER TABLE wechat_accounts ADD COLUMN replies_version BIGINT NOT NULL DEFAULT 0;
