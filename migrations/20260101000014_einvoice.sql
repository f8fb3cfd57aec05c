-- E-invoicing: how a company reaches the IRP (its API credentials sealed
-- like AI credentials, and the portal's public keys), and each document's
-- registration: IRN, acknowledgement, the signed invoice and QR code the
-- IRP returned, or the reasons it was refused.
CREATE TABLE einvoice_settings (
    tenant_id       uuid        PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    enabled         boolean     NOT NULL DEFAULT false,
    -- Register each invoice and note as it is issued (in a job).
    auto_generate   boolean     NOT NULL DEFAULT true,
    base_url        text        NOT NULL CHECK (length(base_url) BETWEEN 8 AND 500),
    client_id       text        NOT NULL CHECK (length(client_id) BETWEEN 1 AND 100),
    client_secret   bytea       NOT NULL,
    username        text        NOT NULL CHECK (length(username) BETWEEN 1 AND 100),
    password        bytea       NOT NULL,
    -- The IRP's public key that encrypts the login (PEM).
    encryption_key  text        NOT NULL CHECK (length(encryption_key) <= 4000),
    -- The IRP's public key that verifies signed invoices and QR codes (PEM).
    signing_key     text        NOT NULL CHECK (length(signing_key) <= 4000),
    timeout_secs    integer     NOT NULL DEFAULT 30 CHECK (timeout_secs BETWEEN 1 AND 120),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
SELECT enable_tenant_rls('einvoice_settings');

CREATE TABLE einvoices (
    tenant_id       uuid        NOT NULL,
    document_id     uuid        NOT NULL,
    status          text        NOT NULL CHECK (status IN ('pending', 'generated', 'failed', 'cancelled')),
    irn             text        CHECK (irn ~ '^[0-9a-f]{64}$'),
    ack_no          text        CHECK (ack_no ~ '^[0-9]{1,20}$'),
    ack_at          timestamptz,
    signed_invoice  text,
    signed_qr       text,
    -- The JSON last sent (or refused before sending).
    payload         jsonb,
    -- Why the last attempt failed: the IRP's codes, or our own checks.
    errors          jsonb       NOT NULL DEFAULT '[]',
    attempts        integer     NOT NULL DEFAULT 0,
    cancel_reason   smallint    CHECK (cancel_reason BETWEEN 1 AND 4),
    cancel_remark   text        CHECK (length(cancel_remark) <= 100),
    cancelled_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, document_id),
    FOREIGN KEY (tenant_id, document_id) REFERENCES ledger_documents (tenant_id, id) ON DELETE CASCADE,
    CHECK (status <> 'generated' OR (irn IS NOT NULL AND ack_no IS NOT NULL AND signed_qr IS NOT NULL))
);
CREATE UNIQUE INDEX einvoices_irn ON einvoices (tenant_id, irn) WHERE irn IS NOT NULL;
CREATE INDEX einvoices_status ON einvoices (tenant_id, status, updated_at);
SELECT enable_tenant_rls('einvoices');
