import { describe, expect, it } from "vitest";
import { SseParser, readEvents } from "./sse";

const all = (pieces: string[]) => {
  const p = new SseParser();
  return [...pieces.flatMap((x) => p.push(x)), ...p.end()];
};

describe("server-sent events", () => {
  it("reads named events with their data", () => {
    const events = all(['event: token\ndata: {"text":"Hel"}\n\nevent: token\ndata: {"text":"lo"}\n\nevent: done\ndata: {"message":{}}\n\n']);
    expect(events).toEqual([
      { event: "token", data: '{"text":"Hel"}' },
      { event: "token", data: '{"text":"lo"}' },
      { event: "done", data: '{"message":{}}' },
    ]);
  });

  it("joins events split anywhere, even inside CRLF", () => {
    const text = 'event: token\r\ndata: {"text":"a"}\r\n\r\nevent: citations\r\ndata: {"citations":[]}\r\n\r\n';
    for (let cut = 1; cut < text.length; cut++) {
      expect(all([text.slice(0, cut), text.slice(cut)])).toEqual([
        { event: "token", data: '{"text":"a"}' },
        { event: "citations", data: '{"citations":[]}' },
      ]);
    }
    // One character at a time.
    expect(all(Array.from(text))).toHaveLength(2);
  });

  it("takes CR alone as a line end", () => {
    expect(all(["event: token\rdata: x\r\r"])).toEqual([{ event: "token", data: "x" }]);
    // A CR last in the stream still ends its line.
    expect(all(["data: y\n\r"])).toEqual([{ event: "message", data: "y" }]);
  });

  it("joins data lines, keeps spaces after the first, skips comments", () => {
    expect(all([": keep-alive\n\ndata:  two spaces\ndata:\ndata: last\n\n"])).toEqual([{ event: "message", data: " two spaces\n\nlast" }]);
  });

  it("keeps the last event id and ignores unknown fields", () => {
    expect(all(["id: 7\nretry: 100\nfoo: bar\ndata: a\n\ndata: b\n\n"])).toEqual([
      { event: "message", data: "a", id: "7" },
      { event: "message", data: "b", id: "7" },
    ]);
  });

  it("dispatches nothing for events without data, and drops an event cut off at the end", () => {
    expect(all(["event: ping\n\n", "event: token\ndata: partial"])).toEqual([]);
  });

  it("strips a byte order mark at the start", () => {
    expect(all(["\uFEFFdata: x\n\n"])).toEqual([{ event: "message", data: "x" }]);
  });

  it("reads a body, decoding characters split between chunks", async () => {
    const bytes = new TextEncoder().encode('event: token\ndata: {"text":"₹ ✓"}\n\n');
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < bytes.length; i += 3) c.enqueue(bytes.slice(i, i + 3));
        c.close();
      },
    });
    const seen: string[] = [];
    await readEvents(body, (e) => seen.push(`${e.event}:${e.data}`));
    expect(seen).toEqual(['token:{"text":"₹ ✓"}']);
  });

  it("cancels the body when a handler throws", async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode("event: error\ndata: {}\n\n"));
      },
      cancel() {
        cancelled = true;
      },
    });
    await expect(
      readEvents(body, () => {
        throw new Error("refused");
      }),
    ).rejects.toThrow("refused");
    await Promise.resolve();
    expect(cancelled).toBe(true);
  });
});
