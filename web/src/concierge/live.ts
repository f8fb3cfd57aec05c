// The inbox's live changes: GET /api/v1/conversations/events, read with
// fetch (EventSource cannot send the access token). `message` events carry
// a stored message, `conversation` events only say which conversation
// changed; after a reconnect a `resync` says that some may have been missed.
import type { Schemas } from "../api/client";
import { readEvents, type SseEvent } from "../knowledge/sse";
import { authorizedFetch } from "../knowledge/transfer";

type Message = Schemas["ConversationMessage"];

export type InboxEvent =
  | { kind: "message"; conversationId: string; message: Message }
  | { kind: "conversation"; conversationId: string }
  | { kind: "resync" };

/** One server-sent event as an inbox change; null when it is not one. */
export function parseInboxEvent(e: SseEvent): InboxEvent | null {
  if (e.event === "resync") return { kind: "resync" };
  let d: unknown;
  try {
    d = JSON.parse(e.data);
  } catch {
    return null;
  }
  if (!d || typeof d !== "object") return null;
  const o = d as Record<string, unknown>;
  if (typeof o.conversation_id !== "string") return null;
  if (e.event === "conversation") return { kind: "conversation", conversationId: o.conversation_id };
  if (e.event === "message") {
    const m = o.message as Message | undefined;
    if (!m || typeof m !== "object" || typeof m.id !== "string" || typeof m.body !== "string") return null;
    return { kind: "message", conversationId: o.conversation_id, message: m };
  }
  return null;
}

/** `m` added to a conversation's messages (oldest first), or put in place of the copy there. */
export function mergeMessage(list: readonly Message[], m: Message): Message[] {
  if (list.some((x) => x.id === m.id)) return list.map((x) => (x.id === m.id ? m : x));
  const out = [...list, m];
  // Stored messages arrive in order; one that came late goes where it belongs.
  return out.sort((a, b) => a.created_at.localeCompare(b.created_at));
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = window.setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        window.clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}

/**
 * Follows the inbox's events until `signal` aborts, reconnecting after a
 * dropped stream (waiting longer each time, up to 30 s). `onLive` says
 * whether the stream is open; a refusal (no permission) ends it.
 */
export async function followInbox(onEvent: (e: InboxEvent) => void, onLive: (live: boolean) => void, signal: AbortSignal): Promise<void> {
  let wait = 1000;
  let connected = false;
  while (!signal.aborted) {
    try {
      const r = await authorizedFetch("/api/v1/conversations/events", { headers: { Accept: "text/event-stream" }, signal });
      if (r.status === 401 || r.status === 403) {
        onLive(false);
        return;
      }
      if (r.ok && r.body) {
        onLive(true);
        if (connected) onEvent({ kind: "resync" });
        connected = true;
        wait = 1000;
        await readEvents(r.body, (e) => {
          const ev = parseInboxEvent(e);
          if (ev) onEvent(ev);
        });
      }
    } catch {
      // Aborted, or the connection dropped: tried again below.
    }
    if (signal.aborted) return;
    onLive(false);
    await pause(wait, signal);
    wait = Math.min(wait * 2, 30000);
  }
}
