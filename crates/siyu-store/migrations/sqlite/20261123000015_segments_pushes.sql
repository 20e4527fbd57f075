-- Segments and pushes. Every change that can move a customer in or out of a segment is written
-- to audience_changes (by triggers, so no write path can forget): each node's in-memory audience
-- index follows this table and reloads the profiles it names.

CREATE TABLE audience_changes (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id    TEXT NOT NULL,
    customer_id  TEXT NOT NULL,
    txid         BIGINT,
    at           BIGINT NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER) * 1000)
);
CREATE INDEX audience_changes_tenant_idx ON audience_changes (tenant_id, seq);

CREATE TRIGGER audience_customers_insert AFTER INSERT ON customers BEGIN
    INSERT INTO audience_changes (tenant_id, customer_id) VALUES (NEW.tenant_id, NEW.id);
END;
CREATE TRIGGER audience_customers_update AFTER UPDATE ON customers
WHEN OLD.following IS NOT NEW.following OR OLD.followed_at IS NOT NEW.followed_at
  OR OLD.first_scene IS NOT NEW.first_scene OR OLD.last_scene IS NOT NEW.last_scene
  OR OLD.last_interaction_at IS NOT NEW.last_interaction_at OR OLD.canonical_id IS NOT NEW.canonical_id
  OR OLD.attributes IS NOT NEW.attributes OR OLD.erased_at IS NOT NEW.erased_at
BEGIN
    INSERT INTO audience_changes (tenant_id, customer_id) VALUES (NEW.tenant_id, NEW.id);
    INSERT INTO audience_changes (tenant_id, customer_id)
        SELECT NEW.tenant_id, OLD.canonical_id WHERE OLD.canonical_id IS NOT NULL AND OLD.canonical_id IS NOT NEW.canonical_id;
END;
CREATE TRIGGER audience_tags_insert AFTER INSERT ON customer_tags BEGIN
    INSERT INTO audience_changes (tenant_id, customer_id) VALUES (NEW.tenant_id, NEW.customer_id);
END;
CREATE TRIGGER audience_tags_delete AFTER DELETE ON customer_tags BEGIN
    INSERT INTO audience_changes (tenant_id, customer_id) VALUES (OLD.tenant_id, OLD.customer_id);
END;
CREATE TRIGGER audience_orders_insert AFTER INSERT ON customer_orders BEGIN
    INSERT INTO audience_changes (tenant_id, customer_id) VALUES (NEW.tenant_id, NEW.customer_id);
END;
CREATE TRIGGER audience_orders_update AFTER UPDATE ON customer_orders BEGIN
    INSERT INTO audience_changes (tenant_id, customer_id) VALUES (NEW.tenant_id, NEW.customer_id);
END;
CREATE TRIGGER audience_cards_insert AFTER INSERT ON member_cards BEGIN
    INSERT INTO audience_changes (tenant_id, customer_id) VALUES (NEW.tenant_id, NEW.customer_id);
END;
CREATE TRIGGER audience_cards_update AFTER UPDATE ON member_cards BEGIN
    INSERT INTO audience_changes (tenant_id, customer_id) VALUES (NEW.tenant_id, NEW.customer_id);
END;
CREATE TRIGGER audience_points_insert AFTER INSERT ON points_ledger BEGIN
    INSERT INTO audience_changes (tenant_id, customer_id)
        SELECT tenant_id, customer_id FROM member_cards WHERE id = NEW.card_id;
END;
CREATE TRIGGER audience_identities_insert AFTER INSERT ON profile_identities BEGIN
    INSERT INTO audience_changes (tenant_id, customer_id) VALUES (NEW.tenant_id, NEW.holder_id);
END;
CREATE TRIGGER audience_identities_update AFTER UPDATE ON profile_identities BEGIN
    INSERT INTO audience_changes (tenant_id, customer_id) VALUES (NEW.tenant_id, NEW.holder_id);
    INSERT INTO audience_changes (tenant_id, customer_id)
        SELECT OLD.tenant_id, OLD.holder_id WHERE OLD.holder_id IS NOT NEW.holder_id;
