import http from "node:http";
// The console's numbers (bench/console.sh runs this against the release
// binary): what the first page weighs, how soon it is interactive, and how
// long a route change takes on the team and audit pages with 1,000 rows
// behind them.
//
//   node web/e2e/bench.mjs target/release/tessera
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const binary = resolve(root, process.argv[2] ?? "target/release/tessera");
const dist = join(root, "web/dist");
const work = join(root, "target/bench-console");
const PASSWORD = "velvet orbit canyon 42";
const ROWS = Number(process.env.ROWS ?? 1000);

rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const fmt = (xs) => `p50 ${pct(xs, 50).toFixed(1)} ms, p95 ${pct(xs, 95).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms (n=${xs.length})`;

// ── what the first page weighs ────────────────────────────────────────────
const index = readFileSync(join(dist, "index.html"), "utf8");
const entry = [...index.matchAll(/(?:src|href)="(\/assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]);
let raw = 0;
let gz = 0;
for (const f of ["/index.html", ...entry]) {
  const bytes = readFileSync(join(dist, f));
  raw += bytes.length;
  gz += gzipSync(bytes, { level: 9 }).length;
}

// ── the server ─────────────────────────────────────────────────────────────
const port = await new Promise((r) => {
  const s = createServer();
  s.listen(0, "127.0.0.1", () => {
    const p = s.address().port;
    s.close(() => r(p));
  });
});
const base = `http://127.0.0.1:${port}`;
const server = spawn(binary, ["serve", "--data-dir", join(work, "data"), "--port", String(port)], {
  env: { TESSERA_RUNTIME_DIR: join(root, "data/runtime"), ...process.env, TESSERA_LOG__LEVEL: "warn" },
  stdio: "ignore",
});
process.on("exit", () => server.kill("SIGKILL"));
for (let i = 0; i < 240; i++) {
  if (await fetch(`${base}/readyz`).then((r) => r.ok).catch(() => false)) break;
  await new Promise((r) => setTimeout(r, 250));
}

// What the server sends for the first page (compressed as a browser asks).
// (node:http, which does not decompress, so the bytes on the wire count.)
let served = 0;
const encodings = new Set();
for (const f of ["/", ...entry]) {
  const { bytes, encoding } = await new Promise((resolve, reject) => {
    http
      .get(`${base}${f}`, { headers: { "accept-encoding": "br, gzip" } }, (res) => {
        let n = 0;
        res.on("data", (c) => (n += c.length));
        res.on("end", () => resolve({ bytes: n, encoding: res.headers["content-encoding"] ?? "identity" }));
      })
      .on("error", reject);
  });
  served += bytes;
  encodings.add(encoding);
}

async function api(method, path, token, body) {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
  return r.status === 204 ? null : r.json();
}

// ── 1,000 members and their audit entries ─────────────────────────────────
const owner = await api("POST", "/api/v1/auth/signup", null, {
  company_name: "Bench Traders",
  email: "owner@bench.example",
  password: PASSWORD,
});
const token = owner.access_token;
const seedStarted = Date.now();
let next = 0;
async function seeder() {
  while (next < ROWS) {
    const i = next++;
    const email = `member${String(i).padStart(4, "0")}@bench.example`;
    await api("POST", "/api/v1/invitations", token, { email, roles: ["member"] });
  }
}
await Promise.all(Array.from({ length: 4 }, seeder));
// Accepting makes the members (and their audit entries); the invitations'
// tokens are in the outbox.
const { readdirSync } = await import("node:fs");
const outbox = join(work, "data/outbox");
const tokens = readdirSync(outbox).map((f) => readFileSync(join(outbox, f), "utf8").replace(/=\r?\n/g, "").replace(/=3D/g, "=").match(/token=(tsi_[A-Za-z0-9_-]+)/)?.[1]).filter(Boolean);
let k = 0;
async function acceptor() {
  while (k < tokens.length) {
    const t = tokens[k++];
    await api("POST", "/api/v1/auth/invitations/accept", null, { token: t, name: "Bench Member", password: PASSWORD });
  }
}
await Promise.all(Array.from({ length: 4 }, acceptor));
const seeded = ((Date.now() - seedStarted) / 1000).toFixed(0);

// ── the browser ────────────────────────────────────────────────────────────
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: ["--no-sandbox"] });

// Interactive: from navigation start until the sign-in form can be used.
const interactive = [];
const loaded = [];
for (let i = 0; i < 15; i++) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  // The moment the form's submit button enters the DOM, seen from inside
  // the page (Playwright's own polling would add its latency).
  await page.addInitScript(() => {
    new MutationObserver((_, obs) => {
      if (document.querySelector("form button[type=submit]")) {
        window.__ready = performance.now();
        obs.disconnect();
      }
    }).observe(document, { childList: true, subtree: true });
  });
  await page.goto(`${base}/login`, { waitUntil: "commit" });
  await page.getByRole("button", { name: "Sign in", exact: true }).waitFor();
  interactive.push(await page.evaluate(() => window.__ready ?? performance.now()));
  loaded.push(await page.evaluate(() => performance.getEntriesByType("navigation")[0].domContentLoadedEventEnd));
  await ctx.close();
}

// Route changes between Team and Audit log, signed in.
const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
const page = await ctx.newPage();
await page.goto(`${base}/login`);
await page.getByLabel("E-mail address").fill("owner@bench.example");
await page.getByLabel("Password").fill(PASSWORD);
await page.getByRole("button", { name: "Sign in", exact: true }).click();
await page.getByRole("heading", { name: "Bench Traders", level: 1 }).waitFor();
const changes = { Team: [], "Audit log": [] };
for (let i = 0; i < 21; i++) {
  for (const label of ["Team", "Audit log"]) {
    const t0 = await page.evaluate(() => performance.now());
    await page.getByRole("navigation").getByRole("link", { name: label, exact: true }).click();
    await page.getByRole("heading", { name: label, level: 1 }).waitFor();
    // Until the first page of rows is on screen.
    await page.locator("tbody tr").nth(49).waitFor();
    const t1 = await page.evaluate(() => performance.now());
    if (i > 0) changes[label].push(t1 - t0);
  }
}
await browser.close();
server.kill("SIGTERM");

console.log(`first page: ${(raw / 1024).toFixed(1)} KB raw, ${(gz / 1024).toFixed(1)} KB gzip -9, ${(served / 1024).toFixed(1)} KB as served (${[...encodings].join(", ")}) — index.html + ${entry.length} entry files`);
console.log(`DOMContentLoaded (scripts parsed and run): ${fmt(loaded)}`);
console.log(`interactive (sign-in form usable, from navigation start): ${fmt(interactive)}`);
console.log(`seeded ${ROWS} members (invited and joined) and their audit entries in ${seeded} s`);
for (const [label, xs] of Object.entries(changes)) console.log(`route change to ${label} with ${ROWS}+ rows behind it (first 50 rendered): ${fmt(xs)}`);
