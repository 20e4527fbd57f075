-- The event-key index only serves channel figures; keep it to event rows so that on a fresh
-- database without statistics the planner does not prefer it over the dedupe key for lookups.
DROP INDEX wechat_inbound_event_key_idx;
CREATE INDEX wechat_inbound_event_key_idx ON wechat_inbound (account_id, event_key) WHERE event IS NOT NULL;
