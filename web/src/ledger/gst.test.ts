import { describe, expect, it } from "vitest";
import {
  cancellable,
  cancelReasonName,
  csvSections,
  einvoiceFileName,
  ewaybillFileName,
  ewayPathWords,
  ewayState,
  fieldWords,
  gstr1Gaps,
  gstr3bFileName,
  isPeriod,
  lineOf,
  paidFromCredit,
  periodName,
  portalPeriod,
  previousMonth,
  utilisationWords,
  withoutLine,
  type EinvoiceStatus,
  type Gstr1Report,
} from "./gst";

describe("e-invoice words", () => {
  it("names the field of ours a violation points at", () => {
    expect(fieldWords("lines[1].hsn_sac", 2)).toBe("Line 2 · HSN/SAC");
    expect(fieldWords("lines[0].gst_rate")).toBe("Line 1 · GST rate");
    expect(fieldWords("company.address.line1")).toBe("Company · Address line 1");
    expect(fieldWords("company.address.pincode")).toBe("Company · PIN code");
    expect(fieldWords("party.billing_address.city")).toBe("Party · Billing city");
    expect(fieldWords("party.shipping_address.line1")).toBe("Party · Shipping address line 1");
    expect(fieldWords("party.gstin")).toBe("Party · GSTIN");
    expect(fieldWords("place_of_supply")).toBe("Place of supply");
    expect(fieldWords("something.new")).toBe("something.new");
    expect(fieldWords(null, 3)).toBe("Line 3");
    expect(fieldWords(undefined)).toBe("");
  });

  it("drops the line from a message that the item already names", () => {
    expect(withoutLine("line 2: `8471` must be a 6- or 8-digit HSN/SAC code", 2)).toBe("`8471` must be a 6- or 8-digit HSN/SAC code");
    expect(withoutLine("is required", null)).toBe("is required");
    expect(withoutLine("line 12: is required", 1)).toBe("line 12: is required");
  });

  it("says why an IRN was cancelled", () => {
    expect(cancelReasonName(2)).toBe("Data entry mistake");
    expect(cancelReasonName(4)).toBe("Other");
    expect(cancelReasonName(null)).toBe("—");
  });

  it("saves the JSON under the document's number", () => {
    expect(einvoiceFileName("INV/2026-27/0001")).toBe("INV-2026-27-0001-einvoice.json");
  });

  it("offers cancelling only within the IRP's 24 hours", () => {
    const s = { status: "generated", cancellable_until: "2026-05-02T10:00:00Z" } as EinvoiceStatus;
    expect(cancellable(s, Date.parse("2026-05-02T09:59:00Z"))).toBe(true);
    expect(cancellable(s, Date.parse("2026-05-02T10:01:00Z"))).toBe(false);
    expect(cancellable({ ...s, status: "cancelled" }, 0)).toBe(false);
  });
});

describe("return periods", () => {
  it("starts from the month before today", () => {
    expect(previousMonth("2026-05-14")).toBe("2026-04");
    expect(previousMonth("2026-01-01")).toBe("2025-12");
    expect(previousMonth("2026-11-30")).toBe("2026-10");
  });

  it("knows a period when it sees one", () => {
    expect(isPeriod("2026-05")).toBe(true);
    expect(isPeriod("2026-13")).toBe(false);
    expect(isPeriod("2026-5")).toBe(false);
    expect(isPeriod("")).toBe(false);
  });

  it("speaks the portal's MMYYYY and names the month", () => {
    expect(portalPeriod("2025-09")).toBe("092025");
    expect(periodName("2025-09")).toBe("September 2025");
    expect(gstr3bFileName("27AAPFU0939F1ZV", "2025-09")).toBe("GSTR3B_27AAPFU0939F1ZV_092025.json");
  });

  it("splits the HSN summary's CSV from May 2025", () => {
    const before = csvSections("2025-04").map(([k]) => k);
    const after = csvSections("2025-05").map(([k]) => k);
    expect(before).toContain("hsn");
    expect(before).not.toContain("hsn_b2b");
    expect(after).toEqual(expect.arrayContaining(["hsn_b2b", "hsn_b2c"]));
    expect(after).not.toContain("hsn");
    expect(after[0]).toBe("b2b");
  });
});

