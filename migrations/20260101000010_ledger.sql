-- The ledger: parties, items with GST rates by date, documents (quotations,
-- invoices, bills of supply, credit and debit notes, purchase bills) and
-- their lines, gapless numbering per series and financial year, payments
-- and their allocations, and the books (chart of accounts, journals) that
-- every issued document and payment posts to in its own transaction.

-- GST rates by HSN/SAC prefix and date, the same for every company
-- (a reference table: no tenant). The longest matching prefix in force on
-- a document's date wins; an item may carry its own rates instead.
CREATE TABLE gst_rate_schedule (
    hsn_prefix      text    NOT NULL CHECK (hsn_prefix ~ '^[0-9]{2,8}$'),
    effective_from  date    NOT NULL,
    effective_to    date,
    rate            numeric(5, 2) NOT NULL CHECK (rate BETWEEN 0 AND 100),
    cess_rate       numeric(5, 2) NOT NULL DEFAULT 0 CHECK (cess_rate BETWEEN 0 AND 100),
    description     text    NOT NULL,
    PRIMARY KEY (hsn_prefix, effective_from),
    CHECK (effective_to IS NULL OR effective_to >= effective_from)
);
INSERT INTO app_table_privileges (table_name, privileges) VALUES ('gst_rate_schedule', 'SELECT');

CREATE TABLE ledger_settings (
    tenant_id            uuid    PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    -- Postings dated on or before this day are refused.
    books_locked_until   date,
    default_due_days     integer NOT NULL DEFAULT 30 CHECK (default_due_days BETWEEN 0 AND 3650),
    -- The company's address, phone and e-mail as documents print them
    -- (its name, GSTIN and state are the company profile's).
    company_address      jsonb,
    company_phone        text    CHECK (length(company_phone) <= 20),
    company_email        text    CHECK (length(company_email) <= 254),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

-- The chart of accounts; `role` ties an account to the postings' rules.
CREATE TABLE accounts (
    tenant_id   uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          uuid        NOT NULL,
    code        text        NOT NULL CHECK (code ~ '^[0-9A-Za-z.-]{1,20}$'),
    name        text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind        text        NOT NULL CHECK (kind IN ('asset', 'liability', 'equity', 'income', 'expense')),
    role        text,
    archived    boolean     NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, code),
    UNIQUE (tenant_id, role)
);

CREATE TABLE parties (
    tenant_id          uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                 uuid        NOT NULL,
    -- customer, supplier, or both
    is_customer        boolean     NOT NULL,
    is_supplier        boolean     NOT NULL,
    legal_name         text        NOT NULL CHECK (length(legal_name) BETWEEN 1 AND 200),
    trade_name         text        CHECK (length(trade_name) <= 200),
    gstin              text        CHECK (gstin ~ '^[0-9]{2}[A-Z0-9]{13}$'),
    pan                text        CHECK (pan ~ '^[A-Z]{5}[0-9]{4}[A-Z]$'),
    registration       text        NOT NULL CHECK (registration IN ('regular', 'composition', 'unregistered', 'consumer', 'overseas', 'sez')),
    state_code         text        NOT NULL CHECK (state_code ~ '^[0-9]{2}$'),
    billing_address    jsonb       NOT NULL,
    shipping_address   jsonb,
    contacts           jsonb       NOT NULL DEFAULT '[]',
    payment_terms_days integer     CHECK (payment_terms_days BETWEEN 0 AND 3650),
    credit_limit       numeric(18, 2) CHECK (credit_limit >= 0),
    opening_balance    numeric(18, 2) NOT NULL DEFAULT 0,
    opening_date       date,
    notes              text        CHECK (length(notes) <= 4000),
    archived_at        timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CHECK (is_customer OR is_supplier)
);
CREATE UNIQUE INDEX parties_gstin ON parties (tenant_id, gstin) WHERE gstin IS NOT NULL;
CREATE INDEX parties_name ON parties (tenant_id, lower(legal_name), id);

CREATE TABLE items (
    tenant_id           uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                  uuid        NOT NULL,
    name                text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    sku                 text        CHECK (length(sku) <= 60),
    is_service          boolean     NOT NULL,
    hsn_sac             text        NOT NULL CHECK (hsn_sac ~ '^[0-9]{4,8}$'),
    unit                text        NOT NULL CHECK (unit ~ '^[A-Z]{3}$'),
    price               numeric(18, 2) NOT NULL DEFAULT 0 CHECK (price >= 0),
    price_includes_tax  boolean     NOT NULL DEFAULT false,
    taxability          text        NOT NULL DEFAULT 'taxable' CHECK (taxability IN ('taxable', 'nil_rated', 'exempt', 'non_gst')),
    stock               numeric(18, 3) NOT NULL DEFAULT 0,
    archived_at         timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX items_sku ON items (tenant_id, sku) WHERE sku IS NOT NULL;
CREATE INDEX items_name ON items (tenant_id, lower(name), id);

-- An item's GST rate from a date on (a document uses the one in force on
-- its date).
CREATE TABLE item_rates (
    tenant_id       uuid    NOT NULL,
    item_id         uuid    NOT NULL,
    effective_from  date    NOT NULL,
    rate            numeric(5, 2) NOT NULL CHECK (rate BETWEEN 0 AND 100),
    cess_rate       numeric(5, 2) NOT NULL DEFAULT 0 CHECK (cess_rate BETWEEN 0 AND 100),
    PRIMARY KEY (tenant_id, item_id, effective_from),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id) ON DELETE CASCADE
);

