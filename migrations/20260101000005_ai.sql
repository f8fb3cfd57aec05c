-- The AI runtime: tenants' providers (credentials sealed with the
-- instance's master key, never returned), their routing policy, and the
-- usage ledger of every model call.

CREATE TABLE ai_providers (
    tenant_id        uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               uuid        NOT NULL,
    name             text        NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,39}$'),
    kind             text        NOT NULL CHECK (kind IN ('openai', 'azure', 'gemini', 'ollama', 'vllm',
                                                          'llamacpp', 'openai_compatible')),
    base_url         text        NOT NULL CHECK (length(base_url) BETWEEN 1 AND 2000),
    chat_model       text,
    embedding_model  text,
    api_version      text,
    api_key          bytea,
    headers          bytea,
    header_names     text[]      NOT NULL DEFAULT '{}',
    locality         text        NOT NULL DEFAULT 'cloud' CHECK (locality IN ('local', 'cloud')),
    priority         integer     NOT NULL DEFAULT 100,
    enabled          boolean     NOT NULL DEFAULT true,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, name)
);

CREATE TABLE ai_policies (
    tenant_id        uuid          PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    -- Share of calls (percent) sent to cloud providers first when both
    -- local and cloud models can serve them.
    cloud_share      smallint      NOT NULL DEFAULT 30 CHECK (cloud_share BETWEEN 0 AND 100),
    -- Task → ordered provider names (`local` for the in-process models).
    routes           jsonb         NOT NULL DEFAULT '{}',
    -- Spend per calendar month (USD); past it only local models are used.
    monthly_budget   numeric(14,4) CHECK (monthly_budget >= 0),
    -- Percent of the budget at which a warning is raised.
    soft_limit_pct   smallint      NOT NULL DEFAULT 80 CHECK (soft_limit_pct BETWEEN 1 AND 100),
    updated_at       timestamptz   NOT NULL DEFAULT now()
);

CREATE TABLE ai_usage (
    tenant_id          uuid          NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                 uuid          NOT NULL,
    created_at         timestamptz   NOT NULL DEFAULT now(),
    caller_type        text          NOT NULL,
    caller_id          uuid,
    feature            text          NOT NULL,
    kind               text          NOT NULL CHECK (kind IN ('chat', 'embedding')),
    provider           text          NOT NULL,
    model              text          NOT NULL,
    locality           text          NOT NULL CHECK (locality IN ('local', 'cloud')),
    prompt_tokens      integer       NOT NULL DEFAULT 0,
    completion_tokens  integer       NOT NULL DEFAULT 0,
    latency_ms         integer       NOT NULL,
    ttft_ms            integer,
    cost               numeric(14,6) NOT NULL DEFAULT 0,
    outcome            text          NOT NULL CHECK (outcome IN ('ok', 'error', 'cancelled', 'cached')),
    error              text,
    request_id         text,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX ai_usage_time ON ai_usage (tenant_id, created_at);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['ai_providers', 'ai_policies', 'ai_usage'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
            USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
            WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)$p$, t);
    END LOOP;
END
$$;

-- The ledger is append-only for the application.
INSERT INTO app_table_privileges (table_name, privileges) VALUES ('ai_usage', 'SELECT, INSERT');
