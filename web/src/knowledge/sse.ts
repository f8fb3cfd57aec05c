// Server-sent events, read from a fetch body (EventSource cannot POST or
// send the access token). Follows the HTML standard's parsing: lines end
// in CRLF, LF or CR (a CR at the end of one piece may be the first half
// of a CRLF), `data` lines join with newlines, a blank line dispatches,
// `:` lines are comments, and an event cut off by the end of the stream
// is dropped.

export interface SseEvent {
  /** The `event:` field, or "message". */
  event: string;
  data: string;
  /** The `id:` field, when the event had one. */
  id?: string;
}

export class SseParser {
  private buffer = "";
  private data: string[] = [];
  private type = "";
  private id: string | undefined;
  private hasData = false;
  private started = false;

  /** Parses more of the stream; returns the events it completed. */
  push(text: string): SseEvent[] {
    this.buffer += text;
    if (!this.started && this.buffer.length > 0) {
      this.started = true;
      if (this.buffer.startsWith("\uFEFF")) this.buffer = this.buffer.slice(1);
    }
    return this.take(false);
  }

  /** The end of the stream: a pending CR ends its line; an unfinished event is dropped. */
  end(): SseEvent[] {
    const out = this.take(true);
    this.buffer = "";
    this.reset();
    return out;
  }

  private take(final: boolean): SseEvent[] {
    const out: SseEvent[] = [];
    const breaks = /\r\n|\r|\n/g;
    let from = 0;
    for (let m = breaks.exec(this.buffer); m; m = breaks.exec(this.buffer)) {
      // "\r" last in the buffer: wait for the next piece, it may be "\n".
      if (m[0] === "\r" && m.index === this.buffer.length - 1 && !final) break;
      const e = this.line(this.buffer.slice(from, m.index));
      if (e) out.push(e);
      from = m.index + m[0].length;
    }
    this.buffer = this.buffer.slice(from);
    return out;
  }

  private line(line: string): SseEvent | null {
    if (line === "") {
      const e = this.hasData ? { event: this.type || "message", data: this.data.join("\n"), ...(this.id === undefined ? {} : { id: this.id }) } : null;
      this.reset();
      return e;
    }
    if (line.startsWith(":")) return null;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") {
      this.data.push(value);
      this.hasData = true;
    } else if (field === "event") {
      this.type = value;
    } else if (field === "id" && !value.includes("\0")) {
      this.id = value;
    }
    return null;
  }

  private reset() {
    this.data = [];
    this.type = "";
    this.hasData = false;
    // The last event id carries over between events, as in EventSource.
  }
}

/** Reads a response body as server-sent events, calling `onEvent` for each. */
export async function readEvents(body: ReadableStream<Uint8Array>, onEvent: (e: SseEvent) => void): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      const text = decoder.decode(value, { stream: !done });
      finished = done;
      for (const e of done ? [...parser.push(text), ...parser.end()] : parser.push(text)) onEvent(e);
      if (done) return;
    }
  } finally {
    // Stopped early (a handler threw, or the reader failed): close the stream.
    if (!finished) void reader.cancel().catch(() => {});
  }
}
