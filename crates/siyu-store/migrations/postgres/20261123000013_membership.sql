-- Membership (会员卡): one program per tenant, one card per customer, an append-only points
-- ledger from which balances are derived, and a log of level changes.

CREATE TABLE membership_programs (
    tenant_id        TEXT PRIMARY KEY REFERENCES tenants(id),
    name             TEXT NOT NULL,
    basis            TEXT NOT NULL,
    levels           TEXT NOT NULL,
    points_per_yuan  BIGINT NOT NULL,
    checkin_points   BIGINT NOT NULL,
    referral_points  BIGINT NOT NULL,
    expiry_days      BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);

CREATE TABLE member_cards (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    customer_id  TEXT NOT NULL REFERENCES customers(id),
    card_number  TEXT NOT NULL,
    level        TEXT,
    spend_fen    BIGINT NOT NULL DEFAULT 0,
    issued_at    BIGINT NOT NULL,
    CONSTRAINT member_cards_number_key UNIQUE (tenant_id, card_number),
    CONSTRAINT member_cards_customer_key UNIQUE (tenant_id, customer_id)
);

-- kind: earn | spend | expire. reason: purchase | checkin | referral | adjust | spend | expire.
-- (card_id, reason, ref) is unique: the same purchase, day's check-in or expiry is written once.
CREATE TABLE points_ledger (
    id          BIGSERIAL PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    card_id     TEXT NOT NULL REFERENCES member_cards(id),
    kind        TEXT NOT NULL,
    reason      TEXT NOT NULL,
    points      BIGINT NOT NULL,
    ref         TEXT NOT NULL,
    lot         BIGINT,
    expires_at  BIGINT,
    note        TEXT,
    at          BIGINT NOT NULL,
    CONSTRAINT points_ledger_ref_key UNIQUE (card_id, reason, ref)
);
CREATE INDEX points_ledger_card_idx ON points_ledger (card_id, id);

CREATE TABLE level_changes (
    id          BIGSERIAL PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    card_id     TEXT NOT NULL REFERENCES member_cards(id),
    from_level  TEXT,
    to_level    TEXT,
    at          BIGINT NOT NULL
);
CREATE INDEX level_changes_card_idx ON level_changes (card_id, at);
