// Pieces the ledger pages share: the document type (the API's own, see
// below), status badges, state names, amounts, the party picker and CSV
// downloads.
import { useState } from "react";
import type { ReactNode } from "react";
import { ApiError, api, call, type Schemas } from "../api/client";
import { formatMoney } from "../format";
import { attachmentName, authorizedFetch, problemOf } from "../knowledge/transfer";
import { Badge, Button } from "../ui";
import { toApiError, useLoad } from "../ui/hooks";

export type Party = Schemas["Party"];
export type Item = Schemas["Item"];
export type Line = Schemas["Line"];
export type Summary = Schemas["DocumentSummary"];
export type Payment = Schemas["Payment"];
export type DocKind = Schemas["DocKind"];
export type DocStatus = Schemas["DocStatus"];

/**
 * A sales or purchase document as the ledger API returns it. The OpenAPI
 * document gives this shape the name of the knowledge base's documents,
 * so it is spelled out here.
 */
export interface LedgerDoc {
  id: string;
  kind: DocKind;
  status: DocStatus;
  number?: string | null;
  financial_year?: string | null;
  party_id: string;
  party_name: string;
  party_snapshot?: { name?: string; gstin?: string | null; state_code?: string; address?: Schemas["Address"] | null } | null;
  date: string;
  due_date?: string | null;
  valid_until?: string | null;
  place_of_supply: string;
  supply_type: Schemas["SupplyType"];
  reverse_charge: boolean;
  heads: Schemas["Heads"];
  against_id?: string | null;
  supplier_number?: string | null;
  supplier_date?: string | null;
  reference?: string | null;
  notes?: string | null;
  reason?: string | null;
  lines: Line[];
  taxable_value: string;
  discount: string;
  cgst: string;
  sgst: string;
  utgst: string;
  igst: string;
  cess: string;
  round_off: string;
  total: string;
  settled: string;
  balance_due: string;
  converted_from?: string | null;
  converted_to?: string | null;
  cancel_reason?: string | null;
  issued_at?: string | null;
  cancelled_at?: string | null;
  created_at: string;
}

/** Where each family of documents lives in the API and the console. */
export type Family = "invoices" | "quotations" | "bills";

export const FAMILY: Record<Family, { title: string; one: string; path: string; read: string; write: string; issue: string; cancel: string; parties: "customer" | "supplier" }> = {
  invoices: { title: "Invoices", one: "Invoice", path: "/invoices", read: "invoices:read", write: "invoices:create", issue: "invoices:issue", cancel: "invoices:cancel", parties: "customer" },
  quotations: { title: "Quotations", one: "Quotation", path: "/quotations", read: "quotations:read", write: "quotations:create", issue: "quotations:issue", cancel: "quotations:issue", parties: "customer" },
  bills: { title: "Purchase bills", one: "Purchase bill", path: "/bills", read: "bills:read", write: "bills:write", issue: "bills:write", cancel: "bills:write", parties: "supplier" },
};

export function familyOf(kind: DocKind): Family {
  return kind === "quotation" ? "quotations" : kind === "purchase_bill" ? "bills" : "invoices";
}

export const KIND_NAMES: Record<DocKind, string> = {
  quotation: "Quotation",
  invoice: "Tax invoice",
  bill_of_supply: "Bill of supply",
  credit_note: "Credit note",
  debit_note: "Debit note",
  purchase_bill: "Purchase bill",
};

export const STATUS_NAMES: Record<DocStatus, string> = {
  draft: "Draft",
  issued: "Issued",
  partially_paid: "Partly paid",
  paid: "Paid",
  overdue: "Overdue",
  cancelled: "Cancelled",
  converted: "Converted",
  expired: "Expired",
};

const TONES: Record<DocStatus, "neutral" | "good" | "warn" | "bad" | "info"> = {
  draft: "neutral",
  issued: "info",
  partially_paid: "warn",
  paid: "good",
  overdue: "bad",
  cancelled: "bad",
  converted: "good",
  expired: "warn",
};

export function StatusBadge({ status }: { status: DocStatus }) {
  return <Badge tone={TONES[status]}>{STATUS_NAMES[status] ?? status}</Badge>;
}

/** GST state codes and their names (96: outside India). */
export const STATES: [string, string][] = [
  ["01", "Jammu and Kashmir"], ["02", "Himachal Pradesh"], ["03", "Punjab"], ["04", "Chandigarh"], ["05", "Uttarakhand"], ["06", "Haryana"],
  ["07", "Delhi"], ["08", "Rajasthan"], ["09", "Uttar Pradesh"], ["10", "Bihar"], ["11", "Sikkim"], ["12", "Arunachal Pradesh"],
  ["13", "Nagaland"], ["14", "Manipur"], ["15", "Mizoram"], ["16", "Tripura"], ["17", "Meghalaya"], ["18", "Assam"], ["19", "West Bengal"],
  ["20", "Jharkhand"], ["21", "Odisha"], ["22", "Chhattisgarh"], ["23", "Madhya Pradesh"], ["24", "Gujarat"],
  ["26", "Dadra and Nagar Haveli and Daman and Diu"], ["27", "Maharashtra"], ["29", "Karnataka"], ["30", "Goa"], ["31", "Lakshadweep"],
  ["32", "Kerala"], ["33", "Tamil Nadu"], ["34", "Puducherry"], ["35", "Andaman and Nicobar Islands"], ["36", "Telangana"],
  ["37", "Andhra Pradesh"], ["38", "Ladakh"], ["97", "Other Territory"], ["96", "Outside India"],
];

