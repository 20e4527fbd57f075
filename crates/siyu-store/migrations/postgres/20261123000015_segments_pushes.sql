-- Segments and pushes. Every change that can move a customer in or out of a segment is written
-- to audience_changes (by triggers, so no write path can forget): each node's in-memory audience
-- index follows this table and reloads the profiles it names.

CREATE TABLE audience_changes (
    seq          BIGSERIAL PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    customer_id  TEXT NOT NULL,
    txid         BIGINT NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
    at           BIGINT NOT NULL DEFAULT ((extract(epoch FROM clock_timestamp()) * 1000)::bigint)
);
CREATE INDEX audience_changes_tenant_idx ON audience_changes (tenant_id, seq);
-- Rows of transactions still running when a node last read are read again by transaction id.
CREATE INDEX audience_changes_txid_idx ON audience_changes (tenant_id, txid);

-- NEW (or OLD on delete) row's tenant_id and the column named by the trigger's argument.
CREATE FUNCTION audience_touch() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r jsonb;
BEGIN
    IF TG_OP = 'DELETE' THEN r := to_jsonb(OLD); ELSE r := to_jsonb(NEW); END IF;
    INSERT INTO audience_changes (tenant_id, customer_id) VALUES (r->>'tenant_id', r->>TG_ARGV[0]);
    IF TG_OP = 'UPDATE' THEN
        IF to_jsonb(OLD)->>TG_ARGV[0] IS DISTINCT FROM r->>TG_ARGV[0] THEN
            INSERT INTO audience_changes (tenant_id, customer_id)
                VALUES (r->>'tenant_id', to_jsonb(OLD)->>TG_ARGV[0]);
        END IF;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION audience_touch_customer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR OLD.following IS DISTINCT FROM NEW.following
       OR OLD.followed_at IS DISTINCT FROM NEW.followed_at OR OLD.first_scene IS DISTINCT FROM NEW.first_scene
       OR OLD.last_scene IS DISTINCT FROM NEW.last_scene OR OLD.last_interaction_at IS DISTINCT FROM NEW.last_interaction_at
       OR OLD.canonical_id IS DISTINCT FROM NEW.canonical_id OR OLD.attributes IS DISTINCT FROM NEW.attributes
       OR OLD.erased_at IS DISTINCT FROM NEW.erased_at THEN
        INSERT INTO audience_changes (tenant_id, customer_id) VALUES (NEW.tenant_id, NEW.id);
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.canonical_id IS NOT NULL AND OLD.canonical_id IS DISTINCT FROM NEW.canonical_id THEN
        INSERT INTO audience_changes (tenant_id, customer_id) VALUES (NEW.tenant_id, OLD.canonical_id);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION audience_touch_points() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audience_changes (tenant_id, customer_id)
        SELECT tenant_id, customer_id FROM member_cards WHERE id = NEW.card_id;
    RETURN NULL;
END $$;

CREATE TRIGGER audience_customers AFTER INSERT OR UPDATE ON customers
    FOR EACH ROW EXECUTE FUNCTION audience_touch_customer();
CREATE TRIGGER audience_tags AFTER INSERT OR DELETE ON customer_tags
    FOR EACH ROW EXECUTE FUNCTION audience_touch('customer_id');
CREATE TRIGGER audience_orders AFTER INSERT OR UPDATE ON customer_orders
    FOR EACH ROW EXECUTE FUNCTION audience_touch('customer_id');
CREATE TRIGGER audience_cards AFTER INSERT OR UPDATE ON member_cards
    FOR EACH ROW EXECUTE FUNCTION audience_touch('customer_id');
CREATE TRIGGER audience_points AFTER INSERT ON points_ledger
    FOR EACH ROW EXECUTE FUNCTION audience_touch_points();
CREATE TRIGGER audience_identities AFTER INSERT OR UPDATE OR DELETE ON profile_identities
    FOR EACH ROW EXECUTE FUNCTION audience_touch('holder_id');
CREATE TRIGGER audience_consents AFTER INSERT OR UPDATE OR DELETE ON customer_consents
    FOR EACH ROW EXECUTE FUNCTION audience_touch('customer_id');

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
    id           BIGSERIAL PRIMARY KEY,
    push_id      TEXT NOT NULL REFERENCES pushes(id),
    customer_id  TEXT,
    visitor      TEXT NOT NULL,
    at           BIGINT NOT NULL
);
CREATE INDEX push_clicks_push_idx ON push_clicks (push_id, at);
