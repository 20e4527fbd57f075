-- How far each tenant's audience changes have been deleted: a node whose cursor is below this
-- may have missed changes and rebuilds its index instead of catching up.
CREATE TABLE audience_pruned (
    tenant_id  TEXT PRIMARY KEY,
    upto       BIGINT NOT NULL
);
