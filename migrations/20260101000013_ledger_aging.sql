-- Aging reads every open document of a company once: with what it needs in
-- one index (and the pages all-visible, as autovacuum keeps them), that is
-- an index-only scan, which PostgreSQL can share between workers.
CREATE INDEX ledger_documents_open_aging ON ledger_documents (tenant_id, kind, party_id, due_date)
    INCLUDE (total, settled, doc_date, id)
    WHERE status IN ('issued', 'partially_paid', 'overdue') AND cancelled_at IS NULL;
