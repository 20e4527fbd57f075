-- A store associate's personal channel: fans who scan it are the associate's.
ALTER TABLE channels ADD COLUMN staff_id TEXT REFERENCES staff(id);
CREATE INDEX channels_staff_idx ON channels (staff_id);
