-- Channels: named touchpoints, each with its own parametric QR scene.
CREATE TABLE channels (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    account_id   TEXT NOT NULL REFERENCES wechat_accounts(id),
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    scene        TEXT NOT NULL,
    cost_fen     BIGINT,
    ticket       TEXT NOT NULL,
    qr_url       TEXT NOT NULL,
    expires_at   BIGINT,
    created_at   BIGINT NOT NULL,
    CONSTRAINT channels_scene_key UNIQUE (account_id, scene)
);
CREATE INDEX channels_tenant_idx ON channels (tenant_id, created_at);
CREATE INDEX wechat_inbound_event_key_idx ON wechat_inbound (account_id, event, event_key);
CREATE INDEX follow_history_scene_idx ON follow_history (tenant_id, scene, action);
CREATE INDEX customers_first_scene_idx ON customers (tenant_id, first_scene);
