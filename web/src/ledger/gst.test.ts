import { describe, expect, it } from "vitest";
import { cancellable, cancelReasonName, einvoiceFileName, fieldWords, withoutLine, type EinvoiceStatus } from "./gst";

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
