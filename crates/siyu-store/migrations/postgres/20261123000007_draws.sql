-- Prize draws: commit–reveal campaigns, prizes with stock, and every entry in acceptance order.
CREATE TABLE draw_campaigns (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    name            TEXT NOT NULL,
    seed_sealed     TEXT NOT NULL,
    commitment      TEXT NOT NULL,
    revealed_seed   TEXT,
    state           TEXT NOT NULL,
    starts_at       BIGINT,
    ends_at         BIGINT,
    per_day_limit   BIGINT,
    total_limit     BIGINT,
    entries         BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL
);
CREATE INDEX draw_campaigns_tenant_idx ON draw_campaigns (tenant_id, created_at);

CREATE TABLE draw_prizes (
    campaign_id  TEXT NOT NULL REFERENCES draw_campaigns(id),
    idx          BIGINT NOT NULL,
    name         TEXT NOT NULL,
    odds_bp      BIGINT NOT NULL,
    stock        BIGINT NOT NULL,
    remaining    BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, idx),
    CONSTRAINT draw_prizes_remaining_check CHECK (remaining >= 0)
);

CREATE TABLE draw_entries (
    campaign_id  TEXT NOT NULL REFERENCES draw_campaigns(id),
    seq          BIGINT NOT NULL,
    entry_id     TEXT NOT NULL,
    customer_id  TEXT NOT NULL,
    picked       BIGINT,
    awarded      BIGINT,
    at           BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, seq)
);
CREATE INDEX draw_entries_customer_idx ON draw_entries (campaign_id, customer_id, at);
