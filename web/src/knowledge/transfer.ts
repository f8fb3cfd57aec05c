// Requests the typed client cannot make: uploads with progress
// (XMLHttpRequest), originals downloaded as files (under the name the
// server gives, when asked), and streamed answers.
// Each sends the console's access token; one refused for its age is
// renewed and the request made once more.
import { ApiError, getAccessToken, isRenewable, renewAccessToken, type Problem } from "../api/client";

function asProblem(p: unknown): Problem | null {
  return p && typeof p === "object" && "code" in p && "status" in p ? (p as Problem) : null;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** A fetch with the access token, renewed and retried once when it has expired. */
export async function authorizedFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const send = () => {
    const headers = new Headers(init.headers);
    const token = getAccessToken();
    if (token) headers.set("Authorization", `Bearer ${token}`);
    return fetch(url, { ...init, headers });
  };
  let r = await send();
  if (r.status === 401) {
    const code = await r.clone().json().then((p: Problem) => p.code, () => "");
    if (isRenewable(code) && (await renewAccessToken())) r = await send();
  }
  return r;
}

/** The problem document of a refused response, as an ApiError. */
export async function problemOf(r: Response): Promise<ApiError> {
  const p: unknown = await r.json().catch(() => null);
  return new ApiError(r.status, asProblem(p), `The server answered ${r.status}.`);
}

export interface UploadAnswer {
  status: number;
  /** The JSON answer (for 2xx). */
  body: unknown;
  /** The problem document (otherwise). */
  problem: Problem | null;
}

export interface Upload {
  /** Settles with the answer (status 0: the server was not reached); rejects only when aborted. */
  done: Promise<UploadAnswer>;
  abort: () => void;
}

class Aborted extends Error {}

/** Whether an upload's promise was rejected because it was aborted. */
export function isAborted(e: unknown): boolean {
  return e instanceof Aborted;
}

/**
 * Sends `form()` (a fresh FormData each try) with XMLHttpRequest, so the
 * upload's progress can be shown: `onProgress` gets 0–1.
 */
export function upload(method: "POST" | "PUT", url: string, form: () => FormData, onProgress: (fraction: number) => void): Upload {
  let current: XMLHttpRequest | null = null;
  let aborted = false;
  const once = () =>
    new Promise<UploadAnswer>((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      current = xhr;
      xhr.open(method, url);
      const token = getAccessToken();
      if (token) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
      };
      xhr.upload.onload = () => onProgress(1);
      xhr.onload = () => {
        const body = parseJson(xhr.responseText);
        const ok = xhr.status >= 200 && xhr.status < 300;
        resolve({ status: xhr.status, body: ok ? body : null, problem: ok ? null : asProblem(body) });
      };
      xhr.onerror = () => resolve({ status: 0, body: null, problem: null });
      xhr.onabort = () => reject(new Aborted("aborted"));
      xhr.send(form());
    });
  const done = (async () => {
    let a = await once();
    if (a.status === 401 && isRenewable(a.problem?.code ?? "") && !aborted && (await renewAccessToken())) {
      if (aborted) throw new Aborted("aborted");
      onProgress(0);
      a = await once();
    }
    return a;
  })();
  return {
    done,
    abort: () => {
      aborted = true;
      current?.abort();
    },
  };
}

/** Downloads a document's original under its file name. */
export async function downloadOriginal(id: string, fileName: string): Promise<void> {
  let r: Response;
  try {
    r = await authorizedFetch(`/api/v1/documents/${encodeURIComponent(id)}/file`);
  } catch {
    throw new ApiError(0, null, "The server cannot be reached. Check your connection and try again.");
  }
  if (!r.ok) throw await problemOf(r);
  const url = URL.createObjectURL(await r.blob());
  try {
    const a = document.createElement("a");
    a.href = url;
    a.download = fileName;
    a.rel = "noopener";
    document.body.append(a);
    a.click();
    a.remove();
  } finally {
    // Long enough for the browser to start the download.
    window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }
}

/** The name to save a document's original under (the API's own when it has one). */
export function downloadName(d: { title: string; file_name?: string | null; format: string }): string {
  if (d.file_name) return d.file_name;
  const ext: Record<string, string> = { pdf: "pdf", docx: "docx", html: "html", markdown: "md", csv: "csv", text: "txt" };
  return `${d.title}.${ext[d.format] ?? "txt"}`;
}

/** The file name a `Content-Disposition` header gives, or `fallback`. */
export function attachmentName(disposition: string | null | undefined, fallback: string): string {
  if (!disposition) return fallback;
  const star = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(disposition);
  if (star?.[1]) {
    try {
      return cleanName(decodeURIComponent(star[1].trim())) || fallback;
    } catch {
      // A malformed encoding: the plain name, if any.
    }
  }
  const plain = /filename\s*=\s*(?:"([^"]*)"|([^;]+))/.exec(disposition);
  return cleanName(plain?.[1] ?? plain?.[2]?.trim() ?? "") || fallback;
}

function cleanName(name: string): string {
  // Only the last part of a path, never a hidden or empty name.
  const base = name.split(/[\\/]/).pop() ?? "";
  return base.replace(/^\.+/, "");
}
