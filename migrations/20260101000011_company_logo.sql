-- The company's logo, printed at the top of its documents. One per
-- company; PNG or JPEG, checked by decoding before it is stored.
CREATE TABLE company_logos (
    tenant_id    uuid        PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    content_type text        NOT NULL CHECK (content_type IN ('image/png', 'image/jpeg')),
    bytes        bytea       NOT NULL CHECK (octet_length(bytes) BETWEEN 1 AND 1048576),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

SELECT enable_tenant_rls('company_logos');
