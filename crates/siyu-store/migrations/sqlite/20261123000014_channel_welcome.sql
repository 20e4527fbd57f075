-- What a fan gets on following through a channel: its own welcome message (instead of the
-- account's) and tags.
CREATE TABLE channel_settings (
    channel_id    TEXT PRIMARY KEY REFERENCES channels(id),
    tenant_id     TEXT NOT NULL,
    welcome_text  TEXT,
    tags          TEXT NOT NULL DEFAULT '[]',
    updated_at    BIGINT NOT NULL
);
