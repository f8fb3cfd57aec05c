// GST in words: where an e-invoice stands, why an IRN was cancelled, the
// field of ours a violation names ("lines[1].hsn_sac" → "Line 2 ·
// HSN/SAC"); the return periods, GSTR-1's sections and where they part
// from the sales register, GSTR-3B's set-off; and the e-way bill's
// states and JSON paths in words.
import type { Schemas } from "../api/client";
import { fromPaise, toPaise } from "./money";

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

// ── Returns: GSTR-1 and GSTR-3B ──────────────────────────────────────────

export type Gstr1Report = Schemas["Gstr1Report"];
export type SectionTotal = Schemas["SectionTotal"];
export type Head = Schemas["TaxHead"];
export type Utilisation = Schemas["Utilisation"];

/** Tax by head, as GSTR-3B's set-off gives it. */
export type TaxHeads = Schemas["TaxHeads"];

/** The month's tax paid: credit used in the law's order, the rest in cash. */
export type SetOff = Schemas["SetOff"];

/** Figures of the GSTR-3B portal JSON (JSON numbers). */
export interface PortalTax {
  ty?: string;
  pos?: string;
  txval?: number;
  iamt?: number;
  camt?: number;
  samt?: number;
  csamt?: number;
}

/** The GST portal's GSTR-3B JSON, as far as the console shows it. */
export interface Gstr3bPortal {
  gstin?: string;
  ret_period?: string;
  sup_details?: { osup_det?: PortalTax; osup_zero?: PortalTax; osup_nil_exmp?: PortalTax; isup_rev?: PortalTax; osup_nongst?: PortalTax };
  inter_sup?: { unreg_details?: PortalTax[]; comp_details?: PortalTax[]; uin_details?: PortalTax[] };
  itc_elg?: { itc_avl?: PortalTax[]; itc_rev?: PortalTax[]; itc_net?: PortalTax; itc_inelg?: PortalTax[] };
  inward_sup?: { isup_details?: { ty?: string; inter?: number; intra?: number }[] };
}

export type Gstr3bReport = Omit<Schemas["Gstr3bReport"], "set_off" | "portal"> & { set_off: SetOff; portal: Gstr3bPortal };

/** Whether `s` is a return period, `YYYY-MM`. */
export function isPeriod(s: string): boolean {
  return /^\d{4}-(0[1-9]|1[0-2])$/.test(s);
}

/** The month a `YYYY-MM-DD` day falls in: `2026-05`. */
export function monthOf(day: string): string {
  return day.slice(0, 7);
}

