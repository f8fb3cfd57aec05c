-- Vectors move out of document_chunks into a table of their own, keyed by
-- model: while a company's knowledge base moves to another embedding model,
-- each chunk holds a vector of both, and search reads only the model in
-- use until every chunk has the new one.
--
-- The table is hash-partitioned by tenant: each partition (and its HNSW
-- index) holds about a sixteenth of the companies, so a company's search
-- walks a graph where its own chunks are common, and the tenant filter
-- discards few candidates (bench/knowledge.sh measures both layouts).

-- The migration moves rows of every tenant, which row-level security
-- forbids even the owner while it is forced; it is forced again below.
ALTER TABLE document_chunks NO FORCE ROW LEVEL SECURITY;
ALTER TABLE knowledge_settings NO FORCE ROW LEVEL SECURITY;

ALTER TABLE knowledge_settings
    -- The model whose vectors search reads.
    ADD COLUMN embedding_model text NOT NULL DEFAULT 'all-MiniLM-L6-v2'
        CHECK (length(embedding_model) BETWEEN 1 AND 200),
    -- The model the knowledge base is moving to (re-embedding in the
    -- background), or NULL.
    ADD COLUMN next_embedding_model text
        CHECK (length(next_embedding_model) BETWEEN 1 AND 200);

CREATE TABLE chunk_vectors (
    tenant_id    uuid     NOT NULL,
    chunk_id     uuid     NOT NULL,
    document_id  uuid     NOT NULL,
    model        text     NOT NULL,
    dims         smallint NOT NULL CHECK (dims > 0),
    embedding    vector   NOT NULL,
    PRIMARY KEY (tenant_id, chunk_id, model),
    FOREIGN KEY (tenant_id, chunk_id) REFERENCES document_chunks (tenant_id, id) ON DELETE CASCADE
) PARTITION BY HASH (tenant_id);

DO $$
BEGIN
    FOR i IN 0..15 LOOP
        EXECUTE format(
            'CREATE TABLE chunk_vectors_p%s PARTITION OF chunk_vectors FOR VALUES WITH (MODULUS 16, REMAINDER %s)',
            lpad(i::text, 2, '0'), i);
    END LOOP;
END
$$;

-- One HNSW index per supported length, over the rows of that length
-- (created on each partition).
CREATE INDEX chunk_vectors_384 ON chunk_vectors
    USING hnsw ((embedding::vector(384)) vector_cosine_ops) WHERE dims = 384;
CREATE INDEX chunk_vectors_768 ON chunk_vectors
    USING hnsw ((embedding::vector(768)) vector_cosine_ops) WHERE dims = 768;
CREATE INDEX chunk_vectors_1024 ON chunk_vectors
    USING hnsw ((embedding::vector(1024)) vector_cosine_ops) WHERE dims = 1024;
CREATE INDEX chunk_vectors_1536 ON chunk_vectors
    USING hnsw ((embedding::vector(1536)) vector_cosine_ops) WHERE dims = 1536;
-- A company's vectors of one model (exact search, re-embedding, counts).
CREATE INDEX chunk_vectors_model ON chunk_vectors (tenant_id, model, document_id);

INSERT INTO chunk_vectors (tenant_id, chunk_id, document_id, model, dims, embedding)
SELECT tenant_id, id, document_id, model, dims, embedding FROM document_chunks;

-- Companies that have chunks search the model most of them came from.
INSERT INTO knowledge_settings (tenant_id, embedding_model)
SELECT DISTINCT ON (tenant_id) tenant_id, model
  FROM document_chunks
 GROUP BY tenant_id, model
 ORDER BY tenant_id, count(*) DESC
ON CONFLICT (tenant_id) DO UPDATE SET embedding_model = EXCLUDED.embedding_model;

DROP INDEX document_chunks_vec_384;
DROP INDEX document_chunks_vec_768;
DROP INDEX document_chunks_vec_1024;
DROP INDEX document_chunks_vec_1536;
ALTER TABLE document_chunks DROP COLUMN embedding, DROP COLUMN model, DROP COLUMN dims;

SELECT enable_tenant_rls('document_chunks');
SELECT enable_tenant_rls('knowledge_settings');
SELECT enable_tenant_rls('chunk_vectors');
