-- The concierge: channels (WhatsApp, Instagram, the web widget), contacts,
-- conversations and their messages, the bot's settings, intents and
-- message templates.

-- How the bot answers, per company.
CREATE TABLE concierge_settings (
    tenant_id            uuid        PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    bot_enabled          boolean     NOT NULL DEFAULT true,
    persona              text        NOT NULL DEFAULT '',
    prompt               text        NOT NULL DEFAULT '',
    language             text        NOT NULL DEFAULT 'en',
    greeting             text        NOT NULL DEFAULT '',
    history_turns        integer     NOT NULL DEFAULT 10,
    sentiment_threshold  real        NOT NULL DEFAULT -0.6,
    max_unanswered       integer     NOT NULL DEFAULT 2,
    hours                jsonb       NOT NULL DEFAULT '[]',
    holidays             date[]      NOT NULL DEFAULT '{}',
    csat_enabled         boolean     NOT NULL DEFAULT false,
    rate_limit_per_minute integer    NOT NULL DEFAULT 20,
    retention_days       integer     NOT NULL DEFAULT 365,
    updated_at           timestamptz NOT NULL DEFAULT now()
);

-- A channel: one WhatsApp number, one Instagram account or one web widget.
-- `public_key` names it in its webhook and widget URLs; the company is found
-- from it by `concierge_channel_tenant` (the request carries no token).
CREATE TABLE concierge_channels (
    tenant_id        uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               uuid        NOT NULL,
    kind             text        NOT NULL CHECK (kind IN ('whatsapp', 'instagram', 'web')),
    name             text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    public_key       text        NOT NULL,
    external_id      text,
    api_base_url     text        NOT NULL DEFAULT '',
    api_version      text        NOT NULL DEFAULT 'v21.0',
    verify_token     text        NOT NULL DEFAULT '',
    app_secret       bytea,
    access_token     bytea,
    allowed_origins  text[]      NOT NULL DEFAULT '{}',
    widget           jsonb       NOT NULL DEFAULT '{}',
    enabled          boolean     NOT NULL DEFAULT true,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, public_key),
    CHECK (kind = 'web' OR external_id IS NOT NULL)
);
CREATE INDEX concierge_channels_public_key ON concierge_channels (public_key);
-- One WhatsApp number or Instagram account per channel within a company.
CREATE UNIQUE INDEX concierge_channels_external
    ON concierge_channels (tenant_id, kind, external_id) WHERE external_id IS NOT NULL;

-- Someone who wrote on a channel: a WhatsApp user, an Instagram user or a
-- widget visitor.
CREATE TABLE concierge_contacts (
    tenant_id        uuid        NOT NULL,
    id               uuid        NOT NULL,
    channel_id       uuid        NOT NULL,
    external_id      text        NOT NULL,
    name             text        NOT NULL DEFAULT '',
    phone            text,
    email            text,
    tags             text[]      NOT NULL DEFAULT '{}',
    notes            text        NOT NULL DEFAULT '',
    last_inbound_at  timestamptz,
    rate_window      timestamptz NOT NULL DEFAULT now(),
    rate_count       integer     NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, channel_id, external_id),
    FOREIGN KEY (tenant_id, channel_id) REFERENCES concierge_channels (tenant_id, id) ON DELETE CASCADE
);

