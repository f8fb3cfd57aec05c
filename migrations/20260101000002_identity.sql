-- Identity: tenants, people, memberships, roles, sessions, API keys, audit.
--
-- Global tables (no tenant_id): tenants, users (a person may belong to
-- several tenants), password resets, login throttling, signing keys.
-- Every other table is a tenant table: tenant_id first in its primary key
-- and in every unique key, composite foreign keys, and row-level security.

CREATE TABLE tenants (
    id          uuid        PRIMARY KEY,
    name        text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    slug        text        NOT NULL CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,46}[a-z0-9])?$'),
    industry    text,
    gstin       text,
    state       text,
    currency    text        NOT NULL DEFAULT 'INR',
    time_zone   text        NOT NULL DEFAULT 'Asia/Kolkata',
    settings    jsonb       NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX tenants_slug ON tenants (slug);

CREATE TABLE users (
    id                   uuid        PRIMARY KEY,
    email                text        NOT NULL CHECK (email = lower(email)),
    name                 text        NOT NULL DEFAULT '',
    password_hash        text        NOT NULL,
    password_changed_at  timestamptz NOT NULL DEFAULT now(),
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email ON users (email);

-- Failed logins per e-mail address and per client address.
CREATE TABLE login_throttle (
    key               text        PRIMARY KEY,
    failures          integer     NOT NULL DEFAULT 0,
    last_failure_at   timestamptz NOT NULL DEFAULT now(),
    locked_until      timestamptz
);

CREATE TABLE password_resets (
    id          uuid        PRIMARY KEY,
    user_id     uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  bytea       NOT NULL UNIQUE,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX password_resets_user ON password_resets (user_id);

-- Ed25519 keys that sign access tokens; private keys sealed with the
-- instance's master key. The newest active key signs; every key not
-- retired long enough ago still verifies.
CREATE TABLE signing_keys (
    kid          text        PRIMARY KEY,
    public_key   bytea       NOT NULL,
    private_key  bytea       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    retired_at   timestamptz
);

-- Sessions (refresh-token families) ended by logout, deactivation, a
-- password change or refresh-token reuse. Their access tokens may live up
-- to 15 more minutes; every node keeps the recent ones in memory and
-- refuses them.
CREATE TABLE ended_sessions (
    session_id  uuid        PRIMARY KEY,
    ended_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ended_sessions_ended_at ON ended_sessions (ended_at);

-- A person's place in a tenant. Visible to the tenant, and to the person
-- (app.user_id) across tenants, so login can list their companies.
CREATE TABLE memberships (
    tenant_id             uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id               uuid        NOT NULL REFERENCES users (id),
    status                text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deactivated')),
    sessions_valid_after  timestamptz,
    last_login_at         timestamptz,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE roles (
    tenant_id    uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           uuid        NOT NULL,
    key          text,
    name         text        NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    description  text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, name)
);
CREATE UNIQUE INDEX roles_system_key ON roles (tenant_id, key) WHERE key IS NOT NULL;

-- Permissions of custom roles; system roles' permissions are declared in code.
CREATE TABLE role_permissions (
    tenant_id   uuid NOT NULL,
    role_id     uuid NOT NULL,
    permission  text NOT NULL,
    PRIMARY KEY (tenant_id, role_id, permission),
    FOREIGN KEY (tenant_id, role_id) REFERENCES roles (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE member_roles (
    tenant_id  uuid NOT NULL,
    user_id    uuid NOT NULL,
    role_id    uuid NOT NULL,
    PRIMARY KEY (tenant_id, user_id, role_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES memberships (tenant_id, user_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, role_id) REFERENCES roles (tenant_id, id)
);
CREATE INDEX member_roles_role ON member_roles (tenant_id, role_id);

CREATE TABLE invitations (
    tenant_id    uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           uuid        NOT NULL,
    email        text        NOT NULL CHECK (email = lower(email)),
    role_ids     uuid[]      NOT NULL,
    token_hash   bytea       NOT NULL,
    invited_by   uuid,
    expires_at   timestamptz NOT NULL,
    accepted_at  timestamptz,
    accepted_by  uuid,
    revoked_at   timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, token_hash)
);

-- Refresh tokens: one row per issued token; a family is one login.
CREATE TABLE refresh_tokens (
    tenant_id       uuid        NOT NULL,
    id              uuid        NOT NULL,
    family_id       uuid        NOT NULL,
    user_id         uuid        NOT NULL,
    token_hash      bytea       NOT NULL,
    expires_at      timestamptz NOT NULL,
    used_at         timestamptz,
    revoked_at      timestamptz,
    revoked_reason  text,
    ip              inet,
    user_agent      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, token_hash),
    FOREIGN KEY (tenant_id, user_id) REFERENCES memberships (tenant_id, user_id) ON DELETE CASCADE
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (tenant_id, family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (tenant_id, user_id);

CREATE TABLE api_keys (
    tenant_id     uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            uuid        NOT NULL,
    name          text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    prefix        text        NOT NULL,
    secret_hash   bytea       NOT NULL,
    permissions   text[]      NOT NULL,
    created_by    uuid,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz,
    last_used_at  timestamptz,
    revoked_at    timestamptz,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, prefix)
);

-- The audit trail: append-only (the application role may only insert and
-- select), hash-chained per tenant, partitioned by month.
CREATE TABLE audit_log (
    tenant_id      uuid        NOT NULL,
    seq            bigint      NOT NULL,
    created_at     timestamptz NOT NULL,
    actor_type     text        NOT NULL CHECK (actor_type IN ('user', 'api_key', 'system', 'anonymous')),
    actor_id       uuid,
    action         text        NOT NULL,
    resource_type  text        NOT NULL,
    resource_id    text,
    request_id     text,
    ip             inet,
    user_agent     text,
    changes        jsonb       NOT NULL DEFAULT '{}',
    prev_hash      bytea       NOT NULL,
    hash           bytea       NOT NULL,
    PRIMARY KEY (tenant_id, seq, created_at)
) PARTITION BY RANGE (created_at);
CREATE INDEX audit_log_resource ON audit_log (tenant_id, resource_type, resource_id);
CREATE INDEX audit_log_actor ON audit_log (tenant_id, actor_id);

-- The last link of each tenant's chain; its row lock orders appends.
CREATE TABLE audit_heads (
    tenant_id  uuid   PRIMARY KEY,
    seq        bigint NOT NULL,
    prev_hash  bytea  NOT NULL,
    hash       bytea  NOT NULL
);

-- The hash of one audit row: SHA-256 over the previous hash and the row's
-- fields in a fixed text form (timestamps in UTC to the microsecond, JSON
-- in jsonb's canonical text).
CREATE FUNCTION audit_row_hash(
    prev bytea, tenant uuid, seq bigint, at timestamptz, actor_type text, actor_id uuid,
    action text, resource_type text, resource_id text, request_id text, ip inet,
    user_agent text, changes jsonb
) RETURNS bytea LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT sha256(prev || convert_to(concat_ws(E'\x1f',
        tenant::text, seq::text, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
        actor_type, coalesce(actor_id::text, ''), action, resource_type,
        coalesce(resource_id, ''), coalesce(request_id, ''), coalesce(host(ip), ''),
        coalesce(user_agent, ''), changes::text), 'UTF8'))
$$;

-- Creates the monthly partitions of the audit trail from `from_month` for
-- `months` months (idempotent). Run by migrations and by a scheduled job.
CREATE FUNCTION audit_ensure_partitions(from_month date, months integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    m date := date_trunc('month', from_month)::date;
    created integer := 0;
    name text;
BEGIN
    FOR i IN 0 .. months - 1 LOOP
        name := format('audit_log_y%sm%s', to_char(m, 'YYYY'), to_char(m, 'MM'));
        IF to_regclass(name) IS NULL THEN
            EXECUTE format(
                'CREATE TABLE %I PARTITION OF audit_log FOR VALUES FROM (%L) TO (%L)',
                name, m::timestamptz, (m + interval '1 month')::timestamptz);
            created := created + 1;
        END IF;
        m := (m + interval '1 month')::date;
    END LOOP;
    RETURN created;
END
$$;

SELECT audit_ensure_partitions((now() - interval '1 month')::date, 26);

INSERT INTO app_table_privileges (table_name, privileges) VALUES
    ('audit_log', 'SELECT, INSERT'),
    ('signing_keys', 'SELECT, INSERT, UPDATE');

-- Row-level security on every tenant table.
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['roles', 'role_permissions', 'member_roles', 'invitations',
                             'refresh_tokens', 'api_keys', 'audit_log', 'audit_heads'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
            USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
            WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)$p$, t);
    END LOOP;
END
$$;

ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON memberships
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid
           OR user_id = NULLIF(current_setting('app.user_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