/** The month before the one `day` falls in (returns are filed for it). */
export function previousMonth(day: string): string {
  const [y = 1970, m = 1] = day.split("-").map(Number);
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, "0")}`;
}

/** The portal's form of a period: `2026-05` → `052026`. */
export function portalPeriod(period: string): string {
  return `${period.slice(5, 7)}${period.slice(0, 4)}`;
}

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/** `2026-05` → "May 2026". */
export function periodName(period: string): string {
  if (!isPeriod(period)) return period;
  return `${MONTHS[Number(period.slice(5, 7)) - 1]} ${period.slice(0, 4)}`;
}

/** GSTR-1's sections as the page shows them, in the return's order. */
export const GSTR1_SECTIONS: [string, string][] = [
  ["b2b", "B2B invoices"],
  ["b2cl", "B2C large"],
  ["b2cs", "B2C small"],
  ["cdnr", "Credit/debit notes (registered)"],
  ["cdnur", "Credit/debit notes (unregistered)"],
  ["exp", "Exports"],
  ["nil", "Nil-rated, exempt and non-GST"],
  ["hsn", "HSN summary"],
  ["all", "Total"],
];

export function gstr1SectionName(section: string): string {
  return GSTR1_SECTIONS.find(([k]) => k === section)?.[1] ?? section;
}

/** What a GSTR-1 flag is about. */
export const FLAG_KINDS: Record<string, string> = {
  earlier_period_note: "Note on an earlier month's invoice",
  cancelled_after_period: "Cancelled after its month",
  amendment: "Amendment",
};

export type CsvSection = "b2b" | "b2cl" | "b2cs" | "cdnr" | "cdnur" | "exp" | "exemp" | "hsn" | "hsn_b2b" | "hsn_b2c" | "docs";

/**
 * The offline tool's CSV sections of a period: from May 2025 the HSN
 * summary is given apart for supplies to registered and unregistered
 * persons, before that as one.
 */
export function csvSections(period: string): [CsvSection, string][] {
  const split = period >= "2025-05";
  return [
    ["b2b", "B2B invoices (b2b)"],
    ["b2cl", "B2C large (b2cl)"],
    ["b2cs", "B2C small (b2cs)"],
    ["cdnr", "Credit/debit notes, registered (cdnr)"],
    ["cdnur", "Credit/debit notes, unregistered (cdnur)"],
    ["exp", "Exports (exp)"],
    ["exemp", "Nil-rated, exempt and non-GST (exemp)"],
    ...(split
      ? ([
          ["hsn_b2b", "HSN summary, B2B (hsn_b2b)"],
          ["hsn_b2c", "HSN summary, B2C (hsn_b2c)"],
        ] as [CsvSection, string][])
      : ([["hsn", "HSN summary (hsn)"]] as [CsvSection, string][])),
    ["docs", "Documents issued (docs)"],
  ];
}

/** One figure on which GSTR-1 and the sales register part. */
export interface Gap {
  /** "Total of the sections" or "HSN summary". */
  what: string;
  /** "Taxable value", "IGST", … */
  figure: string;
  ours: string;
  register: string;
  /** `ours − register`, as a decimal string. */
  difference: string;
}

const FIGURES: [string, (t: SectionTotal) => string, (r: Gstr1Report["register"]) => string][] = [
  ["Taxable value", (t) => t.taxable_value, (r) => r.taxable_value],
  ["IGST", (t) => t.igst, (r) => r.igst],
  ["CGST", (t) => t.cgst, (r) => r.cgst],
  ["SGST/UTGST", (t) => t.sgst, (r) => fromPaise((toPaise(r.sgst) ?? 0) + (toPaise(r.utgst) ?? 0))],
  ["Cess", (t) => t.cess, (r) => r.cess],
];

/**
 * Where GSTR-1 does not add up to the sales register: the document
 * sections' total and the HSN summary, figure by figure, to the paisa.
 */
export function gstr1Gaps(r: Pick<Gstr1Report, "sections" | "register">): Gap[] {
  const out: Gap[] = [];
  for (const [key, what] of [
    ["all", "Total of the sections"],
    ["hsn", "HSN summary"],
  ] as const) {
    const t = r.sections.find((s) => s.section === key);
    if (!t) continue;
    for (const [figure, mine, theirs] of FIGURES) {
      const a = toPaise(mine(t)) ?? 0;
      const b = toPaise(theirs(r.register)) ?? 0;
      if (a !== b) out.push({ what, figure, ours: fromPaise(a), register: fromPaise(b), difference: fromPaise(a - b) });
    }
  }
  return out;
}

export const HEAD_NAMES: Record<Head, string> = { igst: "IGST", cgst: "CGST", sgst: "SGST/UTGST", cess: "Cess" };
export const HEAD_ORDER: Head[] = ["igst", "cgst", "sgst", "cess"];

/** A step of the set-off in words: "IGST credit → CGST". */
export function utilisationWords(u: Pick<Utilisation, "credit" | "liability">): string {
  return `${HEAD_NAMES[u.credit] ?? u.credit} credit → ${HEAD_NAMES[u.liability] ?? u.liability}`;
}

/** How much of a head's liability credit paid. */
export function paidFromCredit(s: Pick<SetOff, "utilised">, head: Head): string {
  return fromPaise(s.utilised.filter((u) => u.liability === head).reduce((a, u) => a + (toPaise(u.amount) ?? 0), 0));
}

/** The name the GST portal's GSTR-3B JSON is saved under. */
export function gstr3bFileName(gstin: string, period: string): string {
  return `GSTR3B_${gstin}_${portalPeriod(period)}.json`;
}

/** GSTR-3B table 4's kinds of credit, in its order. */
export const ITC_TYPES: Record<string, string> = {
  IMPG: "Import of goods",
  IMPS: "Import of services",
  ISRC: "Inward supplies liable to reverse charge",
  ISD: "Inward supplies from ISD",
  OTH: "All other ITC",
  RUL: "As per rules 38, 42 and 43 and section 17(5)",
};

// ── E-way bills ──────────────────────────────────────────────────────────

export type EwayBillStatus = Schemas["EwayBillStatus"];
export type Transport = Schemas["Transport"];
export type TransportMode = Schemas["Mode"];

export const TRANSPORT_MODES: [TransportMode, string][] = [
  ["road", "Road"],
  ["rail", "Rail"],
  ["air", "Air"],
  ["ship", "Ship"],
];

/** Where an e-way bill stands, in words (none: the transport is not given yet). */
export function ewayState(status: string | null | undefined): { name: string; tone: "neutral" | "good" | "warn" | "bad" | "info" } {
  switch (status) {
    case null:
    case undefined:
    case "":
      return { name: "Not prepared", tone: "neutral" };
    case "prepared":
      return { name: "Prepared — JSON ready for the e-way bill portal", tone: "info" };
    case "generated":
      return { name: "Generated", tone: "good" };
    case "failed":
      return { name: "Failed", tone: "bad" };
    default:
      return { name: status, tone: "neutral" };
  }
}

export type TransportField = "mode" | "distance_km" | "vehicle_no" | "transporter_id" | "transporter_name" | "over_dimensional" | "transport_doc_no" | "transport_doc_date";

/** The e-way bill JSON's Part B paths, and the transport input each comes from. */
export const TRANSPORT_PATHS: Record<string, TransportField> = {
  vehicleNo: "vehicle_no",
  transDistance: "distance_km",
  transporterId: "transporter_id",
  transporterName: "transporter_name",
  transDocNo: "transport_doc_no",
  transDocDate: "transport_doc_date",
  transMode: "mode",
  vehicleType: "over_dimensional",
};

/** Part A's paths: the field of ours each comes from. */
const EWAY_FIELDS: Record<string, string> = {
  docNo: "number",
  docDate: "date",
  userGstin: "company.gstin",
  fromGstin: "company.gstin",
  fromTrdName: "company.name",
  fromAddr1: "company.address.line1",
  fromAddr2: "company.address.line2",
  fromPlace: "company.address.city",
  fromPincode: "company.address.pincode",
  fromStateCode: "company.state",
  actFromStateCode: "company.address.state_code",
  toGstin: "party.gstin",
  toTrdName: "party.legal_name",
  toAddr1: "party.billing_address.line1",
  toAddr2: "party.billing_address.line2",
  toPlace: "party.billing_address.city",
  toPincode: "party.billing_address.pincode",
  toStateCode: "place_of_supply",
  actToStateCode: "party.billing_address.state_code",
  itemList: "lines",
};

const EWAY_ITEM_FIELDS: Record<string, string> = {
  hsnCode: "hsn_sac",
  qtyUnit: "unit",
  quantity: "quantity",
  productName: "description",
  productDesc: "description",
};

const EWAY_TOTALS: Record<string, string> = {
  totInvValue: "Total",
  totalValue: "Taxable value",
  cgstValue: "CGST",
  sgstValue: "SGST/UTGST",
  igstValue: "IGST",
  cessValue: "Cess",
  otherValue: "Other charges",
};

/** The line a message names ("line 2: …"), if any. */
export function lineOf(message: string): number | null {
  const m = /^line (\d+):/i.exec(message.trim());
  return m ? Number(m[1]) : null;
}

/**
 * An e-way bill JSON path in words, as the e-invoice's fields are:
 * `itemList[0].hsnCode` → "Line 1 · HSN/SAC" (the line the message names,
 * when it does), `fromPincode` → "Company · PIN code". Unknown paths give "".
 */
export function ewayPathWords(path: string, message = ""): string {
  const item = /^itemList\[(\d+)\]\.(\w+)$/.exec(path);
  if (item) {
    const line = lineOf(message) ?? Number(item[1]) + 1;
    const f = EWAY_ITEM_FIELDS[item[2] ?? ""];
    return f ? `Line ${line} · ${LINE_FIELDS[f] ?? f}` : `Line ${line}`;
  }
  const ours = EWAY_FIELDS[path];
  if (ours) {
    if (ours === "company.state") return "Company · State";
    const w = fieldWords(ours);
    return w === ours ? "" : w;
  }
  return EWAY_TOTALS[path] ?? "";
}

/** The name an e-way bill's JSON is saved under: `INV-2026-27-0001-ewaybill.json`. */
export function ewaybillFileName(number: string | null | undefined): string {
  return `${(number ?? "draft").replace(/[\\/]/g, "-")}-ewaybill.json`;
}
