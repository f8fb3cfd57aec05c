import { describe, expect, it } from "vitest";
import type { Problem, Schemas } from "../api/client";
import { answerParts, citationHref, formatBytes, highlightSegments, parseTags, placeOf, uploadProblem } from "./text";

type Citation = Schemas["Citation"];

const cite = (n: number, chunk = `c${n}`): Citation => ({
  n,
  chunk_id: chunk,
  document_id: `d${n}`,
  document_title: `Doc ${n}`,
  page: n,
  headings: ["Policy"],
  snippet: `Passage ${n}`,
});

// Problem is typed as a closed record; tests build the open document the server sends.
const problem = (p: Record<string, unknown>): Problem => ({ type: "", title: "", status: 0, code: "", ...p }) as unknown as Problem;

describe("highlighted snippets", () => {
  it("splits at the spans", () => {
    expect(highlightSegments("Refunds take five days.", [{ start: 0, end: 7 }, { start: 13, end: 17 }])).toEqual([
      { text: "Refunds", mark: true },
      { text: " take ", mark: false },
      { text: "five", mark: true },
      { text: " days.", mark: false },
    ]);
  });

  it("counts code points, not UTF-16 units", () => {
    // "𝐀" and "😀" are two UTF-16 units each, one code point.
    const s = "𝐀 refund 😀 policy";
    const seg = highlightSegments(s, [{ start: 2, end: 8 }, { start: 11, end: 17 }]);
    expect(seg).toEqual([
      { text: "𝐀 ", mark: false },
      { text: "refund", mark: true },
      { text: " 😀 ", mark: false },
      { text: "policy", mark: true },
    ]);
    expect(seg.map((x) => x.text).join("")).toBe(s);
  });

  it("sorts, merges and clamps untidy spans", () => {
    expect(highlightSegments("abcdefgh", [{ start: 5, end: 99 }, { start: 1, end: 3 }, { start: 2, end: 4 }, { start: 4, end: 4 }, { start: -2, end: 0 }])).toEqual([
      { text: "a", mark: false },
      { text: "bcd", mark: true },
      { text: "e", mark: false },
      { text: "fgh", mark: true },
    ]);
    expect(highlightSegments("abc", [{ start: 0, end: 1 }, { start: 1, end: 2 }])).toEqual([
      { text: "ab", mark: true },
      { text: "c", mark: false },
    ]);
  });

  it("handles no spans and an empty snippet", () => {
    expect(highlightSegments("plain", [])).toEqual([{ text: "plain", mark: false }]);
    expect(highlightSegments("", [{ start: 0, end: 3 }])).toEqual([]);
  });
});

describe("citations in an answer", () => {
  it("links [n] to the citation numbered n", () => {
    const parts = answerParts("“Refunds take five days.” [1]\n\n“Gift cards are final.” [2]", [cite(1), cite(2)]);
    expect(parts.map((p) => (p.kind === "text" ? p.text : `<${p.n}>`))).toEqual(["“Refunds take five days.” ", "<1>", "\n\n“Gift cards are final.” ", "<2>"]);
    const first = parts[1];
    expect(first?.kind === "cite" && first.citation.chunk_id).toBe("c1");
  });

  it("matches by number, not by position in the list", () => {
    // A written answer lists its citations in order of first use.
    const parts = answerParts("Yes [3], see also [1].", [cite(3, "x"), cite(1, "y")]);
    const cites = parts.filter((p) => p.kind === "cite");
    expect(cites.map((p) => p.kind === "cite" && p.citation.chunk_id)).toEqual(["x", "y"]);
  });

  it("reads [1][2] and [1, 2]", () => {
    const shape = (t: string) => answerParts(t, [cite(1), cite(2)]).map((p) => (p.kind === "text" ? p.text : `<${p.n}>`)).join("");
    expect(shape("A [1][2].")).toBe("A <1><2>.");
    expect(shape("A [1, 2].")).toBe("A <1> <2>.");
  });

  it("leaves brackets that name no citation as text", () => {
    const parts = answerParts("See [4], [x], [1, 9] and [2].", [cite(2)]);
    expect(parts.map((p) => (p.kind === "text" ? p.text : `<${p.n}>`))).toEqual(["See [4], [x], [1, 9] and ", "<2>", "."]);
    expect(answerParts("No citations [1].", [])).toEqual([{ kind: "text", text: "No citations [1]." }]);
    expect(answerParts("", [cite(1)])).toEqual([]);
  });

  it("points at the passage in the viewer", () => {
    expect(citationHref({ document_id: "0190-aa", chunk_id: "0190-bb" })).toBe("/documents/0190-aa?chunk=0190-bb");
    expect(placeOf(2, ["Policies", "Refunds"])).toBe("Page 2 · Policies › Refunds");
    expect(placeOf(null, [])).toBe("");
  });
});

describe("sizes, tags and upload problems", () => {
  it("says sizes in the API's units", () => {
    expect(formatBytes(532)).toBe("532 bytes");
    expect(formatBytes(1)).toBe("1 byte");
    expect(formatBytes(1024)).toBe("1 KiB");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(25 * 1024 * 1024)).toBe("25 MiB");
    expect(formatBytes(null)).toBe("—");
  });

  it("splits tags", () => {
    expect(parseTags(" tax, gst ,, tax,policy ")).toEqual(["tax", "gst", "policy"]);
    expect(parseTags("")).toEqual([]);
  });

  it("names the limit of a file too large", () => {
    const p = problem({ status: 413, code: "file_too_large", detail: "`file` is larger than the upload limit of 1 KiB", limit_bytes: 1024 });
    expect(uploadProblem(413, p)).toBe("The file is larger than the upload limit of 1 KiB.");
    expect(uploadProblem(413, problem({ status: 413, detail: "the upload is larger than this server accepts" }))).toBe("The upload is larger than this server accepts.");
    expect(uploadProblem(413, null)).toBe("The file is larger than the server accepts.");
  });

  it("gives the reason for a type Tessera does not read", () => {
    const p = problem({
      status: 415,
      code: "unsupported_file_type",
      detail: "`file`: this is a PNG image, which has no text to read",
      errors: [{ field: "file", message: "this is a PNG image, which has no text to read; upload PDF, Word (DOCX), HTML, Markdown, CSV or plain text" }],
    });
    expect(uploadProblem(415, p)).toBe("This is a PNG image, which has no text to read; upload PDF, Word (DOCX), HTML, Markdown, CSV or plain text.");
  });

  it("names each field at fault", () => {
    const p = problem({ status: 422, errors: [{ field: "tags", message: "`a!` must be 1–40 letters" }, { field: "title", message: "must not be empty" }] });
    expect(uploadProblem(422, p)).toBe("Tags: `a!` must be 1–40 letters. Title: must not be empty.");
  });

  it("falls back to the problem's words, then the status", () => {
    expect(uploadProblem(403, problem({ status: 403, detail: "needs documents:write" }))).toBe("Needs documents:write.");
    expect(uploadProblem(500, null)).toBe("The server answered 500.");
    expect(uploadProblem(0, null)).toMatch(/could not be reached/);
  });
});
