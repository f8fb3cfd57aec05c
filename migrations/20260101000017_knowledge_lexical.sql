-- Full-text ranking by BM25: each company's document frequencies, and
-- dotted names searchable by their parts.

-- Dotted and slashed names (`json.dumps`, `os.path.join`, `report.pdf`,
-- `docs/setup`) are one token to PostgreSQL's parser, so a question that
-- writes their parts apart ("what does json dumps do") or names only the
-- last part ("groupby") never met them. A chunk's lexemes now also hold the
-- parts of such names, in the `simple` configuration.
CREATE FUNCTION knowledge_name_parts(t text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN coalesce(
        (SELECT translate(string_agg(m[1], ' '), './', '  ')
           FROM regexp_matches(t, '([[:alnum:]_]+(?:[./][[:alnum:]_]+)+)', 'g') AS m),
        '');

-- The lexemes of a chunk: its headings (weight A) and text in the `simple`
-- configuration, the text stemmed in its document's language, and the
-- parts of dotted names. Ingestion and the term counts below both use it.
CREATE FUNCTION knowledge_tsv(headings text, body text, lang regconfig) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN setweight(to_tsvector('simple', headings), 'A')
        || to_tsvector('simple', body)
        || to_tsvector(lang, body)
        || to_tsvector('simple', knowledge_name_parts(body));

-- A query expression (`to_tsquery` syntax) stemmed in each of `configs` and
-- OR-ed (NULL when no configuration keeps a word of it).
CREATE FUNCTION knowledge_tsquery(expr text, configs text[]) RETURNS tsquery
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN (SELECT string_agg('(' || q::text || ')', ' | ')
              FROM (SELECT to_tsquery(c::regconfig, expr) AS q FROM unnest(configs) AS c) s
             WHERE numnode(q) > 0)::tsquery;

-- In how many of a company's chunks each lexeme occurs (BM25's document
-- frequency). Kept in the transaction that replaces or deletes a
-- document's chunks, in one statement whose rows are locked in lexeme
-- order (two ingestions of one company cannot deadlock on it).
CREATE TABLE knowledge_terms (
    tenant_id  uuid    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    term       text    NOT NULL,
    chunks     integer NOT NULL,
    PRIMARY KEY (tenant_id, term)
);

-- Existing chunks gain the parts of their names, and are counted.
ALTER TABLE document_chunks NO FORCE ROW LEVEL SECURITY;
UPDATE document_chunks
   SET tsv = tsv || to_tsvector('simple', knowledge_name_parts(text))
 WHERE text ~ '[[:alnum:]_][./][[:alnum:]_]';
INSERT INTO knowledge_terms (tenant_id, term, chunks)
SELECT c.tenant_id, l.lexeme, count(*)
  FROM document_chunks c, unnest(c.tsv) AS l
 GROUP BY c.tenant_id, l.lexeme;

SELECT enable_tenant_rls('document_chunks');
SELECT enable_tenant_rls('knowledge_terms');