-- Numbering series: a template per document kind, and one counter per
-- financial year, incremented inside the issuing transaction (its row lock
-- makes numbers gapless under concurrent issuing).
CREATE TABLE number_series (
    tenant_id   uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          uuid        NOT NULL,
    kind        text        NOT NULL CHECK (kind IN ('quotation', 'invoice', 'bill_of_supply', 'credit_note', 'debit_note', 'purchase_bill')),
    name        text        NOT NULL CHECK (length(name) BETWEEN 1 AND 40),
    template    text        NOT NULL CHECK (length(template) BETWEEN 5 AND 40),
    width       smallint    NOT NULL DEFAULT 4 CHECK (width BETWEEN 1 AND 8),
    is_default  boolean     NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, name)
);
CREATE UNIQUE INDEX number_series_default ON number_series (tenant_id, kind) WHERE is_default;

CREATE TABLE number_counters (
    tenant_id   uuid    NOT NULL,
    series_id   uuid    NOT NULL,
    fy          integer NOT NULL,
    next_seq    bigint  NOT NULL DEFAULT 1 CHECK (next_seq >= 1),
    PRIMARY KEY (tenant_id, series_id, fy),
    FOREIGN KEY (tenant_id, series_id) REFERENCES number_series (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE ledger_documents (
    tenant_id         uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                uuid        NOT NULL,
    kind              text        NOT NULL CHECK (kind IN ('quotation', 'invoice', 'bill_of_supply', 'credit_note', 'debit_note', 'purchase_bill')),
    status            text        NOT NULL DEFAULT 'draft'
                      CHECK (status IN ('draft', 'issued', 'partially_paid', 'paid', 'overdue', 'cancelled', 'converted', 'expired')),
    series_id         uuid,
    number            text,
    fy                integer,
    seq               bigint,
    party_id          uuid        NOT NULL,
    -- What the party and company were when the document was issued.
    party_snapshot    jsonb,
    company_snapshot  jsonb,
    doc_date          date        NOT NULL,
    due_date          date,
    valid_until       date,
    place_of_supply   text        NOT NULL CHECK (place_of_supply ~ '^[0-9]{2}$'),
    supply_type       text        NOT NULL DEFAULT 'regular'
                      CHECK (supply_type IN ('regular', 'export_with_tax', 'export_without_tax', 'sez_with_tax', 'sez_without_tax', 'deemed_export')),
    reverse_charge    boolean     NOT NULL DEFAULT false,
    heads             text        NOT NULL DEFAULT 'none' CHECK (heads IN ('cgst_sgst', 'cgst_utgst', 'igst', 'none')),
    -- Credit and debit notes: the invoice they adjust.
    against_id        uuid,
    -- A purchase bill: the supplier's own number and date.
    supplier_number   text        CHECK (length(supplier_number) <= 40),
    supplier_date     date,
    reference         text        CHECK (length(reference) <= 100),
    notes             text        CHECK (length(notes) <= 4000),
    reason            text        CHECK (length(reason) <= 500),
    taxable_value     numeric(18, 2) NOT NULL DEFAULT 0,
    discount          numeric(18, 2) NOT NULL DEFAULT 0,
    cgst              numeric(18, 2) NOT NULL DEFAULT 0,
    sgst              numeric(18, 2) NOT NULL DEFAULT 0,
    utgst             numeric(18, 2) NOT NULL DEFAULT 0,
    igst              numeric(18, 2) NOT NULL DEFAULT 0,
    cess              numeric(18, 2) NOT NULL DEFAULT 0,
    round_off         numeric(6, 2)  NOT NULL DEFAULT 0,
    total             numeric(18, 2) NOT NULL DEFAULT 0,
    -- Settled by payments, TDS, credit notes and advances.
    settled           numeric(18, 2) NOT NULL DEFAULT 0,
    converted_from    uuid,
    converted_to      uuid,
    cancel_reason     text        CHECK (length(cancel_reason) <= 500),
    created_by        uuid,
    issued_at         timestamptz,
    cancelled_at      timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, party_id) REFERENCES parties (tenant_id, id),
    FOREIGN KEY (tenant_id, against_id) REFERENCES ledger_documents (tenant_id, id),
    FOREIGN KEY (tenant_id, series_id) REFERENCES number_series (tenant_id, id),
    CHECK (settled >= 0 AND settled <= greatest(total, 0)),
    CHECK ((number IS NULL) = (status = 'draft'))
);
-- Numbers are unique per series and financial year, and per kind of
-- document across a company's year (a purchase bill's number is the
-- supplier's, kept apart).
CREATE UNIQUE INDEX ledger_documents_number ON ledger_documents (tenant_id, kind, fy, number) WHERE number IS NOT NULL;
CREATE UNIQUE INDEX ledger_documents_seq ON ledger_documents (tenant_id, series_id, fy, seq) WHERE seq IS NOT NULL;
CREATE INDEX ledger_documents_recent ON ledger_documents (tenant_id, kind, doc_date DESC, id DESC);
CREATE INDEX ledger_documents_party ON ledger_documents (tenant_id, party_id, doc_date);
CREATE INDEX ledger_documents_status ON ledger_documents (tenant_id, status, doc_date DESC, id DESC);
CREATE INDEX ledger_documents_open ON ledger_documents (tenant_id, due_date)
    WHERE status IN ('issued', 'partially_paid', 'overdue');
CREATE INDEX ledger_documents_against ON ledger_documents (tenant_id, against_id) WHERE against_id IS NOT NULL;

CREATE TABLE ledger_document_lines (
    tenant_id           uuid        NOT NULL,
    document_id         uuid        NOT NULL,
    line_no             integer     NOT NULL CHECK (line_no >= 1),
    item_id             uuid,
    description         text        NOT NULL CHECK (length(description) BETWEEN 1 AND 300),
    hsn_sac             text        NOT NULL CHECK (hsn_sac ~ '^[0-9]{4,8}$'),
    is_service          boolean     NOT NULL,
    quantity            numeric(18, 3) NOT NULL CHECK (quantity > 0),
    unit                text        NOT NULL CHECK (unit ~ '^[A-Z]{3}$'),
    unit_price          numeric(18, 2) NOT NULL CHECK (unit_price >= 0),
    price_includes_tax  boolean     NOT NULL DEFAULT false,
    discount            numeric(18, 2) NOT NULL DEFAULT 0 CHECK (discount >= 0),
    taxability          text        NOT NULL DEFAULT 'taxable' CHECK (taxability IN ('taxable', 'nil_rated', 'exempt', 'non_gst')),
    gross               numeric(18, 2) NOT NULL,
    taxable_value       numeric(18, 2) NOT NULL,
    gst_rate            numeric(5, 2)  NOT NULL,
    cgst                numeric(18, 2) NOT NULL DEFAULT 0,
    sgst                numeric(18, 2) NOT NULL DEFAULT 0,
    utgst               numeric(18, 2) NOT NULL DEFAULT 0,
    igst                numeric(18, 2) NOT NULL DEFAULT 0,
    cess_rate           numeric(5, 2)  NOT NULL DEFAULT 0,
    cess                numeric(18, 2) NOT NULL DEFAULT 0,
    total               numeric(18, 2) NOT NULL,
    PRIMARY KEY (tenant_id, document_id, line_no),
    FOREIGN KEY (tenant_id, document_id) REFERENCES ledger_documents (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id)
);
CREATE INDEX ledger_document_lines_item ON ledger_document_lines (tenant_id, item_id) WHERE item_id IS NOT NULL;

-- Stock moved by issued documents (goods only).
CREATE TABLE stock_moves (
    tenant_id    uuid        NOT NULL,
    id           uuid        NOT NULL,
    item_id      uuid        NOT NULL,
    document_id  uuid        NOT NULL,
    quantity     numeric(18, 3) NOT NULL,
    moved_on     date        NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, document_id) REFERENCES ledger_documents (tenant_id, id)
);
CREATE INDEX stock_moves_item ON stock_moves (tenant_id, item_id, moved_on);

