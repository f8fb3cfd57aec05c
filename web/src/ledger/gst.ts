// E-invoicing in words: where an e-invoice stands, why an IRN was
// cancelled, and the field of ours a violation names ("lines[1].hsn_sac"
// → "Line 2 · HSN/SAC").
import type { Schemas } from "../api/client";

export type EinvoiceStatus = Schemas["EinvoiceStatus"];
export type EinvoiceState = Schemas["EinvoiceState"];
export type CancelReason = Schemas["CancelReason"];

export const EINVOICE_STATES: Record<EinvoiceState, { name: string; tone: "neutral" | "good" | "warn" | "bad" | "info" }> = {
  not_generated: { name: "Not generated", tone: "neutral" },
  pending: { name: "Pending", tone: "warn" },
  generated: { name: "Generated", tone: "good" },
  failed: { name: "Failed", tone: "bad" },
  cancelled: { name: "Cancelled", tone: "bad" },
};

/** The reasons the IRP accepts, in its order (1–4). */
export const CANCEL_REASONS: [CancelReason, string][] = [
  ["duplicate", "Duplicate"],
  ["data_entry_mistake", "Data entry mistake"],
  ["order_cancelled", "Order cancelled"],
  ["other", "Other"],
];

/** The IRP's reason code (1–4) in words. */
export function cancelReasonName(code: number | null | undefined): string {
  if (!code) return "—";
  return CANCEL_REASONS[code - 1]?.[1] ?? String(code);
}

const LINE_FIELDS: Record<string, string> = {
  description: "Description",
  hsn_sac: "HSN/SAC",
  quantity: "Quantity",
  unit: "Unit",
  unit_price: "Unit price",
  discount: "Discount",
  gst_rate: "GST rate",
};

const ADDRESS: Record<string, string> = {
  line1: "address line 1",
  line2: "address line 2",
  city: "city",
  pincode: "PIN code",
  state_code: "state",
};

const FIELDS: Record<string, string> = {
  "company.gstin": "Company · GSTIN",
  "company.name": "Company · Name",
  "company.state": "Company · State",
  "company.phone": "Company · Phone",
  "company.email": "Company · E-mail",
  "party.gstin": "Party · GSTIN",
  "party.legal_name": "Party · Legal name",
  "party.trade_name": "Party · Trade name",
  place_of_supply: "Place of supply",
  number: "Number",
  date: "Date",
  reason: "Reason",
  against_id: "Original invoice",
  lines: "Lines",
  settings: "E-invoicing settings",
  einvoice: "E-invoice",
};

function capital(s: string): string {
  return s ? s[0]!.toUpperCase() + s.slice(1) : s;
}

/**
 * The field of ours a violation names, in words: `lines[1].hsn_sac` →
 * "Line 2 · HSN/SAC", `company.address.pincode` → "Company · PIN code",
 * `party.billing_address.city` → "Party · Billing city". Unknown fields
 * are given as they are; no field and no line gives "".
 */
export function fieldWords(field: string | null | undefined, line?: number | null): string {
  if (field) {
    const l = /^lines\[(\d+)\]\.(\w+)$/.exec(field);
    if (l) return `Line ${Number(l[1]) + 1} · ${LINE_FIELDS[l[2] ?? ""] ?? l[2]}`;
    const known = FIELDS[field];
    if (known) return known;
    const a = /^(company\.address|party\.billing_address|party\.shipping_address)\.(\w+)$/.exec(field);
    if (a && a[2] && ADDRESS[a[2]]) {
      const what = ADDRESS[a[2]]!;
      if (a[1] === "company.address") return `Company · ${capital(what)}`;
      const which = a[1] === "party.billing_address" ? "Billing" : "Shipping";
      return `Party · ${which} ${what}`;
    }
    return line ? `Line ${line} · ${field}` : field;
  }
  return line ? `Line ${line}` : "";
}

/** A violation's message without the "line N: " the line already shows. */
export function withoutLine(message: string, line: number | null | undefined): string {
  return line ? message.replace(new RegExp(`^line ${line}:\\s*`, "i"), "") : message;
}

/** What the signed QR code says, for the fields shown. */
export interface QrData {
  SellerGstin?: string;
  BuyerGstin?: string;
  DocNo?: string;
  DocTyp?: string;
  DocDt?: string;
  TotInvVal?: number | string;
  ItemCnt?: number | string;
  MainHsnCode?: string;
  Irn?: string;
  IrnDt?: string;
}

export function qrData(s: EinvoiceStatus): QrData | null {
  const q = s.qr as unknown;
  return q && typeof q === "object" ? (q as QrData) : null;
}

/** The name an e-invoice's JSON is saved under: `INV-2026-27-0001-einvoice.json`. */
export function einvoiceFileName(number: string | null | undefined): string {
  return `${(number ?? "draft").replace(/[\\/]/g, "-")}-einvoice.json`;
}

/** Whether an IRN can still be cancelled on the IRP at `now`. */
export function cancellable(s: EinvoiceStatus, now: number = Date.now()): boolean {
  if (s.status !== "generated") return false;
  if (!s.cancellable_until) return true;
  const until = Date.parse(s.cancellable_until);
  return Number.isNaN(until) || until > now;
}
