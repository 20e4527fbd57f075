-- WeChat Official Accounts, customer profiles keyed by identities, and the inbound record
-- of every callback (deduplicated by a unique key so retries to any node have one effect).

CREATE TABLE wechat_accounts (
    id                TEXT PRIMARY KEY,
    tenant_id         TEXT NOT NULL REFERENCES tenants(id),
    name              TEXT NOT NULL,
    app_id            TEXT NOT NULL,
    original_id       TEXT,
    mode              TEXT NOT NULL,
    app_secret_sealed TEXT NOT NULL,
    token_sealed      TEXT NOT NULL,
    aes_key_sealed    TEXT,
    welcome_text      TEXT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    CONSTRAINT wechat_accounts_app_id_key UNIQUE (app_id)
);
CREATE INDEX wechat_accounts_tenant_idx ON wechat_accounts (tenant_id);

CREATE TABLE customers (
    id                   TEXT PRIMARY KEY,
    tenant_id            TEXT NOT NULL REFERENCES tenants(id),
    following            BOOLEAN NOT NULL DEFAULT FALSE,
    followed_at          BIGINT,
    unfollowed_at        BIGINT,
    first_scene          TEXT,
    last_scene           TEXT,
    last_interaction_at  BIGINT,
    last_latitude        REAL,
    last_longitude       REAL,
    last_location_at     BIGINT,
    nickname             TEXT,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);
CREATE INDEX customers_tenant_idx ON customers (tenant_id, created_at);

CREATE TABLE customer_identities (
    tenant_id    TEXT NOT NULL,
    kind         TEXT NOT NULL,
    value        TEXT NOT NULL,
    customer_id  TEXT NOT NULL REFERENCES customers(id),
    scope        TEXT,
    source       TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, kind, value)
);
CREATE INDEX customer_identities_customer_idx ON customer_identities (customer_id);

CREATE TABLE follow_history (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id    TEXT NOT NULL,
    customer_id  TEXT NOT NULL REFERENCES customers(id),
    account_id   TEXT NOT NULL,
    action       TEXT NOT NULL,
    scene        TEXT,
    source       TEXT NOT NULL,
    at           BIGINT NOT NULL
);
CREATE INDEX follow_history_customer_idx ON follow_history (customer_id, at);

CREATE TABLE wechat_inbound (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id    TEXT NOT NULL,
    account_id   TEXT NOT NULL REFERENCES wechat_accounts(id),
    customer_id  TEXT REFERENCES customers(id),
    dedupe_key   TEXT NOT NULL,
    openid       TEXT NOT NULL,
    msg_type     TEXT NOT NULL,
    event        TEXT,
    event_key    TEXT,
    content      TEXT,
    xml          TEXT NOT NULL,
    reply        TEXT,
    created_at   BIGINT NOT NULL,
    received_at  BIGINT NOT NULL,
    CONSTRAINT wechat_inbound_dedupe_key UNIQUE (account_id, dedupe_key)
);
CREATE INDEX wechat_inbound_customer_idx ON wechat_inbound (customer_id, id);