describe("GSTR-1 against the sales register", () => {
  const section = (name: string, taxable: string, igst: string, sgst = "0.00") => ({ section: name, records: 1, taxable_value: taxable, igst, cgst: "0.00", sgst, cess: "0.00" });
  const register = { documents: 1, taxable_value: "100000.00", igst: "18000.00", cgst: "0.00", sgst: "0.00", utgst: "0.00", cess: "0.00", total: "118000.00" };

  it("finds nothing when every figure agrees, SGST and UTGST together", () => {
    const r = { register: { ...register, sgst: "10.00", utgst: "5.00" }, sections: [section("all", "100000.00", "18000", "15"), section("hsn", "100000", "18000.00", "15.00")] };
    expect(gstr1Gaps(r as unknown as Gstr1Report)).toEqual([]);
  });

  it("names each figure that differs, and by how much", () => {
    const r = { register, sections: [section("all", "99000.00", "18000.00"), section("hsn", "100000.00", "17999.99")] };
    expect(gstr1Gaps(r as unknown as Gstr1Report)).toEqual([
      { what: "Total of the sections", figure: "Taxable value", ours: "99000.00", register: "100000.00", difference: "-1000.00" },
      { what: "HSN summary", figure: "IGST", ours: "17999.99", register: "18000.00", difference: "-0.01" },
    ]);
  });
});

describe("GSTR-3B set-off", () => {
  const utilised = [
    { credit: "igst", liability: "igst", amount: "500.00" },
    { credit: "igst", liability: "cgst", amount: "120.50" },
    { credit: "cgst", liability: "cgst", amount: "79.50" },
  ] as const;

  it("says each step in words", () => {
    expect(utilisationWords(utilised[1])).toBe("IGST credit → CGST");
    expect(utilisationWords({ credit: "sgst", liability: "igst" })).toBe("SGST/UTGST credit → IGST");
  });

  it("adds up what credit paid of each head", () => {
    const s = { utilised: [...utilised] };
    expect(paidFromCredit(s, "cgst")).toBe("200.00");
    expect(paidFromCredit(s, "igst")).toBe("500.00");
    expect(paidFromCredit(s, "cess")).toBe("0.00");
  });
});

describe("e-way bill words", () => {
  it("says where an e-way bill stands", () => {
    expect(ewayState(null).name).toBe("Not prepared");
    expect(ewayState("prepared").name).toBe("Prepared — JSON ready for the e-way bill portal");
    expect(ewayState("generated")).toEqual({ name: "Generated", tone: "good" });
    expect(ewayState("failed").tone).toBe("bad");
  });

  it("names the field of ours an e-way bill path comes from", () => {
    expect(ewayPathWords("itemList[0].hsnCode", "line 2: `9983` must be a 4-, 6- or 8-digit HSN code of goods")).toBe("Line 2 · HSN/SAC");
    expect(ewayPathWords("itemList[1].qtyUnit")).toBe("Line 2 · Unit");
    expect(ewayPathWords("fromPincode")).toBe("Company · PIN code");
    expect(ewayPathWords("toPlace")).toBe("Party · Billing city");
    expect(ewayPathWords("fromGstin")).toBe("Company · GSTIN");
    expect(ewayPathWords("docNo")).toBe("Number");
    expect(ewayPathWords("totInvValue")).toBe("Total");
    expect(ewayPathWords("somethingNew")).toBe("");
  });

  it("reads the line a message names", () => {
    expect(lineOf("line 3: is required")).toBe(3);
    expect(lineOf("Line 12: `X` is not a unit")).toBe(12);
    expect(lineOf("is required")).toBeNull();
  });

  it("saves the JSON under the document's number", () => {
    expect(ewaybillFileName("INV/2026-27/0002")).toBe("INV-2026-27-0002-ewaybill.json");
  });
});
