import { describe, expect, it } from "vitest";
import { attachmentName } from "./transfer";

describe("download names", () => {
  it("takes the server's file name", () => {
    expect(attachmentName('attachment; filename="GSTR1_27AAPFU0939F1ZV_052026.json"', "x.json")).toBe("GSTR1_27AAPFU0939F1ZV_052026.json");
    expect(attachmentName("attachment; filename=report.csv", "x.csv")).toBe("report.csv");
    expect(attachmentName("attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.csv", "x.csv")).toBe("résumé.csv");
  });

  it("keeps its own name when the server gives none, or a path", () => {
    expect(attachmentName(null, "x.csv")).toBe("x.csv");
    expect(attachmentName("attachment", "x.csv")).toBe("x.csv");
    expect(attachmentName('attachment; filename="../../.profile"', "x.csv")).toBe("profile");
    expect(attachmentName('attachment; filename=""', "x.csv")).toBe("x.csv");
  });
});