CREATE TABLE payments (
    tenant_id        uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               uuid        NOT NULL,
    -- receipt (from a customer) or payment (to a supplier)
    kind             text        NOT NULL CHECK (kind IN ('receipt', 'payment')),
    party_id         uuid        NOT NULL,
    paid_on          date        NOT NULL,
    mode             text        NOT NULL CHECK (mode IN ('cash', 'bank_transfer', 'upi', 'cheque', 'card', 'other')),
    reference        text        CHECK (length(reference) <= 100),
    account_id       uuid        NOT NULL,
    amount           numeric(18, 2) NOT NULL CHECK (amount >= 0),
    tds_section      text,
    tds_amount       numeric(18, 2) NOT NULL DEFAULT 0 CHECK (tds_amount >= 0),
    tds_certificate  text        CHECK (length(tds_certificate) <= 60),
    -- What settled the party's opening balance (receipts and payments
    -- settle it first, before anything is kept as an advance).
    opening_applied  numeric(18, 2) NOT NULL DEFAULT 0 CHECK (opening_applied >= 0),
    -- What no document took yet: an advance.
    unallocated      numeric(18, 2) NOT NULL DEFAULT 0 CHECK (unallocated >= 0),
    notes            text        CHECK (length(notes) <= 2000),
    created_by       uuid,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, party_id) REFERENCES parties (tenant_id, id),
    FOREIGN KEY (tenant_id, account_id) REFERENCES accounts (tenant_id, id),
    CHECK (amount + tds_amount > 0),
    CHECK (unallocated + opening_applied <= amount + tds_amount)
);
CREATE INDEX payments_recent ON payments (tenant_id, paid_on DESC, id DESC);
CREATE INDEX payments_party ON payments (tenant_id, party_id, paid_on);

