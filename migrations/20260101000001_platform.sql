-- Platform tables: the privilege registry and idempotency keys.

-- Tables whose application-role privileges differ from the default
-- (SELECT, INSERT, UPDATE, DELETE). Read by `tessera migrate` when it
-- grants privileges; e.g. append-only audit tables list 'SELECT, INSERT'.
CREATE TABLE app_table_privileges (
    table_name  text PRIMARY KEY,
    privileges  text NOT NULL
);
INSERT INTO app_table_privileges VALUES ('app_table_privileges', 'SELECT');

-- Stored responses of POST requests sent with an Idempotency-Key.
-- Anonymous requests use the nil tenant.
CREATE TABLE idempotency_keys (
    tenant_id         uuid        NOT NULL,
    scope             text        NOT NULL,
    key               text        NOT NULL,
    method            text        NOT NULL,
    path              text        NOT NULL,
    request_hash      bytea       NOT NULL,
    status            smallint,
    response_headers  jsonb,
    response_body     bytea,
    locked_until      timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, scope, key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);

ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON idempotency_keys
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
