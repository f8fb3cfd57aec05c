-- The isolation rules in one place, the queue's privileged functions out
-- of the application role's reach, and idempotent requests that cannot
-- run twice.

-- Tenant isolation for a table: row-level security enabled and forced
-- (the owner is confined too), and the policy that confines every row to
-- the tenant of its transaction (`app.tenant_id`). Every migration that
-- creates a tenant table calls `SELECT enable_tenant_rls('the_table');`.
CREATE FUNCTION enable_tenant_rls(t regclass) RETURNS void
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %s', t);
    EXECUTE format($p$CREATE POLICY tenant_isolation ON %s
        USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
        WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)$p$, t);
END
$$;

-- Functions that only the workers' role or the schema owner may run, each
-- with the reason it exists. `tessera migrate` revokes them from PUBLIC
-- and grants the workers' ones to the workers' role; a test checks that
-- every SECURITY DEFINER function is listed here and that the role
-- serving requests can run none of them.
CREATE TABLE privileged_functions (
    name    text PRIMARY KEY,
    role    text NOT NULL CHECK (role IN ('worker', 'owner')),
    reason  text NOT NULL CHECK (length(reason) > 0)
);
INSERT INTO app_table_privileges (table_name, privileges) VALUES ('privileged_functions', 'SELECT');

INSERT INTO privileged_functions (name, role, reason) VALUES
    ('jobs_claim', 'worker', 'claims due jobs of every tenant for a worker (SECURITY DEFINER: the queue spans tenants)'),
    ('jobs_complete', 'worker', 'marks claimed jobs succeeded; only with the claim''s lease token'),
    ('jobs_fail', 'worker', 'records a failed attempt of a claimed job; only with its lease token'),
    ('jobs_heartbeat', 'worker', 'extends the leases a worker holds; only with their tokens'),
    ('jobs_release', 'worker', 'gives unfinished jobs back at shutdown; only with their lease tokens'),
    ('jobs_reap', 'worker', 'requeues jobs of every tenant whose worker stopped renewing its lease'),
    ('jobs_stats', 'worker', 'queue depth across tenants, for metrics and operators'),
    ('jobs_prune', 'worker', 'deletes finished jobs of every tenant past their retention'),
    ('events_pending', 'worker', 'the next events of every tenant for the dispatcher'),
    ('events_prune', 'worker', 'deletes dispatched events of every tenant past their retention'),
    ('webhook_deliveries_settle', 'worker', 'settles webhook deliveries whose job ended without them, tenant by tenant'),
    ('audit_ensure_partitions', 'owner', 'creates the audit trail''s monthly partitions (DDL)'),
    ('audit_drop_partitions', 'owner', 'drops audit partitions past the retention period, anchoring each chain (DDL)'),
    ('enable_tenant_rls', 'owner', 'puts a table under tenant isolation (DDL, run by migrations)');

DO $$
DECLARE f text;
BEGIN
    FOR f IN SELECT name FROM privileged_functions LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %I FROM PUBLIC', f);
    END LOOP;
END
$$;

-- Idempotent requests: the claim's lease token, and a record written in
-- the handler's own transaction when it commits. A retry of a request
-- whose work committed but whose response was never stored (the process
-- died in between) is answered from this record instead of running again.
ALTER TABLE idempotency_keys ADD COLUMN lease uuid;

CREATE TABLE idempotency_commits (
    lease         uuid        PRIMARY KEY,
    committed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idempotency_commits_committed_at ON idempotency_commits (committed_at);
