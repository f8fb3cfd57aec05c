-- E-way bills: the transport (Part B) a document's goods move under, the
-- JSON prepared from it, and — when generated through the IRP for an
-- e-invoiced invoice — its number and validity.
CREATE TABLE eway_bills (
    tenant_id       uuid        NOT NULL,
    document_id     uuid        NOT NULL,
    status          text        NOT NULL CHECK (status IN ('prepared', 'generated', 'failed')),
    transport       jsonb       NOT NULL,
    payload         jsonb       NOT NULL,
    ewb_no          text        CHECK (ewb_no ~ '^[0-9]{12}$'),
    ewb_at          timestamptz,
    valid_until     timestamptz,
    errors          jsonb       NOT NULL DEFAULT '[]',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, document_id),
    FOREIGN KEY (tenant_id, document_id) REFERENCES ledger_documents (tenant_id, id) ON DELETE CASCADE,
    CHECK (status <> 'generated' OR (ewb_no IS NOT NULL AND ewb_at IS NOT NULL))
);
CREATE UNIQUE INDEX eway_bills_number ON eway_bills (tenant_id, ewb_no) WHERE ewb_no IS NOT NULL;
SELECT enable_tenant_rls('eway_bills');
