-- How a draw is entered from WeChat (a keyword; a menu click sends DRAW:<campaign id>) and which
-- voucher template each prize issues when won ({"<prize index>": "<template id>"}).
CREATE TABLE draw_settings (
    campaign_id     TEXT PRIMARY KEY REFERENCES draw_campaigns(id),
    tenant_id       TEXT NOT NULL,
    keyword         TEXT,
    prize_vouchers  TEXT NOT NULL DEFAULT '{}',
    updated_at      BIGINT NOT NULL
);
CREATE INDEX draw_settings_keyword_idx ON draw_settings (tenant_id, keyword);

-- A voucher is issued once per source (a draw entry, a segment issuance to one customer).
CREATE INDEX vouchers_source_idx ON vouchers (tenant_id, source);
