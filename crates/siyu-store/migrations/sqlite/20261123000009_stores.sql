-- Physical stores: coordinates and a geofence radius for location-triggered offers.
CREATE TABLE stores (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    name        TEXT NOT NULL,
    latitude    REAL NOT NULL,
    longitude   REAL NOT NULL,
    radius_m    BIGINT NOT NULL,
    offer_text  TEXT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX stores_tenant_idx ON stores (tenant_id);
