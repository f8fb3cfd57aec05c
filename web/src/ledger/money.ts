// Decimal strings as the ledger API speaks them ("1180.00"), worked in
// paise so that sums never drift, and the figures the editors show before
// the server has answered.

/** "1,180.5" → 118050 paise; null when it is not an amount. */
export function toPaise(s: string | number | null | undefined): number | null {
  if (s === null || s === undefined) return null;
  const t = String(s).trim().replace(/[,\s₹]/g, "");
  if (!/^-?\d*(\.\d*)?$/.test(t) || t === "" || t === "-" || t === "." || t === "-.") return null;
  const negative = t.startsWith("-");
  const [whole = "", frac = ""] = t.replace("-", "").split(".");
  // Rounded half away from zero at the third decimal.
  const digits = (frac + "000").slice(0, 3);
  let paise = Number(whole || "0") * 100 + Number(digits.slice(0, 2));
  if (Number(digits[2]) >= 5) paise += 1;
  return negative ? -paise : paise;
}

/** 118050 paise → "1180.50" (what the API takes). */
export function fromPaise(p: number): string {
  const negative = p < 0;
  const a = Math.abs(Math.round(p));
  const s = `${Math.floor(a / 100)}.${String(a % 100).padStart(2, "0")}`;
  return negative ? `-${s}` : s;
}

/** The sum of amounts, ignoring blanks, as an API decimal string. */
export function sumAmounts(values: (string | null | undefined)[]): string {
  return fromPaise(values.reduce((acc, v) => acc + (toPaise(v) ?? 0), 0));
}

/** Whether an amount is zero (or blank). */
export function isZero(s: string | null | undefined): boolean {
  return (toPaise(s) ?? 0) === 0;
}

/** Quantity × price − discount, before tax: the figure a line shows while typing. */
export function lineAmount(quantity: string, unitPrice: string, discount = ""): string | null {
  const q = Number(quantity.trim().replace(/,/g, ""));
  const price = toPaise(unitPrice);
  if (!quantity.trim() || !Number.isFinite(q) || price === null) return null;
  return fromPaise(Math.round(q * price) - (toPaise(discount) ?? 0));
}

/** Debits and credits of a journal's lines, and whether they balance. */
export function journalTotals(lines: { debit: string; credit: string }[]): { debit: string; credit: string; balanced: boolean } {
  const debit = lines.reduce((a, l) => a + (toPaise(l.debit) ?? 0), 0);
  const credit = lines.reduce((a, l) => a + (toPaise(l.credit) ?? 0), 0);
  return { debit: fromPaise(debit), credit: fromPaise(credit), balanced: debit === credit && debit > 0 };
}

/**
 * Spreads `amount` over open documents, oldest first, none beyond what it
 * still owes: the allocations a receipt suggests.
 */
export function allocateOldestFirst(amount: string, open: { id: string; balance_due: string }[]): Record<string, string> {
  let left = toPaise(amount) ?? 0;
  const out: Record<string, string> = {};
  for (const d of open) {
    const due = toPaise(d.balance_due) ?? 0;
    const take = Math.max(0, Math.min(left, due));
    out[d.id] = take > 0 ? fromPaise(take) : "";
    left -= take;
  }
  return out;
}
