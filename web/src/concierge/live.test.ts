import { describe, expect, it } from "vitest";
import type { Schemas } from "../api/client";
import { SseParser } from "../knowledge/sse";
import { mergeMessage, parseInboxEvent } from "./live";

type Message = Schemas["ConversationMessage"];

function message(id: string, at: string, body = "hello"): Message {
  return {
    id,
    conversation_id: "c1",
    direction: "in",
    sender: "contact",
    kind: "text",
    body,
    payload: {},
    status: "received",
    entities: [],
    chunk_ids: [],
    created_at: at,
  };
}

describe("inbox events", () => {
  it("reads a message event as the server writes it", () => {
    const m = message("m1", "2026-01-05T10:00:00Z", "How long do refunds take?");
    const [e] = new SseParser().push(`event: message\ndata: ${JSON.stringify({ conversation_id: "c1", message: m })}\n\n`);
    expect(e && parseInboxEvent(e)).toEqual({ kind: "message", conversationId: "c1", message: m });
  });

  it("reads a conversation event and a resync", () => {
    const events = new SseParser().push(': connected\n\nevent: conversation\ndata: {"conversation_id":"c2"}\n\nevent: resync\ndata: {}\n\n');
    expect(events.map(parseInboxEvent)).toEqual([{ kind: "conversation", conversationId: "c2" }, { kind: "resync" }]);
  });

  it("ignores what it does not know", () => {
    expect(parseInboxEvent({ event: "message", data: "not json" })).toBeNull();
    expect(parseInboxEvent({ event: "message", data: '{"conversation_id":"c1"}' })).toBeNull();
    expect(parseInboxEvent({ event: "conversation", data: '{"id":"c1"}' })).toBeNull();
    expect(parseInboxEvent({ event: "other", data: '{"conversation_id":"c1"}' })).toBeNull();
  });
});

describe("mergeMessage", () => {
  const a = message("a", "2026-01-05T10:00:00Z");
  const b = message("b", "2026-01-05T10:01:00Z");
  const c = message("c", "2026-01-05T10:02:00Z");

  it("adds a new message at the end", () => {
    expect(mergeMessage([a, b], c).map((m) => m.id)).toEqual(["a", "b", "c"]);
  });

  it("replaces a message it has (a status moved on) instead of repeating it", () => {
    const sent = { ...b, status: "delivered" };
    const merged = mergeMessage([a, b], sent);
    expect(merged).toHaveLength(2);
    expect(merged[1]?.status).toBe("delivered");
  });

  it("puts a late message where it belongs", () => {
    expect(mergeMessage([a, c], b).map((m) => m.id)).toEqual(["a", "b", "c"]);
  });
});
