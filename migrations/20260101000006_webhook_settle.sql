-- A webhook delivery records its own outcome when its job ends. A job can
-- end without running that code: an operator cancels it, or its worker
-- stops during the last attempt and the reaper dead-letters it. Such a
-- delivery would show 'pending' forever; this settles it from its job's
-- end state. The jobs.prune maintenance job runs it every hour.
CREATE FUNCTION webhook_deliveries_settle() RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    t uuid;
    k bigint;
    n bigint := 0;
    saved text := current_setting('app.tenant_id', true);
BEGIN
    FOR t IN
        SELECT DISTINCT j.tenant_id FROM jobs j
         WHERE j.kind = 'webhooks.deliver' AND j.state IN ('dead', 'cancelled')
    LOOP
        -- Deliveries are visible one tenant at a time, even here.
        PERFORM set_config('app.tenant_id', t::text, true);
        UPDATE webhook_deliveries d
           SET state = CASE WHEN j.state = 'cancelled' THEN 'cancelled' ELSE 'failed' END,
               last_error = CASE WHEN j.state = 'cancelled' THEN 'the delivery job was cancelled'
                                 ELSE coalesce(j.last_error, 'the delivery job ended without delivering')
                            END,
               finished_at = coalesce(j.finished_at, now())
          FROM jobs j
         WHERE d.tenant_id = t AND d.state = 'pending'
           AND j.tenant_id = t AND j.kind = 'webhooks.deliver' AND j.unique_key = d.id::text
           AND j.state IN ('dead', 'cancelled');
        GET DIAGNOSTICS k = ROW_COUNT;
        n := n + k;
    END LOOP;
    PERFORM set_config('app.tenant_id', coalesce(saved, ''), true);
    RETURN n;
END
$$;