CREATE TABLE payment_allocations (
    tenant_id     uuid        NOT NULL,
    id            uuid        NOT NULL,
    payment_id    uuid,
    -- A credit note applied to the invoice it adjusts.
    credit_note_id uuid,
    document_id   uuid        NOT NULL,
    amount        numeric(18, 2) NOT NULL CHECK (amount > 0),
    allocated_on  date        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, payment_id) REFERENCES payments (tenant_id, id),
    FOREIGN KEY (tenant_id, credit_note_id) REFERENCES ledger_documents (tenant_id, id),
    FOREIGN KEY (tenant_id, document_id) REFERENCES ledger_documents (tenant_id, id),
    CHECK ((payment_id IS NULL) <> (credit_note_id IS NULL))
);
CREATE INDEX payment_allocations_document ON payment_allocations (tenant_id, document_id);
CREATE INDEX payment_allocations_payment ON payment_allocations (tenant_id, payment_id);
CREATE INDEX payment_allocations_on ON payment_allocations (tenant_id, allocated_on);

CREATE TABLE journals (
    tenant_id    uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           uuid        NOT NULL,
    posted_on    date        NOT NULL,
    -- What posted it: a document, a payment, an allocation, a party's
    -- opening balance, or a person (manual).
    source       text        NOT NULL CHECK (source IN ('document', 'payment', 'allocation', 'opening', 'manual', 'cancellation')),
    source_id    uuid,
    narration    text        NOT NULL CHECK (length(narration) BETWEEN 1 AND 500),
    created_by   uuid,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX journals_posted ON journals (tenant_id, posted_on, id);
CREATE INDEX journals_source ON journals (tenant_id, source_id) WHERE source_id IS NOT NULL;

CREATE TABLE journal_lines (
    tenant_id    uuid        NOT NULL,
    journal_id   uuid        NOT NULL,
    line_no      integer     NOT NULL,
    account_id   uuid        NOT NULL,
    party_id     uuid,
    posted_on    date        NOT NULL,
    debit        numeric(18, 2) NOT NULL DEFAULT 0 CHECK (debit >= 0),
    credit       numeric(18, 2) NOT NULL DEFAULT 0 CHECK (credit >= 0),
    PRIMARY KEY (tenant_id, journal_id, line_no),
    FOREIGN KEY (tenant_id, journal_id) REFERENCES journals (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, account_id) REFERENCES accounts (tenant_id, id),
    FOREIGN KEY (tenant_id, party_id) REFERENCES parties (tenant_id, id),
    CHECK ((debit = 0) <> (credit = 0))
);
CREATE INDEX journal_lines_account ON journal_lines (tenant_id, account_id, posted_on);
CREATE INDEX journal_lines_party ON journal_lines (tenant_id, party_id, posted_on) WHERE party_id IS NOT NULL;

-- A journal whose lines do not balance cannot commit: checked once per
-- transaction for every journal it touched.
CREATE FUNCTION journal_balances() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE d numeric; c numeric; n integer;
BEGIN
    SELECT coalesce(sum(debit), 0), coalesce(sum(credit), 0), count(*) INTO d, c, n
      FROM journal_lines WHERE tenant_id = NEW.tenant_id AND journal_id = NEW.journal_id;
    IF n > 0 AND d <> c THEN
        RAISE EXCEPTION 'journal % does not balance: debits % and credits %', NEW.journal_id, d, c
            USING ERRCODE = 'check_violation', CONSTRAINT = 'journal_balances';
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER journal_lines_balance AFTER INSERT OR UPDATE ON journal_lines
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION journal_balances();

SELECT enable_tenant_rls('ledger_settings');
SELECT enable_tenant_rls('accounts');
SELECT enable_tenant_rls('parties');
SELECT enable_tenant_rls('items');
SELECT enable_tenant_rls('item_rates');
SELECT enable_tenant_rls('number_series');
SELECT enable_tenant_rls('number_counters');
SELECT enable_tenant_rls('ledger_documents');
SELECT enable_tenant_rls('ledger_document_lines');
SELECT enable_tenant_rls('stock_moves');
SELECT enable_tenant_rls('payments');
SELECT enable_tenant_rls('payment_allocations');
SELECT enable_tenant_rls('journals');
SELECT enable_tenant_rls('journal_lines');

-- GST rates of common HSN/SAC headings before and after the rate
-- rationalisation of 22 September 2025 (notification 9/2025-Central Tax
-- (Rate)): the 12% and 28% slabs folded into 5%, 18% and 40%. A heading not
-- listed takes the rate the company gives its item.
INSERT INTO gst_rate_schedule (hsn_prefix, effective_from, effective_to, rate, cess_rate, description) VALUES
    ('0401', '2017-07-01', NULL, 0, 0, 'Milk and cream, not concentrated'),
    ('1006', '2017-07-01', NULL, 5, 0, 'Rice (pre-packaged and labelled)'),
    ('0902', '2017-07-01', NULL, 5, 0, 'Tea'),
    ('1701', '2017-07-01', NULL, 5, 0, 'Cane or beet sugar'),
    ('1905', '2017-07-01', '2025-09-21', 18, 0, 'Bread, pastry, cakes, biscuits'),
    ('1905', '2025-09-22', NULL, 5, 0, 'Bread, pastry, cakes, biscuits'),
    ('2106', '2017-07-01', '2025-09-21', 18, 0, 'Food preparations n.e.s. (namkeen, bhujia)'),
    ('2106', '2025-09-22', NULL, 5, 0, 'Food preparations n.e.s. (namkeen, bhujia)'),
    ('2201', '2017-07-01', '2025-09-21', 18, 0, 'Packaged drinking water (20 litre jars excepted)'),
    ('2201', '2025-09-22', NULL, 5, 0, 'Packaged drinking water (20 litre jars excepted)'),
    ('2202', '2017-07-01', '2025-09-21', 28, 12, 'Aerated waters with added sugar'),
    ('2202', '2025-09-22', NULL, 40, 0, 'Aerated waters with added sugar'),
    ('3004', '2017-07-01', '2025-09-21', 12, 0, 'Medicaments in measured doses'),
    ('3004', '2025-09-22', NULL, 5, 0, 'Medicaments in measured doses'),
    ('3305', '2017-07-01', '2025-09-21', 18, 0, 'Hair oil, shampoo'),
    ('3305', '2025-09-22', NULL, 5, 0, 'Hair oil, shampoo'),
    ('3401', '2017-07-01', '2025-09-21', 18, 0, 'Soap'),
    ('3401', '2025-09-22', NULL, 5, 0, 'Soap'),
    ('4011', '2017-07-01', '2025-09-21', 28, 0, 'New pneumatic tyres of rubber'),
    ('4011', '2025-09-22', NULL, 18, 0, 'New pneumatic tyres of rubber'),
    ('4820', '2017-07-01', '2025-09-21', 12, 0, 'Notebooks, exercise books'),
    ('4820', '2025-09-22', NULL, 0, 0, 'Exercise books and notebooks'),
    ('6109', '2017-07-01', NULL, 5, 0, 'T-shirts, knitted (sale value up to ₹2,500)'),
    ('7113', '2017-07-01', NULL, 3, 0, 'Articles of jewellery'),
    ('8415', '2017-07-01', '2025-09-21', 28, 0, 'Air conditioning machines'),
    ('8415', '2025-09-22', NULL, 18, 0, 'Air conditioning machines'),
    ('8471', '2017-07-01', NULL, 18, 0, 'Computers and units thereof'),
    ('8517', '2017-07-01', NULL, 18, 0, 'Telephones, mobile phones'),
    ('8528', '2017-07-01', '2025-09-21', 28, 0, 'Monitors and television sets'),
    ('8528', '2025-09-22', NULL, 18, 0, 'Monitors and television sets'),
    ('8703', '2017-07-01', '2025-09-21', 28, 15, 'Motor cars (small cars lower cess)'),
    ('8703', '2025-09-22', NULL, 40, 0, 'Motor cars (small cars 18%)'),
    ('8711', '2017-07-01', '2025-09-21', 28, 0, 'Motorcycles (up to 350 cc)'),
    ('8711', '2025-09-22', NULL, 18, 0, 'Motorcycles (up to 350 cc)'),
    ('9403', '2017-07-01', NULL, 18, 0, 'Other furniture'),
    ('9954', '2017-07-01', '2025-09-21', 12, 0, 'Construction services (works contracts)'),
    ('9954', '2025-09-22', NULL, 18, 0, 'Construction services (works contracts)'),
    ('9963', '2017-07-01', NULL, 18, 0, 'Accommodation, food and beverage services'),
    ('9965', '2017-07-01', NULL, 5, 0, 'Goods transport services'),
    ('9971', '2017-07-01', NULL, 18, 0, 'Financial and related services'),
    ('9972', '2017-07-01', NULL, 18, 0, 'Real estate services'),
    ('9973', '2017-07-01', NULL, 18, 0, 'Leasing or rental services'),
    ('9982', '2017-07-01', NULL, 18, 0, 'Legal and accounting services'),
    ('9983', '2017-07-01', NULL, 18, 0, 'Other professional, technical and business services'),
    ('9985', '2017-07-01', NULL, 18, 0, 'Support services'),
    ('9987', '2017-07-01', NULL, 18, 0, 'Maintenance, repair and installation services'),
    ('9992', '2017-07-01', NULL, 0, 0, 'Education services'),
    ('9997', '2017-07-01', NULL, 18, 0, 'Other services');
