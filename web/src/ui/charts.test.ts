import { describe, expect, it } from "vitest";
import { budgetLevel, formatPct, labelEvery, niceStep, niceTicks, scale, summarise, truncate } from "./charts";

describe("ticks", () => {
  it("steps by 1, 2 or 5 times a power of ten", () => {
    expect(niceStep(0.3)).toBe(0.5);
    expect(niceStep(1)).toBe(1);
    expect(niceStep(1.5)).toBe(2);
    expect(niceStep(3)).toBe(5);
    expect(niceStep(7)).toBe(10);
    expect(niceStep(230)).toBe(500);
    expect(niceStep(0)).toBe(1);
    expect(niceStep(Number.NaN)).toBe(1);
  });

  it("runs from 0 to a round number at or above the largest value", () => {
    expect(niceTicks(95)).toEqual([0, 50, 100]);
    expect(niceTicks(100, 4)).toEqual([0, 50, 100]);
    expect(niceTicks(120, 4)).toEqual([0, 50, 100, 150]);
    expect(niceTicks(10, 4)).toEqual([0, 5, 10]);
    expect(niceTicks(12, 4)).toEqual([0, 5, 10, 15]);
    expect(niceTicks(0.037, 4)).toEqual([0, 0.01, 0.02, 0.03, 0.04]);
    expect(niceTicks(0.3, 3)).toEqual([0, 0.1, 0.2, 0.3]);
  });

  it("keeps the top tick at or above the maximum", () => {
    for (const max of [1, 3, 7, 19, 99, 101, 0.9, 1234, 0.0042]) {
      const t = niceTicks(max);
      expect(t[0]).toBe(0);
      expect(t[t.length - 1]).toBeGreaterThanOrEqual(max);
      expect(t.length).toBeLessThanOrEqual(7);
    }
  });

  it("has a tick above zero when every value is zero", () => {
    expect(niceTicks(0)).toEqual([0, 1]);
    expect(niceTicks(-5)).toEqual([0, 1]);
  });

  it("counts in whole numbers when asked", () => {
    expect(niceTicks(2, 4, true)).toEqual([0, 1, 2]);
    expect(niceTicks(1, 4, true)).toEqual([0, 1]);
  });
});

describe("scale", () => {
  it("maps 0…max onto 0…length and clamps", () => {
    expect(scale(5, 10, 200)).toBe(100);
    expect(scale(0, 10, 200)).toBe(0);
    expect(scale(20, 10, 200)).toBe(200);
    expect(scale(-1, 10, 200)).toBe(0);
    expect(scale(5, 0, 200)).toBe(0);
  });

  it("thins axis labels that would overlap", () => {
    expect(labelEvery(31, 600, 40)).toBe(3);
    expect(labelEvery(7, 600, 40)).toBe(1);
    expect(labelEvery(0, 600, 40)).toBe(1);
  });

  it("cuts long labels", () => {
    expect(truncate("openai/gpt-4o-mini", 8)).toBe("openai/…");
    expect(truncate("local", 8)).toBe("local");
  });

  it("summarises for screen readers", () => {
    const s = summarise("Calls per model", [{ label: "a", value: 2 }, { label: "b", value: 5 }], String);
    expect(s).toBe("Calls per model: 2 groups, total 7, highest 5 (b).");
    expect(summarise("Calls", [], String)).toBe("Calls: no data.");
  });
});

describe("the budget", () => {
  it("has no level without a budget", () => {
    expect(budgetLevel(12, null, 80).level).toBe("none");
  });

  it("warns at the soft limit and stops cloud calls at the budget", () => {
    expect(budgetLevel(12.4, 50, 80)).toEqual({ level: "ok", pct: 24.8 });
    expect(budgetLevel(40, 50, 80).level).toBe("soft");
    expect(budgetLevel(49.99, 50, 80).level).toBe("soft");
    expect(budgetLevel(50, 50, 80).level).toBe("hard");
    expect(budgetLevel(75, 50, 80)).toEqual({ level: "hard", pct: 150 });
  });

  it("treats a zero budget as spent", () => {
    expect(budgetLevel(0, 0, 80)).toEqual({ level: "hard", pct: 100 });
  });

  it("judges only the budget when the soft limit is unknown", () => {
    expect(budgetLevel(45, 50, null).level).toBe("ok");
  });

  it("rounds shares for people", () => {
    expect(formatPct(24.8)).toBe("25 %");
    expect(formatPct(0.2)).toBe("<1 %");
    expect(formatPct(0)).toBe("0 %");
  });
});