END;
CREATE TRIGGER audience_identities_delete AFTER DELETE ON profile_identities BEGIN
    INSERT INTO audience_changes (tenant_id, customer_id) VALUES (OLD.tenant_id, OLD.holder_id);
END;
CREATE TRIGGER audience_consents_insert AFTER INSERT ON customer_consents BEGIN
    INSERT INTO audience_changes (tenant_id, customer_id) VALUES (NEW.tenant_id, NEW.customer_id);
END;
CREATE TRIGGER audience_consents_update AFTER UPDATE ON customer_consents BEGIN
    INSERT INTO audience_changes (tenant_id, customer_id) VALUES (NEW.tenant_id, NEW.customer_id);
END;
CREATE TRIGGER audience_consents_delete AFTER DELETE ON customer_consents BEGIN
    INSERT INTO audience_changes (tenant_id, customer_id) VALUES (OLD.tenant_id, OLD.customer_id);
END;

-- A saved segment: its canonical text. wechat_tag_id is the WeChat user tag kept in sync with
-- its members for mass sends.
CREATE TABLE segments (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants(id),
    name           TEXT NOT NULL,
    query          TEXT NOT NULL,
    wechat_tag_id  BIGINT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    CONSTRAINT segments_name_key UNIQUE (tenant_id, name)
);

-- Which fans carry a segment's WeChat tag now (so the next sync tags and untags the difference).
CREATE TABLE segment_wechat_members (
    segment_id  TEXT NOT NULL REFERENCES segments(id),
    openid      TEXT NOT NULL,
    PRIMARY KEY (segment_id, openid)
);

-- A push: content for a segment's fans (or a WeChat tag's), sent at send_at.
-- status: scheduled | sending | submitted | sent | failed | cancelled.
-- mode: mass (WeChat mass send by tag) | custom (customer-service messages, 48-hour window).
CREATE TABLE pushes (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants(id),
    account_id     TEXT NOT NULL REFERENCES wechat_accounts(id),
    segment_id     TEXT REFERENCES segments(id),
    wechat_tag_id  BIGINT,
    content        TEXT NOT NULL,
    status         TEXT NOT NULL,
    mode           TEXT,
    send_at        BIGINT NOT NULL,
    audience_size  BIGINT,
    msg_id         BIGINT,
    total_count    BIGINT,
    sent_count     BIGINT,
    error_count    BIGINT,
    error          TEXT,
    created_by     TEXT,
    created_at     BIGINT NOT NULL,
    started_at     BIGINT,
    delivered_at   BIGINT,
    finished_at    BIGINT
);
CREATE INDEX pushes_tenant_idx ON pushes (tenant_id, created_at);
CREATE INDEX pushes_msg_idx ON pushes (account_id, msg_id);

-- Who a push was for, fixed at send time. state: pending | claimed | sent | failed.
-- A recipient is claimed (committed) before its message goes out, so a resumed push never sends
-- to one fan twice.
CREATE TABLE push_recipients (
    push_id      TEXT NOT NULL REFERENCES pushes(id),
    customer_id  TEXT NOT NULL,
    openid       TEXT NOT NULL,
    token        TEXT NOT NULL,
    state        TEXT NOT NULL,
    error        TEXT,
    sent_at      BIGINT,
    PRIMARY KEY (push_id, customer_id)
);
CREATE UNIQUE INDEX push_recipients_token_idx ON push_recipients (token);

-- Opens of a push's tracked link (a recipient's own link, or the shared one of a mass send).
CREATE TABLE push_clicks (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    push_id      TEXT NOT NULL REFERENCES pushes(id),
    customer_id  TEXT,
    visitor      TEXT NOT NULL,
    at           BIGINT NOT NULL
);
CREATE INDEX push_clicks_push_idx ON push_clicks (push_id, at);
