-- Vouchers: templates with stock and per-person limits, issued codes (signed), redeemed once.
CREATE TABLE voucher_templates (
    id                TEXT PRIMARY KEY,
    tenant_id         TEXT NOT NULL REFERENCES tenants(id),
    name              TEXT NOT NULL,
    kind              TEXT NOT NULL,
    amount_fen        BIGINT,
    percent_off       BIGINT,
    item_name         TEXT,
    min_spend_fen     BIGINT NOT NULL DEFAULT 0,
    valid_from        BIGINT,
    valid_until       BIGINT,
    stock             BIGINT NOT NULL,
    remaining         BIGINT NOT NULL,
    per_person_limit  BIGINT,
    created_at        BIGINT NOT NULL,
    CONSTRAINT voucher_templates_remaining_check CHECK (remaining >= 0)
);
CREATE INDEX voucher_templates_tenant_idx ON voucher_templates (tenant_id, created_at);

CREATE TABLE vouchers (
    code            TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL,
    template_id     TEXT NOT NULL REFERENCES voucher_templates(id),
    customer_id     TEXT NOT NULL,
    source          TEXT NOT NULL,
    issued_at       BIGINT NOT NULL,
    redeemed_at     BIGINT,
    redeemed_by     TEXT,
    redeemed_store  TEXT
);
CREATE INDEX vouchers_customer_idx ON vouchers (template_id, customer_id);
CREATE INDEX vouchers_redeemed_idx ON vouchers (tenant_id, redeemed_at);
