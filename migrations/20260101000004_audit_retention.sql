-- Audit retention: monthly partitions older than the retention period are
-- dropped; for each tenant the last removed link is kept as an anchor so
-- the remaining chain still verifies from its first row.

CREATE TABLE audit_anchors (
    tenant_id       uuid        PRIMARY KEY,
    seq             bigint      NOT NULL,
    hash            bytea       NOT NULL,
    removed_before  timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE audit_anchors ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_anchors FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_anchors
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
INSERT INTO app_table_privileges (table_name, privileges) VALUES ('audit_anchors', 'SELECT');

-- Retention runs as the schema owner, across tenants, and only inside
-- audit_drop_partitions (which sets app.audit_retention for its own
-- transaction); otherwise the owner is confined like everyone else.
CREATE POLICY retention ON audit_log TO CURRENT_USER
    USING (current_setting('app.audit_retention', true) = 'on')
    WITH CHECK (current_setting('app.audit_retention', true) = 'on');
CREATE POLICY retention ON audit_anchors TO CURRENT_USER
    USING (current_setting('app.audit_retention', true) = 'on')
    WITH CHECK (current_setting('app.audit_retention', true) = 'on');

-- Drops the audit partitions that end at or before p_before, anchoring each
-- tenant's chain at its last removed row. Returns the partitions dropped.
CREATE FUNCTION audit_drop_partitions(p_before timestamptz) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    part record;
    upper_bound timestamptz;
    dropped integer := 0;
BEGIN
    PERFORM set_config('app.audit_retention', 'on', true);
    FOR part IN
        SELECT c.relname AS name
          FROM pg_inherits i
          JOIN pg_class c ON c.oid = i.inhrelid
          JOIN pg_class p ON p.oid = i.inhparent
         WHERE p.relname = 'audit_log' AND c.relname ~ '^audit_log_y[0-9]{4}m[0-9]{2}$'
         ORDER BY c.relname
    LOOP
        upper_bound := (to_date(substr(part.name, 12, 4) || substr(part.name, 17, 2), 'YYYYMM')
                        + interval '1 month')::timestamptz;
        IF upper_bound > p_before THEN
            CONTINUE;
        END IF;
        EXECUTE format($q$
            INSERT INTO audit_anchors AS a (tenant_id, seq, hash, removed_before)
            SELECT DISTINCT ON (tenant_id) tenant_id, seq, hash, %L::timestamptz
              FROM %I ORDER BY tenant_id, seq DESC
            ON CONFLICT (tenant_id) DO UPDATE
               SET seq = excluded.seq, hash = excluded.hash,
                   removed_before = excluded.removed_before, updated_at = now()
             WHERE excluded.seq > a.seq$q$, upper_bound, part.name);
        EXECUTE format('DROP TABLE %I', part.name);
        dropped := dropped + 1;
    END LOOP;
    PERFORM set_config('app.audit_retention', '', true);
    RETURN dropped;
END
$$;
