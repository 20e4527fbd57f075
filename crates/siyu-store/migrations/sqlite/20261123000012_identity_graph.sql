-- One customer, every channel. The identity graph of each tenant is kept as an append-only log of
-- its changes (identity_log); identity values in the log are keyed hashes ("tokens"), never the
-- values themselves, so that erasing a customer leaves no personal data behind in it.
-- identity_heads holds each tenant's last log position: writers lock it, one at a time.

ALTER TABLE customers ADD COLUMN profile_no BIGINT;
ALTER TABLE customers ADD COLUMN canonical_id TEXT;
ALTER TABLE customers ADD COLUMN merged_into TEXT;
ALTER TABLE customers ADD COLUMN attributes TEXT NOT NULL DEFAULT '{}';
ALTER TABLE customers ADD COLUMN erased_at BIGINT;
UPDATE customers SET canonical_id = id;
CREATE UNIQUE INDEX customers_profile_no_idx ON customers (tenant_id, profile_no);
CREATE INDEX customers_canonical_idx ON customers (canonical_id);

-- Identities as the graph holds them. home_id is the profile the identity was first linked to
-- (events that arrive through it are recorded there, so that undoing a merge needs no moving);
-- holder_id is the live profile that holds it now (the survivor of any merges).
CREATE TABLE profile_identities (
    tenant_id    TEXT NOT NULL,
    token        TEXT NOT NULL,
    kind         TEXT NOT NULL,
    scope        TEXT,
    value        TEXT NOT NULL,
    home_id      TEXT NOT NULL REFERENCES customers(id),
    holder_id    TEXT NOT NULL REFERENCES customers(id),
    source       TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, token, home_id)
);
CREATE INDEX profile_identities_holder_idx ON profile_identities (holder_id);
CREATE INDEX profile_identities_home_idx ON profile_identities (home_id);
CREATE INDEX profile_identities_value_idx ON profile_identities (tenant_id, kind, value);

CREATE TABLE identity_heads (
    tenant_id  TEXT PRIMARY KEY,
    seq        BIGINT NOT NULL,
    token      TEXT NOT NULL
);

CREATE TABLE identity_log (
    tenant_id  TEXT NOT NULL,
    seq        BIGINT NOT NULL,
    token      TEXT NOT NULL,
    body       TEXT NOT NULL,
    at         BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);

CREATE TABLE customer_merges (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    merge_no     BIGINT NOT NULL,
    survivor_id  TEXT NOT NULL REFERENCES customers(id),
    absorbed_id  TEXT NOT NULL REFERENCES customers(id),
    reason       TEXT NOT NULL,
    detail       TEXT NOT NULL,
    source       TEXT NOT NULL,
    at           BIGINT NOT NULL,
    undone_at    BIGINT,
    CONSTRAINT customer_merges_no_key UNIQUE (tenant_id, merge_no)
);
CREATE INDEX customer_merges_survivor_idx ON customer_merges (survivor_id, at);
CREATE INDEX customer_merges_absorbed_idx ON customer_merges (absorbed_id, at);

-- Profiles an observation tied together but that hold different values of one kind: kept for review.
CREATE TABLE identity_conflicts (
    tenant_id   TEXT NOT NULL,
    kind        TEXT NOT NULL,
    kept_id     TEXT NOT NULL REFERENCES customers(id),
    apart_id    TEXT NOT NULL REFERENCES customers(id),
    via         TEXT NOT NULL,
    at          BIGINT NOT NULL
);
CREATE INDEX identity_conflicts_tenant_idx ON identity_conflicts (tenant_id, at);

CREATE TABLE customer_tags (
    tenant_id    TEXT NOT NULL,
    customer_id  TEXT NOT NULL REFERENCES customers(id),
    tag          TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (customer_id, tag)
);
CREATE INDEX customer_tags_tag_idx ON customer_tags (tenant_id, tag);

-- Orders from other channels (Taobao, JD exports, store POS), each on the profile of the identity
-- it came with. Keyed by the channel's order id, so importing a file again changes nothing.
CREATE TABLE customer_orders (
    tenant_id    TEXT NOT NULL,
    source       TEXT NOT NULL,
    order_id     TEXT NOT NULL,
    customer_id  TEXT NOT NULL REFERENCES customers(id),
    amount_fen   BIGINT NOT NULL,
    state        TEXT,
    sku          TEXT,
    items        TEXT,
    quantity     BIGINT,
    ordered_at   BIGINT,
    paid_at      BIGINT,
    imported_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, source, order_id)
);
CREATE INDEX customer_orders_customer_idx ON customer_orders (customer_id, ordered_at);

-- A tenant's stitching rules (shared-value threshold, placeholder values), as JSON; absent
-- means the defaults.
CREATE TABLE identity_policies (
    tenant_id   TEXT PRIMARY KEY REFERENCES tenants(id),
    body        TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- What a customer agreed to (marketing pushes, SMS, profiling), with where and when: the latest
-- word per purpose counts.
CREATE TABLE customer_consents (
    tenant_id    TEXT NOT NULL,
    customer_id  TEXT NOT NULL REFERENCES customers(id),
    purpose      TEXT NOT NULL,
    granted      BOOLEAN NOT NULL,
    source       TEXT NOT NULL,
    at           BIGINT NOT NULL,
    PRIMARY KEY (customer_id, purpose)
);
