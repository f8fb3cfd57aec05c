#!/usr/bin/env python3
"""Writes the migration that loads the HSN/SAC master from
crates/ledger/reference/hsn_sac.csv (code,description). Run it when the list
changes, as a new migration: shipped migrations are never edited.

    scripts/hsn-migration.py migrations/<timestamp>_hsn_master.sql
"""
import csv
import sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent
out = Path(sys.argv[1])
rows = list(csv.DictReader(open(root / "crates/ledger/reference/hsn_sac.csv", encoding="utf-8")))
for r in rows:
    assert r["code"].isdigit() and len(r["code"]) in (2, 4, 6, 8), r


def q(s):
    return "'" + s.replace("'", "''") + "'"


with open(out, "w", encoding="utf-8") as f:
    f.write(
        "-- The HSN/SAC master: goods and services codes with their descriptions\n"
        "-- (the GST portal's list; see crates/ledger/reference/README.md), searched by\n"
        "-- code prefix or words, and used to check items' and e-invoices' codes.\n"
        "-- Companies add their own in hsn_custom. Written by scripts/hsn-migration.py.\n"
        "CREATE TABLE hsn_codes (\n"
        "    code         text PRIMARY KEY CHECK (code ~ '^[0-9]{2,8}$'),\n"
        "    description  text NOT NULL,\n"
        "    search       tsvector GENERATED ALWAYS AS (to_tsvector('english', description)) STORED\n"
        ");\n"
        "CREATE INDEX hsn_codes_search ON hsn_codes USING gin (search);\n"
        "CREATE INDEX hsn_codes_prefix ON hsn_codes (code text_pattern_ops);\n"
        "INSERT INTO app_table_privileges (table_name, privileges) VALUES ('hsn_codes', 'SELECT');\n\n"
        "CREATE TABLE hsn_custom (\n"
        "    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,\n"
        "    code         text NOT NULL CHECK (code ~ '^[0-9]{2,8}$'),\n"
        "    description  text NOT NULL CHECK (length(description) BETWEEN 1 AND 500),\n"
        "    search       tsvector GENERATED ALWAYS AS (to_tsvector('english', description)) STORED,\n"
        "    updated_at   timestamptz NOT NULL DEFAULT now(),\n"
        "    PRIMARY KEY (tenant_id, code)\n"
        ");\n"
        "CREATE INDEX hsn_custom_search ON hsn_custom USING gin (search);\n"
        "SELECT enable_tenant_rls('hsn_custom');\n\n"
    )
    for i in range(0, len(rows), 2000):
        chunk = rows[i : i + 2000]
        f.write("INSERT INTO hsn_codes (code, description) VALUES\n")
        f.write(",\n".join(f"({q(r['code'])}, {q(r['description'])})" for r in chunk))
        f.write(";\n")
print(f"{len(rows)} codes → {out}")
