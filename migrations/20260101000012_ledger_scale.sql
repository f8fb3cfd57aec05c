-- The ledger at ten million documents a company.

-- Each account's debits and credits per day, kept as lines are posted, so
-- the trial balance, profit and loss and balance sheet read one row per
-- account and day instead of every line ever posted. Lines are only ever
-- inserted; an update or delete (a tenant removed) is applied too.
CREATE TABLE account_days (
    tenant_id   uuid           NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    account_id  uuid           NOT NULL,
    day         date           NOT NULL,
    debit       numeric(20, 2) NOT NULL DEFAULT 0,
    credit      numeric(20, 2) NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, account_id, day),
    FOREIGN KEY (tenant_id, account_id) REFERENCES accounts (tenant_id, id) ON DELETE CASCADE
);

CREATE FUNCTION account_days_keep() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE account_days SET debit = debit - OLD.debit, credit = credit - OLD.credit
         WHERE tenant_id = OLD.tenant_id AND account_id = OLD.account_id AND day = OLD.posted_on;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO account_days (tenant_id, account_id, day, debit, credit)
        VALUES (NEW.tenant_id, NEW.account_id, NEW.posted_on, NEW.debit, NEW.credit)
        ON CONFLICT (tenant_id, account_id, day) DO UPDATE
           SET debit = account_days.debit + EXCLUDED.debit, credit = account_days.credit + EXCLUDED.credit;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER journal_lines_days AFTER INSERT OR UPDATE OR DELETE ON journal_lines
    FOR EACH ROW EXECUTE FUNCTION account_days_keep();

INSERT INTO account_days (tenant_id, account_id, day, debit, credit)
SELECT tenant_id, account_id, posted_on, sum(debit), sum(credit)
  FROM journal_lines GROUP BY tenant_id, account_id, posted_on;

SELECT enable_tenant_rls('account_days');

-- Number search: a number's beginning or its end, in any case. Under
-- row-level security only leakproof operators can use an index, so the
-- search compares stored upper-cased (and reversed) copies of the number
-- with plain text ranges, never ILIKE (whose index would be skipped).
ALTER TABLE ledger_documents
    ADD COLUMN number_key  text COLLATE "C" GENERATED ALWAYS AS (upper(number)) STORED,
    ADD COLUMN number_rkey text COLLATE "C" GENERATED ALWAYS AS (reverse(upper(number))) STORED;
CREATE INDEX ledger_documents_number_key ON ledger_documents (tenant_id, number_key);
CREATE INDEX ledger_documents_number_rkey ON ledger_documents (tenant_id, number_rkey);

-- A page of a list is merged from one ordered range per kind and status.
CREATE INDEX ledger_documents_kind_status ON ledger_documents (tenant_id, kind, status, doc_date DESC, id DESC);
DROP INDEX ledger_documents_status;
-- A party's documents in the list's order (its page is an ordered range).
DROP INDEX ledger_documents_party;
CREATE INDEX ledger_documents_party ON ledger_documents (tenant_id, party_id, doc_date DESC, id DESC);
