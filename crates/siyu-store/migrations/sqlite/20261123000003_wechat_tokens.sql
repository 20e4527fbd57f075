-- Access tokens shared by every node, with a lease so only one node fetches a new one.
CREATE TABLE wechat_tokens (
    app_id        TEXT PRIMARY KEY,
    token_sealed  TEXT,
    token_hash    TEXT,
    expires_at    BIGINT,
    lease_owner   TEXT,
    lease_until   BIGINT
);
