-- Jobs, the event outbox and outgoing webhooks.
--
-- Workers claim jobs of every tenant, which the application role cannot
-- see (row-level security). They do it through the SECURITY DEFINER
-- functions below, owned by the schema owner, and each function touches
-- only what it is given: jobs that are due, or jobs whose lease token the
-- caller holds. Job bodies then run in their tenant's transaction, under
-- row-level security like any request. System jobs (scheduled maintenance)
-- belong to the nil tenant.

CREATE TABLE jobs (
    tenant_id         uuid        NOT NULL,
    id                uuid        NOT NULL,
    queue             text        NOT NULL CHECK (queue ~ '^[a-z0-9][a-z0-9_.-]{0,63}$'),
    kind              text        NOT NULL CHECK (length(kind) BETWEEN 1 AND 100),
    payload           jsonb       NOT NULL DEFAULT '{}',
    state             text        NOT NULL DEFAULT 'queued'
                                  CHECK (state IN ('queued', 'running', 'succeeded', 'dead', 'cancelled')),
    priority          smallint    NOT NULL DEFAULT 0,
    run_at            timestamptz NOT NULL DEFAULT now(),
    attempts          integer     NOT NULL DEFAULT 0,
    max_attempts      integer     NOT NULL DEFAULT 10 CHECK (max_attempts >= 1),
    backoff_base_ms   integer     NOT NULL DEFAULT 1000 CHECK (backoff_base_ms >= 0),
    backoff_max_ms    integer     NOT NULL DEFAULT 3600000 CHECK (backoff_max_ms >= 0),
    -- No retry starts after this: the job is dead instead.
    expires_at        timestamptz,
    timeout_ms        integer     NOT NULL DEFAULT 300000 CHECK (timeout_ms > 0),
    unique_key        text        CHECK (length(unique_key) BETWEEN 1 AND 200),
    -- The claim's token: only its holder may finish, renew or release it.
    lease             uuid,
    locked_by         text,
    locked_until      timestamptz,
    cancel_requested  boolean     NOT NULL DEFAULT false,
    last_error        text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    started_at        timestamptz,
    finished_at       timestamptz,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
-- Enqueueing the same key twice (per tenant and kind) makes one job.
CREATE UNIQUE INDEX jobs_unique_key ON jobs (tenant_id, kind, unique_key) WHERE unique_key IS NOT NULL;
CREATE INDEX jobs_ready ON jobs (queue, priority DESC, run_at) WHERE state = 'queued';
CREATE INDEX jobs_leases ON jobs (locked_until) WHERE state = 'running';
CREATE INDEX jobs_listing ON jobs (tenant_id, created_at DESC, id DESC);
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE state IN ('succeeded', 'cancelled', 'dead');

-- Wakes idle workers of the job's queue at once.
CREATE FUNCTION jobs_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.state = 'queued' AND NEW.run_at <= now() THEN
        PERFORM pg_notify('tessera_jobs', NEW.queue);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER jobs_notify AFTER INSERT ON jobs FOR EACH ROW EXECUTE FUNCTION jobs_notify();

-- Claims up to p_limit due jobs of a queue for a worker.
CREATE FUNCTION jobs_claim(p_queue text, p_limit integer, p_worker text, p_lease_ms integer)
RETURNS TABLE (tenant_id uuid, id uuid, kind text, payload jsonb, priority smallint,
               attempts integer, max_attempts integer, backoff_base_ms integer,
               backoff_max_ms integer, expires_at timestamptz, timeout_ms integer,
               lease uuid, run_at timestamptz, created_at timestamptz)
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH next AS (
        SELECT j.tenant_id, j.id FROM jobs j
         WHERE j.state = 'queued' AND j.queue = p_queue AND j.run_at <= now()
         ORDER BY j.priority DESC, j.run_at
         LIMIT p_limit
         FOR UPDATE SKIP LOCKED
    )
    UPDATE jobs j
       SET state = 'running', attempts = j.attempts + 1, lease = gen_random_uuid(),
           locked_by = p_worker, locked_until = now() + p_lease_ms * interval '1 millisecond',
           started_at = now(), updated_at = now()
      FROM next
     WHERE j.tenant_id = next.tenant_id AND j.id = next.id
    RETURNING j.tenant_id, j.id, j.kind, j.payload, j.priority, j.attempts, j.max_attempts,
              j.backoff_base_ms, j.backoff_max_ms, j.expires_at, j.timeout_ms, j.lease,
              j.run_at, j.created_at
$$;

-- Marks jobs succeeded; only those whose lease the caller still holds.
CREATE FUNCTION jobs_complete(p_tenants uuid[], p_ids uuid[], p_leases uuid[]) RETURNS integer
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH done AS (
        UPDATE jobs j
           SET state = 'succeeded', lease = NULL, locked_by = NULL, locked_until = NULL,
               finished_at = now(), updated_at = now(), last_error = NULL
          FROM unnest(p_tenants, p_ids, p_leases) AS f(tenant_id, id, lease)
         WHERE j.tenant_id = f.tenant_id AND j.id = f.id AND j.lease = f.lease
           AND j.state = 'running'
        RETURNING 1
    )
    SELECT count(*)::integer FROM done
$$;

-- Records a failed attempt: queued again at p_retry_at, or dead when
-- p_retry_at is null (cancelled when cancellation was asked for). Returns
-- the new state, or null when the caller no longer holds the lease.
CREATE FUNCTION jobs_fail(p_tenant uuid, p_id uuid, p_lease uuid, p_error text, p_retry_at timestamptz)
RETURNS text
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH next AS (
        SELECT j.tenant_id, j.id,
               CASE WHEN j.cancel_requested THEN 'cancelled'
                    WHEN p_retry_at IS NULL THEN 'dead'
                    ELSE 'queued' END AS state
          FROM jobs j
         WHERE j.tenant_id = p_tenant AND j.id = p_id AND j.lease = p_lease AND j.state = 'running'
    )
    UPDATE jobs j
       SET state = next.state,
           run_at = CASE WHEN next.state = 'queued' THEN p_retry_at ELSE j.run_at END,
           last_error = left(p_error, 4000),
           finished_at = CASE WHEN next.state = 'queued' THEN NULL ELSE now() END,
           lease = NULL, locked_by = NULL, locked_until = NULL, updated_at = now()
      FROM next
     WHERE j.tenant_id = next.tenant_id AND j.id = next.id
    RETURNING j.state
$$;

-- Extends the leases the caller holds; returns those still held with
-- whether cancellation was asked for.
CREATE FUNCTION jobs_heartbeat(p_tenants uuid[], p_ids uuid[], p_leases uuid[], p_lease_ms integer)
RETURNS TABLE (tenant_id uuid, id uuid, cancel_requested boolean)
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    UPDATE jobs j
       SET locked_until = now() + p_lease_ms * interval '1 millisecond'
      FROM unnest(p_tenants, p_ids, p_leases) AS f(tenant_id, id, lease)
     WHERE j.tenant_id = f.tenant_id AND j.id = f.id AND j.lease = f.lease AND j.state = 'running'
    RETURNING j.tenant_id, j.id, j.cancel_requested
$$;

-- Gives jobs back unfinished (a worker shutting down): queued again at
-- once, the attempt not counted.
CREATE FUNCTION jobs_release(p_tenants uuid[], p_ids uuid[], p_leases uuid[]) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    q text;
    n integer := 0;
BEGIN
    FOR q IN
        UPDATE jobs j
           SET state = 'queued', attempts = greatest(j.attempts - 1, 0), run_at = now(),
               lease = NULL, locked_by = NULL, locked_until = NULL, updated_at = now()
          FROM unnest(p_tenants, p_ids, p_leases) AS f(tid, jid, lease)
         WHERE j.tenant_id = f.tid AND j.id = f.jid AND j.lease = f.lease AND j.state = 'running'
        RETURNING j.queue
    LOOP
        n := n + 1;
        PERFORM pg_notify('tessera_jobs', q);
    END LOOP;
    RETURN n;
END
$$;

-- Takes back jobs whose worker stopped renewing its lease (it crashed or
-- lost the database): queued again, or dead when out of attempts.
CREATE FUNCTION jobs_reap() RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    r record;
    n integer := 0;
BEGIN
    FOR r IN
        WITH expired AS (
            SELECT e.tenant_id AS tid, e.id AS jid,
                   CASE WHEN e.cancel_requested THEN 'cancelled'
                        WHEN e.attempts >= e.max_attempts
                          OR (e.expires_at IS NOT NULL AND e.expires_at < now()) THEN 'dead'
                        ELSE 'queued' END AS next_state
              FROM jobs e
             WHERE e.state = 'running' AND e.locked_until < now()
             FOR UPDATE SKIP LOCKED
        )
        UPDATE jobs j
           SET state = expired.next_state,
               run_at = now(),
               last_error = 'the worker running it stopped (its lease expired during attempt '
                            || j.attempts || ')',
               finished_at = CASE WHEN expired.next_state = 'queued' THEN NULL ELSE now() END,
               lease = NULL, locked_by = NULL, locked_until = NULL, updated_at = now()
          FROM expired
         WHERE j.tenant_id = expired.tid AND j.id = expired.jid
        RETURNING j.queue, j.state
    LOOP
        n := n + 1;
        IF r.state = 'queued' THEN
            PERFORM pg_notify('tessera_jobs', r.queue);
        END IF;
    END LOOP;
    RETURN n;
END
$$;

-- Queue depth for metrics and operators: unfinished and dead jobs.
CREATE FUNCTION jobs_stats()
RETURNS TABLE (queue text, state text, jobs bigint, oldest_run_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT queue, state, count(*), min(run_at) FROM jobs
     WHERE state IN ('queued', 'running', 'dead')
     GROUP BY queue, state
$$;

-- Deletes finished jobs past their retention.
CREATE FUNCTION jobs_prune(p_finished_before timestamptz, p_dead_before timestamptz) RETURNS bigint
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH gone AS (
        DELETE FROM jobs
         WHERE (state IN ('succeeded', 'cancelled') AND finished_at < p_finished_before)
            OR (state = 'dead' AND finished_at < p_dead_before)
        RETURNING 1
    )
    SELECT count(*) FROM gone
$$;

-- The event outbox. `pos` increases in commit order within a tenant:
-- appends of one tenant take its head row's lock until they commit.
CREATE SEQUENCE events_pos;

CREATE TABLE event_heads (
    tenant_id  uuid   PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    last_pos   bigint NOT NULL,
    events     bigint NOT NULL DEFAULT 1
);

CREATE TABLE events (
    tenant_id        uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    pos              bigint      NOT NULL,
    id               uuid        NOT NULL,
    type             text        NOT NULL CHECK (type ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$'),
    payload          jsonb       NOT NULL,
    request_id       text,
    state            text        NOT NULL DEFAULT 'pending'
                                 CHECK (state IN ('pending', 'dispatched', 'failed')),
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz,
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    dispatched_at    timestamptz,
    PRIMARY KEY (tenant_id, pos),
    UNIQUE (tenant_id, id)
);
CREATE INDEX events_pending ON events (pos) WHERE state = 'pending';
CREATE INDEX events_listing ON events (tenant_id, created_at DESC, pos DESC);
CREATE INDEX events_done ON events (dispatched_at) WHERE state <> 'pending';

CREATE FUNCTION events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('tessera_events', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER events_notify AFTER INSERT ON events FOR EACH STATEMENT EXECUTE FUNCTION events_notify();

-- The next events to dispatch, oldest first. A tenant whose earliest
-- pending event waits for a retry contributes nothing (order per tenant).
CREATE FUNCTION events_pending(p_limit integer)
RETURNS TABLE (tenant_id uuid, pos bigint, id uuid, type text, payload jsonb,
               request_id text, attempts integer, created_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT e.tenant_id, e.pos, e.id, e.type, e.payload, e.request_id, e.attempts, e.created_at
      FROM events e
     WHERE e.state = 'pending'
       AND NOT EXISTS (SELECT 1 FROM events b
                        WHERE b.tenant_id = e.tenant_id AND b.state = 'pending'
                          AND b.pos <= e.pos AND b.next_attempt_at > now())
     ORDER BY e.pos
     LIMIT p_limit
$$;

-- Deletes dispatched events past their retention.
CREATE FUNCTION events_prune(p_before timestamptz) RETURNS bigint
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH gone AS (DELETE FROM events WHERE state <> 'pending' AND dispatched_at < p_before RETURNING 1)
    SELECT count(*) FROM gone
$$;

-- Tenants' webhook subscriptions. The signing secret is sealed with the
-- instance's master key (it must be recoverable to sign); during a
-- rotation the previous secret keeps signing too until it expires.
CREATE TABLE webhook_subscriptions (
    tenant_id                    uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                           uuid        NOT NULL,
    url                          text        NOT NULL CHECK (length(url) BETWEEN 1 AND 2000),
    description                  text        NOT NULL DEFAULT '' CHECK (length(description) <= 500),
    event_types                  text[]      NOT NULL CHECK (cardinality(event_types) BETWEEN 1 AND 100),
    secret                       bytea       NOT NULL,
    previous_secret              bytea,
    previous_secret_expires_at   timestamptz,
    active                       boolean     NOT NULL DEFAULT true,
    created_by                   uuid,
    created_at                   timestamptz NOT NULL DEFAULT now(),
    updated_at                   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);

-- One event sent to one subscription, with every attempt in `attempt_log`.
CREATE TABLE webhook_deliveries (
    tenant_id        uuid        NOT NULL,
    id               uuid        NOT NULL,
    subscription_id  uuid        NOT NULL,
    event_id         uuid        NOT NULL,
    event_type       text        NOT NULL,
    body             jsonb       NOT NULL,
    state            text        NOT NULL DEFAULT 'pending'
                                 CHECK (state IN ('pending', 'succeeded', 'failed', 'cancelled')),
    attempts         integer     NOT NULL DEFAULT 0,
    last_status      integer,
    last_error       text,
    last_attempt_at  timestamptz,
    attempt_log      jsonb       NOT NULL DEFAULT '[]',
    resend_of        uuid,
    created_at       timestamptz NOT NULL DEFAULT now(),
    finished_at      timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, subscription_id)
        REFERENCES webhook_subscriptions (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_subscription
    ON webhook_deliveries (tenant_id, subscription_id, created_at DESC, id DESC);

-- Row-level security: tenant isolation for everyone, and for the schema
-- owner (the SECURITY DEFINER functions above, and operators' commands)
-- every row of the queue tables.
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['jobs', 'event_heads', 'events', 'webhook_subscriptions',
                             'webhook_deliveries'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
            USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
            WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)$p$, t);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['jobs', 'events'] LOOP
        EXECUTE format('CREATE POLICY queue_owner ON %I TO CURRENT_USER USING (true) WITH CHECK (true)', t);
    END LOOP;
END
$$;
