-- Knowledge: documents (their originals stored content-addressed under the
-- data directory), their chunks with a vector and a tsvector each, the
-- tenant's settings, and chats whose answers cite the chunks they used.

CREATE TABLE knowledge_settings (
    tenant_id         uuid        PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    chunk_size        integer     NOT NULL DEFAULT 500 CHECK (chunk_size BETWEEN 100 AND 4000),
    chunk_overlap     integer     NOT NULL DEFAULT 50 CHECK (chunk_overlap BETWEEN 0 AND 1000),
    max_upload_bytes  bigint      NOT NULL DEFAULT 26214400 CHECK (max_upload_bytes > 0),
    -- The seed's "distance < 0.5": a chunk is relevant when its cosine
    -- distance to the question is below this, or enough of the question's
    -- words occur in it.
    max_distance      real        NOT NULL DEFAULT 0.5 CHECK (max_distance > 0 AND max_distance <= 2),
    vector_weight     real        NOT NULL DEFAULT 1 CHECK (vector_weight >= 0),
    text_weight       real        NOT NULL DEFAULT 1 CHECK (text_weight >= 0),
    top_k             integer     NOT NULL DEFAULT 5 CHECK (top_k BETWEEN 1 AND 50),
    answer_mode       text        NOT NULL DEFAULT 'auto' CHECK (answer_mode IN ('auto', 'extractive', 'generative')),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE documents (
    tenant_id      uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id             uuid        NOT NULL,
    title          text        NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    source         text        CHECK (length(source) <= 200),
    tags           text[]      NOT NULL DEFAULT '{}',
    format         text        NOT NULL CHECK (format IN ('pdf', 'docx', 'html', 'markdown', 'csv', 'text')),
    file_name      text        CHECK (length(file_name) <= 300),
    size_bytes     bigint      NOT NULL CHECK (size_bytes >= 0),
    sha256         text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    status         text        NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'processing', 'ready', 'failed')),
    progress       smallint    NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    failure        text,
    -- Bumped by every replacement or re-index; a job for an older
    -- version does nothing.
    version        integer     NOT NULL DEFAULT 1,
    pages          integer,
    chunk_count    integer     NOT NULL DEFAULT 0,
    char_count     integer     NOT NULL DEFAULT 0,
    language       text,
    embedding_model text,
    created_by     uuid,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    ingested_at    timestamptz,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, sha256)
);
CREATE INDEX documents_recent ON documents (tenant_id, created_at DESC, id DESC);
CREATE INDEX documents_tags ON documents USING gin (tags);

CREATE TABLE document_chunks (
    tenant_id    uuid        NOT NULL,
    id           uuid        NOT NULL,
    document_id  uuid        NOT NULL,
    -- The ingestion run that wrote it: one document has one set at a time.
    version      integer     NOT NULL,
    ord          integer     NOT NULL,
    text         text        NOT NULL,
    page         integer,
    headings     text[]      NOT NULL DEFAULT '{}',
    model        text        NOT NULL,
    dims         smallint    NOT NULL,
    embedding    vector      NOT NULL,
    tsv          tsvector    NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, document_id, version, ord),
    FOREIGN KEY (tenant_id, document_id) REFERENCES documents (tenant_id, id) ON DELETE CASCADE
);
-- Vectors of different lengths never share an index: one per supported
-- dimension, each over the rows of that length.
CREATE INDEX document_chunks_vec_384 ON document_chunks
    USING hnsw ((embedding::vector(384)) vector_cosine_ops) WHERE dims = 384;
CREATE INDEX document_chunks_vec_768 ON document_chunks
    USING hnsw ((embedding::vector(768)) vector_cosine_ops) WHERE dims = 768;
CREATE INDEX document_chunks_vec_1024 ON document_chunks
    USING hnsw ((embedding::vector(1024)) vector_cosine_ops) WHERE dims = 1024;
CREATE INDEX document_chunks_vec_1536 ON document_chunks
    USING hnsw ((embedding::vector(1536)) vector_cosine_ops) WHERE dims = 1536;
-- Full text inside one tenant: one GIN index over (tenant, lexemes), so a
-- large tenant's matches are found without intersecting its whole row set
-- (btree_gin is a trusted contrib extension).
CREATE EXTENSION IF NOT EXISTS btree_gin;
CREATE INDEX document_chunks_tsv ON document_chunks USING gin (tenant_id, tsv);
CREATE INDEX document_chunks_document ON document_chunks (tenant_id, document_id, version);

CREATE TABLE chats (
    tenant_id   uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          uuid        NOT NULL,
    user_id     uuid,
    api_key_id  uuid,
    title       text        NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX chats_recent ON chats (tenant_id, updated_at DESC, id DESC);

CREATE TABLE chat_messages (
    tenant_id          uuid        NOT NULL,
    id                 uuid        NOT NULL,
    chat_id            uuid        NOT NULL,
    role               text        NOT NULL CHECK (role IN ('user', 'assistant')),
    content            text        NOT NULL,
    -- How an answer was made: quoted from the chunks, generated by a
    -- model from them, or "not covered" (no chunk was relevant).
    mode               text        CHECK (mode IN ('extractive', 'generative', 'not_covered')),
    query              text,
    citations          jsonb       NOT NULL DEFAULT '[]',
    chunk_ids          uuid[]      NOT NULL DEFAULT '{}',
    provider           text,
    model              text,
    prompt_tokens      integer,
    completion_tokens  integer,
    latency_ms         integer,
    retrieval_ms       integer,
    stopped            boolean     NOT NULL DEFAULT false,
    feedback           smallint    CHECK (feedback IN (-1, 1)),
    feedback_comment   text        CHECK (length(feedback_comment) <= 2000),
    created_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, chat_id) REFERENCES chats (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX chat_messages_chat ON chat_messages (tenant_id, chat_id, created_at, id);

SELECT enable_tenant_rls('knowledge_settings');
SELECT enable_tenant_rls('documents');
SELECT enable_tenant_rls('document_chunks');
SELECT enable_tenant_rls('chats');
SELECT enable_tenant_rls('chat_messages');
