-- Tenants, staff, API keys, console sessions, login throttling, audit log and jobs.
-- Times are Unix milliseconds (BIGINT) so both backends store them the same way.

CREATE TABLE tenants (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE staff (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT REFERENCES tenants(id),
    login          TEXT NOT NULL,
    role           TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    locale         TEXT,
    created_at     BIGINT NOT NULL,
    disabled_at    BIGINT,
    CONSTRAINT staff_login_key UNIQUE (login)
);
CREATE INDEX staff_tenant_idx ON staff (tenant_id);

CREATE TABLE api_keys (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    label         TEXT NOT NULL,
    prefix        TEXT NOT NULL,
    key_hash      TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT,
    revoked_at    BIGINT,
    last_used_at  BIGINT,
    CONSTRAINT api_keys_hash_key UNIQUE (key_hash)
);
CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id);

CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    staff_id    TEXT NOT NULL REFERENCES staff(id),
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX sessions_staff_idx ON sessions (staff_id);

CREATE TABLE login_failures (
    id     BIGSERIAL PRIMARY KEY,
    login  TEXT NOT NULL,
    ip     TEXT NOT NULL,
    at     BIGINT NOT NULL
);
CREATE INDEX login_failures_login_idx ON login_failures (login, at);
CREATE INDEX login_failures_ip_idx ON login_failures (ip, at);

CREATE TABLE audit_log (
    id         BIGSERIAL PRIMARY KEY,
    tenant_id  TEXT,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    target     TEXT,
    detail     TEXT,
    at         BIGINT NOT NULL
);
CREATE INDEX audit_log_tenant_idx ON audit_log (tenant_id, id);

CREATE TABLE jobs (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT,
    kind          TEXT NOT NULL,
    payload       TEXT NOT NULL,
    dedupe_key    TEXT,
    state         TEXT NOT NULL,
    attempts      BIGINT NOT NULL DEFAULT 0,
    max_attempts  BIGINT NOT NULL,
    run_at        BIGINT NOT NULL,
    locked_by     TEXT,
    locked_until  BIGINT,
    last_error    TEXT,
    created_at    BIGINT NOT NULL,
    finished_at   BIGINT,
    CONSTRAINT jobs_dedupe_key UNIQUE (kind, dedupe_key)
);
CREATE INDEX jobs_ready_idx ON jobs (state, run_at);