export function stateName(code: string | null | undefined): string {
  if (!code) return "—";
  const s = STATES.find(([c]) => c === code);
  return s ? `${s[1]} (${code})` : code;
}

/** Unit quantity codes (UQC) in common use. */
export const UNITS: [Schemas["Unit"], string][] = [
  ["NOS", "Numbers"], ["PCS", "Pieces"], ["KGS", "Kilograms"], ["GMS", "Grams"], ["LTR", "Litres"], ["MLT", "Millilitres"], ["MTR", "Metres"],
  ["SQM", "Square metres"], ["BOX", "Boxes"], ["PAC", "Packs"], ["SET", "Sets"], ["DOZ", "Dozens"], ["PRS", "Pairs"], ["BAG", "Bags"],
  ["BTL", "Bottles"], ["CTN", "Cartons"], ["ROL", "Rolls"], ["TON", "Tonnes"], ["QTL", "Quintals"], ["UNT", "Units"], ["OTH", "Others (services)"],
];

export const SUPPLY_TYPES: [Schemas["SupplyType"], string][] = [
  ["regular", "Regular"],
  ["export_with_tax", "Export, tax paid"],
  ["export_without_tax", "Export under LUT (no tax)"],
  ["sez_with_tax", "To an SEZ, tax paid"],
  ["sez_without_tax", "To an SEZ under LUT (no tax)"],
  ["deemed_export", "Deemed export"],
];

export const HEADS: Record<Schemas["Heads"], string> = {
  cgst_sgst: "CGST + SGST (within the state)",
  cgst_utgst: "CGST + UTGST (within the union territory)",
  igst: "IGST (between states)",
  none: "No GST",
};

export const MODES: [Schemas["PaymentMode"], string][] = [
  ["bank_transfer", "Bank transfer (NEFT, RTGS, IMPS)"],
  ["upi", "UPI"],
  ["cash", "Cash"],
  ["cheque", "Cheque"],
  ["card", "Card"],
  ["other", "Other"],
];

export const TDS_SECTIONS: [Schemas["TdsSection"], string][] = [
  ["194C", "194C — contractors"],
  ["194J-technical", "194J — technical services"],
  ["194J-professional", "194J — professional services"],
  ["194H", "194H — commission"],
  ["194I-machinery", "194I — rent of machinery"],
  ["194I-property", "194I — rent of property"],
  ["194Q", "194Q — purchase of goods"],
];

/** Rupees with Indian grouping, "—" for nothing. */
export function rupees(s: string | null | undefined): string {
  return formatMoney(s);
}

/** Today as YYYY-MM-DD in the company's zone. */
export function today(timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
}

/** The first day of the Indian financial year that `day` falls in. */
export function financialYearStart(day: string): string {
  const [y = 1970, m = 1] = day.split("-").map(Number);
  return `${m >= 4 ? y : y - 1}-04-01`;
}

/** Parties for a picker: customers or suppliers, not archived. */
export function useParties(kind?: "customer" | "supplier") {
  return useLoad(async () => (await call(api.GET("/api/v1/parties", { params: { query: { kind, limit: 200 } } }))).items as Party[], [kind]);
}

/** Saves `blob` as a file called `fileName`. */
export function saveFile(blob: Blob, fileName: string): void {
  const href = URL.createObjectURL(blob);
  try {
    const a = document.createElement("a");
    a.href = href;
    a.download = fileName;
    a.rel = "noopener";
    document.body.append(a);
    a.click();
    a.remove();
  } finally {
    // Long enough for the browser to start the download.
    window.setTimeout(() => URL.revokeObjectURL(href), 60_000);
  }
}

/**
 * Saves an authorised download (a CSV, a JSON) as a file: under
 * `fileName`, or with `serverName` under the name the server gives.
 */
export async function downloadCsv(url: string, fileName: string, serverName = false): Promise<void> {
  let r: Response;
  try {
    r = await authorizedFetch(url);
  } catch {
    throw new ApiError(0, null, "The server cannot be reached. Check your connection and try again.");
  }
  if (!r.ok) throw await problemOf(r);
  const name = serverName ? attachmentName(r.headers.get("Content-Disposition"), fileName) : fileName;
  saveFile(await r.blob(), name);
}

/** A "Download CSV" button for a report or statement; says why it failed. */
export function CsvButton({ url, fileName, label = "Download CSV", serverName = false }: { url: string; fileName: string; label?: string; serverName?: boolean }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  return (
    <span className="row">
      <Button
        busy={busy}
        onClick={() => {
          setBusy(true);
          setError(undefined);
          downloadCsv(url, fileName, serverName)
            .catch((e: unknown) => setError(toApiError(e).message))
            .finally(() => setBusy(false));
        }}
      >
        {label}
      </Button>
      {error ? (
        <span className="error-text" role="alert">
          {error}
        </span>
      ) : null}
    </span>
  );
}

/** A query string from the values that are set. */
export function qs(values: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
}

/** Figures as a definition list: label, value. */
export function Figures({ rows, label }: { rows: [string, ReactNode][]; label?: string }) {
  return (
    <dl className="figures" aria-label={label}>
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}
