-- The custom menu a merchant edits in the console, and when it was last published to WeChat.
ALTER TABLE wechat_accounts ADD COLUMN menu TEXT;
ALTER TABLE wechat_accounts ADD COLUMN menu_published_at BIGINT;
