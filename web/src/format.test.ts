import { describe, expect, it } from "vitest";
import { dayIn, formatDateTime, formatMoney, formatNumber, startOfDay } from "./format";

describe("Indian formatting", () => {
  it("groups in lakhs and crores", () => {
    expect(formatNumber(123456)).toBe("1,23,456");
    expect(formatNumber(12345678)).toBe("1,23,45,678");
    expect(formatMoney(123456)).toBe("₹1,23,456.00");
    expect(formatMoney("1234.5")).toBe("₹1,234.50");
    expect(formatMoney(null)).toBe("—");
  });

  it("shows times in the company's zone", () => {
    const t = "2026-12-01T20:45:00Z";
    expect(formatDateTime(t, "Asia/Kolkata")).toBe("2 Dec 2026, 02:15");
    expect(formatDateTime(t, "UTC")).toBe("1 Dec 2026, 20:45");
    expect(dayIn(t, "Asia/Kolkata")).toBe("2026-12-02");
  });

  it("finds where a day starts in a zone", () => {
    expect(startOfDay("2026-12-02", "Asia/Kolkata")).toBe("2026-12-01T18:30:00.000Z");
    expect(startOfDay("2026-03-29", "Europe/Berlin")).toBe("2026-03-28T23:00:00.000Z");
  });
});
