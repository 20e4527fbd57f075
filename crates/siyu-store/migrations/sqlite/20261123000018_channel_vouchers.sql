-- A channel can give every fan who follows through it a voucher (issued once per fan).
ALTER TABLE channel_settings ADD COLUMN voucher_template_id TEXT;
