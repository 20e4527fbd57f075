-- Channel batches: many codes made in one action (300 table codes for a restaurant), printed
-- together. A batch's channels carry its id and their number in it (the print order).
CREATE TABLE channel_batches (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    count       BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX channel_batches_tenant_idx ON channel_batches (tenant_id, created_at);
ALTER TABLE channels ADD COLUMN batch_id TEXT REFERENCES channel_batches(id);
ALTER TABLE channels ADD COLUMN batch_seq BIGINT;
CREATE INDEX channels_batch_idx ON channels (batch_id, batch_seq);
