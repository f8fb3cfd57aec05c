import { describe, expect, it } from "vitest";
import { allocateOldestFirst, fromPaise, journalTotals, lineAmount, sumAmounts, toPaise } from "./money";

describe("ledger amounts", () => {
  it("reads decimal strings in paise", () => {
    expect(toPaise("1180.00")).toBe(118000);
    expect(toPaise("1,18,000")).toBe(11800000);
    expect(toPaise("0.005")).toBe(1);
    expect(toPaise("-12.5")).toBe(-1250);
    expect(toPaise("abc")).toBeNull();
    expect(toPaise("")).toBeNull();
    expect(fromPaise(118050)).toBe("1180.50");
    expect(fromPaise(-5)).toBe("-0.05");
  });

  it("adds amounts without drifting", () => {
    expect(sumAmounts(["0.10", "0.20", "", null])).toBe("0.30");
  });

  it("works out a line before tax", () => {
    expect(lineAmount("2", "50000")).toBe("100000.00");
    expect(lineAmount("1.5", "99.99", "10")).toBe("139.99");
    expect(lineAmount("", "10")).toBeNull();
  });

  it("says whether a journal balances", () => {
    expect(journalTotals([{ debit: "100", credit: "" }, { debit: "", credit: "100.00" }])).toEqual({ debit: "100.00", credit: "100.00", balanced: true });
    expect(journalTotals([{ debit: "100", credit: "" }, { debit: "", credit: "90" }]).balanced).toBe(false);
  });

  it("allocates a receipt oldest first", () => {
    const open = [
      { id: "a", balance_due: "100.00" },
      { id: "b", balance_due: "50.00" },
      { id: "c", balance_due: "10.00" },
    ];
    expect(allocateOldestFirst("120", open)).toEqual({ a: "100.00", b: "20.00", c: "" });
  });
});