-- A conversation: `bot` answers it until a person holds it (`human`);
-- `status` is where it stands for the agents.
CREATE TABLE concierge_conversations (
    tenant_id         uuid        NOT NULL,
    id                uuid        NOT NULL,
    channel_id        uuid        NOT NULL,
    contact_id        uuid        NOT NULL,
    status            text        NOT NULL DEFAULT 'open'
                                  CHECK (status IN ('open', 'pending', 'snoozed', 'resolved')),
    handled_by        text        NOT NULL DEFAULT 'bot' CHECK (handled_by IN ('bot', 'human')),
    assignee_id       uuid,
    handoff_reason    text,
    handed_off_at     timestamptz,
    snoozed_until     timestamptz,
    unanswered        integer     NOT NULL DEFAULT 0,
    last_intent       text,
    last_sentiment    real,
    first_response_at timestamptz,
    resolved_at       timestamptz,
    resolved_by       text        CHECK (resolved_by IN ('bot', 'agent')),
    csat              smallint    CHECK (csat BETWEEN 1 AND 5),
    csat_asked_at     timestamptz,
    last_message_at   timestamptz NOT NULL DEFAULT now(),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, channel_id) REFERENCES concierge_channels (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, contact_id) REFERENCES concierge_contacts (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX concierge_conversations_recent
    ON concierge_conversations (tenant_id, last_message_at DESC, id DESC);
-- A contact has at most one conversation that is not resolved.
CREATE UNIQUE INDEX concierge_conversations_current
    ON concierge_conversations (tenant_id, contact_id) WHERE status <> 'resolved';

-- A message: from the contact (`in`), or to them from the bot or an agent
-- (`out`); an agent's private note is `note`. `external_id` is the
-- channel's id (`wamid.…`, `mid.…`): an inbound one is stored once however
-- often it is delivered. `reply_to` makes the bot's answer to a message
-- unique, so a retried job never sends a second reply.
CREATE TABLE concierge_messages (
    tenant_id        uuid        NOT NULL,
    id               uuid        NOT NULL,
    conversation_id  uuid        NOT NULL,
    channel_id       uuid        NOT NULL,
    direction        text        NOT NULL CHECK (direction IN ('in', 'out', 'note')),
    sender           text        NOT NULL CHECK (sender IN ('contact', 'bot', 'agent', 'system')),
    author_id        uuid,
    kind             text        NOT NULL DEFAULT 'text',
    body             text        NOT NULL DEFAULT '',
    payload          jsonb       NOT NULL DEFAULT '{}',
    external_id      text,
    status           text        NOT NULL DEFAULT 'received'
                                 CHECK (status IN ('received', 'ignored', 'queued', 'sent', 'delivered', 'read', 'failed')),
    status_at        timestamptz,
    error            text,
    reply_to         uuid,
    intent           text,
    entities         jsonb       NOT NULL DEFAULT '[]',
    sentiment        real,
    chunk_ids        uuid[]      NOT NULL DEFAULT '{}',
    answer_mode      text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES concierge_conversations (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX concierge_messages_conversation ON concierge_messages (tenant_id, conversation_id, created_at, id);
CREATE UNIQUE INDEX concierge_messages_external
    ON concierge_messages (tenant_id, channel_id, external_id) WHERE external_id IS NOT NULL;
CREATE UNIQUE INDEX concierge_messages_reply
    ON concierge_messages (tenant_id, reply_to) WHERE reply_to IS NOT NULL;
CREATE INDEX concierge_messages_unanswered
    ON concierge_messages (tenant_id, created_at) WHERE answer_mode = 'not_covered';

-- What customers want, learnt from examples; `action` is what the bot does.
CREATE TABLE concierge_intents (
    tenant_id   uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          uuid        NOT NULL,
    name        text        NOT NULL CHECK (name ~ '^[a-z][a-z0-9_]{0,39}$'),
    examples    text[]      NOT NULL,
    action      text        NOT NULL CHECK (action IN ('answer', 'handoff', 'reply', 'clarify')),
    reply       text        NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, name)
);

-- Approved WhatsApp message templates: the only messages a business may
-- send more than 24 hours after the customer last wrote. `{{1}}`, `{{2}}`…
-- are filled in when sending.
CREATE TABLE concierge_templates (
    tenant_id   uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          uuid        NOT NULL,
    name        text        NOT NULL CHECK (name ~ '^[a-z0-9_]+$' AND length(name) <= 512),
    language    text        NOT NULL DEFAULT 'en',
    body        text        NOT NULL CHECK (length(body) BETWEEN 1 AND 1024),
    variables   integer     NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, name, language)
);

SELECT enable_tenant_rls('concierge_settings');
SELECT enable_tenant_rls('concierge_channels');
SELECT enable_tenant_rls('concierge_contacts');
SELECT enable_tenant_rls('concierge_conversations');
SELECT enable_tenant_rls('concierge_messages');
SELECT enable_tenant_rls('concierge_intents');
SELECT enable_tenant_rls('concierge_templates');

-- Webhooks and the widget carry no token: the channel's public key names
-- the company. Only this function, run by the workers' role, reads that
-- across companies, and it answers nothing but the company and channel.
CREATE POLICY channel_route ON concierge_channels FOR SELECT TO CURRENT_USER USING (true);

CREATE FUNCTION concierge_channel_route(p_key text)
RETURNS TABLE (tenant_id uuid, channel_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT c.tenant_id, c.id FROM concierge_channels c WHERE c.public_key = p_key AND c.enabled
$$;

INSERT INTO privileged_functions (name, role, reason) VALUES
    ('concierge_channel_route', 'worker',
     'finds the company of a webhook or widget request from its channel''s public key (no token names it)');
REVOKE EXECUTE ON FUNCTION concierge_channel_route FROM PUBLIC;
