// The console's journeys in headless Chromium, against the real binary on a
// fresh embedded database (and the stand-in IRP the same binary serves):
//
//   node web/e2e/run.mjs target/debug/tessera
//
// Each journey runs in its own browser context and leaves a screenshot of
// its end state in target/e2e/. Every page visited is checked with axe-core
// (no serious or critical violation, in light and dark), and any page
// error or Content-Security-Policy violation fails the run.
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const binary = resolve(root, process.argv[2] ?? "target/debug/tessera");
const out = join(root, "target/e2e");
const chromiumPath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const PASSWORD = "velvet orbit canyon 42";

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

// ── the server, a stand-in IRP, and a webhook receiver ────────────────────

const received = [];
// The customer's own website, on another origin, once the concierge's
// journey has a widget snippet to put on it.
let shopPage = "<!doctype html><title>Shop</title><p>No chat yet.</p>";
const receiver = createServer((req, res) => {
  if (req.method === "GET" && req.url === "/shop") {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(shopPage);
    return;
  }
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", () => {
    received.push({ path: req.url, headers: req.headers, body });
    res.writeHead(200, { "content-type": "text/plain" }).end("ok");
  });
});
await new Promise((r) => receiver.listen(0, "127.0.0.1", r));
const hookUrl = `http://127.0.0.1:${receiver.address().port}/hook`;
const shopUrl = `http://127.0.0.1:${receiver.address().port}/shop`;
const shopOrigin = new URL(shopUrl).origin;

// The NIC e-invoice portal, as the binary's own stand-in speaks it.
const irpPort = await freePort();
const irpBase = `http://127.0.0.1:${irpPort}`;
const irp = spawn(binary, ["standin", "irp", "--port", String(irpPort)], {
  env: { ...process.env, TESSERA_LOG__LEVEL: "warn" },
  stdio: ["ignore", "ignore", "pipe"],
});
let irpLog = "";
irp.stderr.on("data", (d) => (irpLog += d));

const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const dataDir = join(out, "data");
const server = spawn(binary, ["serve", "--data-dir", dataDir, "--port", String(port)], {
  env: {
    TESSERA_RUNTIME_DIR: join(root, "data/runtime"),
    ...process.env,
    TESSERA_WEBHOOKS__ALLOW_PRIVATE: "true",
    TESSERA_COMPLIANCE__ALLOW_PRIVATE_ENDPOINTS: "true",
    TESSERA_LOG__LEVEL: "warn",
  },
  stdio: ["ignore", "ignore", "pipe"],
});
let serverLog = "";
server.stderr.on("data", (d) => (serverLog += d));
const stopAll = () => {
  server.kill("SIGTERM");
  irp.kill("SIGTERM");
  receiver.close();
};
process.on("exit", () => {
  server.kill("SIGKILL");
  irp.kill("SIGKILL");
});
await waitReady();
// Its test credentials and public keys, for the GST settings.
const irpKeys = await waitIrp();

const browser = await chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox"], headless: true });
const checked = new Map(); // page name → violations
const problems = [];
const timings = [];

// ── helpers ───────────────────────────────────────────────────────────────

async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, "127.0.0.1", r));
  const p = s.address().port;
  await new Promise((r) => s.close(r));
  return p;
}

async function waitReady() {
  for (let i = 0; i < 240; i++) {
    try {
      const r = await fetch(`${base}/readyz`);
      if (r.ok) return;
    } catch {
      // not yet
    }
    if (server.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  console.error(serverLog);
  throw new Error("the server did not become ready");
}

async function waitIrp() {
  for (let i = 0; i < 240; i++) {
    try {
      const r = await fetch(`${irpBase}/_standin/keys`);
      if (r.ok) return await r.json();
    } catch {
      // not yet
    }
    if (irp.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  console.error(irpLog);
  throw new Error("the stand-in IRP did not start");
}

/** How many times the stand-in IRP was called, by API (`auth`, `generate`, `get`, `cancel`). */
async function irpCalls() {
  return (await fetch(`${irpBase}/_standin/calls`)).json();
}

const open = []; // every page, for a screenshot when a step fails

async function context(name, options = {}) {
  const ctx = await browser.newContext({ baseURL: base, viewport: { width: 1280, height: 900 }, ...options });
  const page = await ctx.newPage();
  open.push([name, page]);
  page.on("pageerror", (e) => problems.push(`${name}: page error: ${e.message}`));
  page.on("console", (m) => {
    const text = m.text();
    if (/Content Security Policy|Refused to (execute|apply|load)/i.test(text)) problems.push(`${name}: CSP: ${text}`);
  });
  page.on("dialog", (d) => d.accept());
  return { ctx, page };
}

/** axe-core on the current page, in light and dark. */
async function audit(page, name) {
  if (checked.has(name)) return;
  const found = [];
  for (const scheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme: scheme });
    // Evaluated through the DevTools protocol, so the page's CSP does not apply.
    await page.evaluate(axeSource);
    const result = await page.evaluate(() =>
      // eslint-disable-next-line no-undef
      axe.run(document, { resultTypes: ["violations"] }),
    );
    for (const v of result.violations) {
      if (v.impact === "serious" || v.impact === "critical") {
        found.push(`${scheme}: ${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join("; ")}`);
      }
    }
  }
  await page.emulateMedia({ colorScheme: "light" });
  checked.set(name, found);
}

async function visit(page, path, heading, name = path) {
  await page.goto(path);
  await page.getByRole("heading", { name: heading, level: 1 }).waitFor();
  await page.getByRole("status").filter({ hasText: "Loading" }).waitFor({ state: "detached" }).catch(() => {});
  await audit(page, name);
}

async function nav(page, label, heading) {
  const started = Date.now();
  await page.getByRole("navigation").getByRole("link", { name: label, exact: true }).click();
  await page.getByRole("heading", { name: heading, level: 1 }).waitFor();
  timings.push(`${label}: ${Date.now() - started} ms`);
  await page.getByRole("status").filter({ hasText: "Loading" }).waitFor({ state: "detached" }).catch(() => {});
  await audit(page, label);
}

async function api(method, path, token, body) {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: r.status === 204 ? null : await r.json().catch(() => null) };
}

function mailedToken(to, prefix) {
  const dir = join(dataDir, "outbox");
  for (const f of readdirSync(dir).sort().reverse()) {
    const text = readFileSync(join(dir, f), "utf8");
    if (!text.includes(to)) continue;
    const m = text.replace(/=\r?\n/g, "").replace(/=3D/g, "=").match(new RegExp(`token=(${prefix}[A-Za-z0-9_\\-]+)`));
    if (m) return m[1];
  }
  throw new Error(`no mail to ${to}`);
}

async function expectText(page, text, timeout = 10000) {
  await page.getByText(text, { exact: false }).first().waitFor({ timeout });
}

async function until(what, check, timeout = 20000) {
  const end = Date.now() + timeout;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function shot(page, name) {
  await page.screenshot({ path: join(out, `${name}.png`), fullPage: true });
}

/**
 * A PDF whose pages hold these lines (Helvetica 12 pt with a text layer;
 * an empty line leaves a gap), its cross-reference table at the right
 * byte offsets.
 */
function pdf(pages) {
  const escape = (s) => s.replace(/\\/g, "\\\\").replace(/\(/g, "\\(").replace(/\)/g, "\\)");
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    `<< /Type /Pages /Kids [${pages.map((_, i) => `${4 + 2 * i} 0 R`).join(" ")}] /Count ${pages.length} >>`,
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
  ];
  pages.forEach((lines, i) => {
    objects.push(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${5 + 2 * i} 0 R >>`);
    const content = `BT /F1 12 Tf 14 TL 72 740 Td\n${lines.map((l) => (l ? `(${escape(l)}) Tj T*\n` : "T*\n")).join("")}ET`;
    objects.push(`<< /Length ${Buffer.byteLength(content, "latin1")} >>\nstream\n${content}\nendstream`);
  });
  const parts = [Buffer.from("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "latin1")];
  let length = parts[0].length;
  const offsets = [];
  objects.forEach((o, i) => {
    offsets.push(length);
    const b = Buffer.from(`${i + 1} 0 obj\n${o}\nendobj\n`, "latin1");
    parts.push(b);
    length += b.length;
  });
  let tail = `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) tail += `${String(off).padStart(10, "0")} 00000 n \n`;
  tail += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${length}\n%%EOF\n`;
  parts.push(Buffer.from(tail, "latin1"));
  return Buffer.concat(parts);
}

// ── journeys ──────────────────────────────────────────────────────────────

const owner = { email: "asha@traders.example", company: "Sunrise Traders" };

async function signUpAndInvite() {
  const { ctx, page } = await context("owner");
  await page.goto("/");
  await page.waitForURL(/\/login/);
  await audit(page, "sign-in");
  await page.getByRole("link", { name: "Create your company" }).click();
  await page.getByRole("heading", { name: "Create your company" }).waitFor();
  await audit(page, "sign-up");
  // A field the server refuses is named beside the field.
  await page.getByLabel("Company name").fill(owner.company);
  await page.getByLabel("Your name").fill("Asha Rao");
  await page.getByLabel("E-mail address").fill(owner.email);
  await page.getByLabel("Password", { exact: true }).fill("password123");
  await page.getByRole("button", { name: "Create company" }).click();
  await expectText(page, "too easy to guess");
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Create company" }).click();
  await page.getByRole("heading", { name: owner.company, level: 1 }).waitFor();
  await audit(page, "overview");
  // A reload keeps the session (the refresh token is in the HttpOnly cookie).
  await page.reload();
  await page.getByRole("heading", { name: owner.company, level: 1 }).waitFor();
  const cookies = await ctx.cookies();
  const refresh = cookies.find((c) => c.name === "tessera_refresh");
  if (!refresh?.httpOnly || !refresh.secure || refresh.sameSite !== "Strict") {
    throw new Error(`the refresh cookie is not HttpOnly/Secure/Strict: ${JSON.stringify(refresh)}`);
  }
  if (await page.evaluate(() => document.cookie.includes("tessera_refresh"))) {
    throw new Error("page script can read the refresh token");
  }

  await nav(page, "Team", "Team");
  await page.getByRole("button", { name: "Invite someone" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("E-mail address").fill("meera@traders.example");
  await dialog.getByLabel("Member", { exact: true }).check();
  await audit(page, "invite dialog");
  await dialog.getByRole("button", { name: "Send invitation" }).click();
  await dialog.waitFor({ state: "hidden" });
  await expectText(page, "meera@traders.example");
  await shot(page, "1-team-invited");

  // The member accepts from the mail, in a browser of her own.
  const token = mailedToken("meera@traders.example", "tsi_");
  const member = await context("member");
  await member.page.goto(`/invitations/accept?token=${token}`);
  await member.page.getByRole("heading", { name: "Join your team on Tessera" }).waitFor();
  await audit(member.page, "accept invitation");
  await member.page.getByLabel("Your name").fill("Meera Iyer");
  await member.page.getByLabel("Password").fill(PASSWORD);
  await member.page.getByRole("button", { name: "Join" }).click();
  await member.page.getByRole("heading", { name: owner.company, level: 1 }).waitFor();
  // She sees no admin pages, reaching one says so, and the API refuses her.
  const navText = await member.page.getByRole("navigation").innerText();
  for (const hidden of ["Team", "Roles", "API keys", "Webhooks", "Audit log", "Background jobs", "Providers"]) {
    if (navText.includes(hidden)) throw new Error(`the member's navigation shows ${hidden}`);
  }
  await member.page.goto("/team");
  await expectText(member.page, "Your role does not allow this page");
  const login = await api("POST", "/api/v1/auth/login", null, { email: "meera@traders.example", password: PASSWORD });
  const refused = await api("GET", "/api/v1/users", login.body.access_token);
  if (refused.status !== 403) throw new Error(`the API gave the member ${refused.status} for the team list`);
  await shot(member.page, "1-member-refused");

  // The owner deactivates her: her open console lands on sign-in, told why.
  await page.reload();
  await page.getByRole("heading", { name: "Team", level: 1 }).waitFor();
  const row = page.getByRole("row").filter({ hasText: "meera@traders.example" }).first();
  await row.getByRole("button", { name: /Deactivate/ }).click();
  await expectText(page, "Deactivated");
  await member.page.goto("/");
  await member.page.waitForURL(/\/login/, { timeout: 15000 });
  await expectText(member.page, "Your session has ended");
  await shot(member.page, "1-member-signed-out");
  await member.ctx.close();
  return { ctx, page };
}

async function apiKeys(page) {
  await nav(page, "API keys", "API keys");
  await page.getByRole("button", { name: "Create API key" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Name").fill("reporting script");
  await dialog.getByLabel("users:read", { exact: true }).check();
  await dialog.getByRole("button", { name: "Create", exact: true }).click();
  const secret = await dialog.getByLabel("Secret").inputValue();
  if (!secret.startsWith("tsk_")) throw new Error(`no secret shown: ${secret}`);
  await audit(page, "api key secret");
  await dialog.getByRole("button", { name: "Close" }).first().click();
  const used = await api("GET", "/api/v1/users", secret);
  if (used.status !== 200) throw new Error(`the new key got ${used.status}`);
  const row = page.getByRole("row").filter({ hasText: "reporting script" }).first();
  await row.getByRole("button", { name: /Revoke/ }).click();
  await until("the key to be revoked", async () => (await api("GET", "/api/v1/users", secret)).status === 401);
  await expectText(page, "Revoked");
  await shot(page, "2-api-key-revoked");
}

async function webhook(page) {
  await nav(page, "Webhooks", "Webhooks");
  await page.getByRole("button", { name: "Add webhook" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("URL").fill(hookUrl);
  await dialog.getByLabel("All events").check();
  await audit(page, "add webhook dialog");
  await dialog.getByRole("button", { name: "Create", exact: true }).click();
  await dialog.getByLabel("Signing secret").waitFor();
  await dialog.getByRole("button", { name: "Close" }).first().click();
  await page.getByRole("link", { name: hookUrl }).first().click();
  await page.getByRole("heading", { level: 1 }).waitFor();
  await page.getByRole("button", { name: "Send test event" }).click();
  await until("a succeeded delivery in the log", async () => {
    const text = await page.locator("main").innerText();
    return /succeeded/i.test(text) && text.includes("200");
  });
  if (!received.some((r) => r.headers["x-tessera-signature"])) throw new Error("the receiver got no signed delivery");
  await audit(page, "webhook");
  await shot(page, "3-webhook-delivered");
}

async function budget(page) {
  await nav(page, "Routing & budget", "Routing & budget");
  await page.getByLabel("Monthly budget (USD)").fill("50");
  await page.getByRole("button", { name: "Save policy" }).click();
  await expectText(page, "50.00");
  await nav(page, "Usage", "Usage");
  await expectText(page, "50.00");
  await shot(page, "4-usage-budget");
}

async function knowledge(page) {
  await nav(page, "Documents", "Documents");
  // A file Tessera cannot read is refused, with the reason beside it.
  const [chooser] = await Promise.all([page.waitForEvent("filechooser"), page.getByRole("button", { name: "Choose files…" }).click()]);
  await chooser.setFiles({ name: "photo.png", mimeType: "image/png", buffer: Buffer.from("89504e470d0a1a0a0000000d4948445200000001", "hex") });
  await expectText(page, "This is a PNG image");

  // A two-page handbook, dropped on the zone, uploads and is read.
  const handbook = pdf([
    ["Customer Handbook", "", "Our support desk answers calls from nine in the morning to six in the evening.", "", "Orders placed before noon leave the warehouse the same day."],
    ["Refund Policy", "", "Refunds are issued within five working days of the request.", "", "Gift cards cannot be exchanged for cash."],
  ]);
  const dataTransfer = await page.evaluateHandle(
    ({ b64, name }) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], name, { type: "application/pdf" }));
      return dt;
    },
    { b64: handbook.toString("base64"), name: "refund-handbook.pdf" },
  );
  const zone = page.locator(".dropzone");
  await zone.dispatchEvent("dragenter", { dataTransfer });
  await zone.dispatchEvent("dragover", { dataTransfer });
  await zone.dispatchEvent("drop", { dataTransfer });
  await expectText(page, "it is read and indexed next");
  const row = page.getByRole("row").filter({ hasText: "refund-handbook.pdf" });
  await until(
    "the handbook to be ready in the list",
    async () => (await row.count()) === 1 && /Ready/.test(await row.innerText()),
    120000,
  );
  const pages = (await row.getByRole("cell").nth(2).innerText()).trim();
  if (pages !== "2") throw new Error(`the list shows ${pages} pages for the handbook`);
  const [download] = await Promise.all([page.waitForEvent("download"), row.getByRole("button", { name: /^Download/ }).click()]);
  if (download.suggestedFilename() !== "refund-handbook.pdf") throw new Error(`the original downloads as ${download.suggestedFilename()}`);
  await audit(page, "documents with uploads");
  await shot(page, "6-documents-ready");

  // Search marks the query's words in each passage.
  await nav(page, "Search", "Search");
  await page.getByLabel("Search for").fill("refunds");
  await page.getByRole("button", { name: "Search", exact: true }).click();
  await page.locator(".hit mark").first().waitFor();
  const marked = await page.locator(".hit mark").first().innerText();
  if (!/refund/i.test(marked)) throw new Error(`search marked “${marked}”`);
  await audit(page, "search results");

  // The chat answers from the handbook, citing the passage on page 2.
  await nav(page, "Chat", "Chat");
  await page.getByLabel("Question").fill("How long do refunds take?");
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await page.waitForURL(/\/chat\/[0-9a-f-]{36}/);
  const citation = page.getByRole("link", { name: /^\[\d+\] source: .*page 2$/ }).first();
  await citation.waitFor({ timeout: 30000 });
  await expectText(page, "five working days");
  await page.getByRole("navigation", { name: "Chats" }).getByRole("link", { name: /How long do refunds take/ }).waitFor();
  await page.getByRole("button", { name: "Yes", exact: true }).click();
  await page.getByRole("button", { name: "Yes", exact: true, pressed: true }).waitFor();
  await audit(page, "chat answer");
  await shot(page, "6-chat-answer");

  // Its citation opens the document at the passage, marked and focused.
  await citation.click();
  await page.waitForURL(/\/documents\/[0-9a-f-]{36}\?chunk=/);
  const cited = page.locator("li.chunk[aria-current='true']");
  await cited.waitFor();
  const text = await cited.innerText();
  if (!text.includes("five working days") || !text.includes("Page 2") || !text.includes("Cited passage")) {
    throw new Error(`the cited passage is not shown as cited on page 2: ${text}`);
  }
  const chunk = new URL(page.url()).searchParams.get("chunk");
  await until("the cited passage to have focus", async () => (await page.evaluate(() => document.activeElement?.id ?? "")) === `chunk-${chunk}`, 5000);
  const seen = await cited.evaluate((el) => {
    const r = el.getBoundingClientRect();
    return r.bottom > 0 && r.top < window.innerHeight;
  });
  if (!seen) throw new Error("the cited passage was not scrolled into view");
  await audit(page, "document viewer");
  await shot(page, "6-cited-passage");

  // The settings say which model the passages are embedded with, and
  // offer the company's embedding models.
  await nav(page, "Knowledge settings", "Knowledge settings");
  await expectText(page, "Search uses all-MiniLM-L6-v2 for all");
  const model = page.getByLabel("Model", { exact: true });
  if ((await model.inputValue()) !== "all-MiniLM-L6-v2") throw new Error(`the embedding model shows ${await model.inputValue()}`);
}

async function ledger(page) {
  // Documents are issued under the company's GSTIN (Maharashtra).
  const login = await api("POST", "/api/v1/auth/login", null, { email: owner.email, password: PASSWORD });
  const gstin = await api("PATCH", "/api/v1/tenant", login.body.access_token, { gstin: "27AAPFU0939F1ZV" });
  if (gstin.status !== 200) throw new Error(`setting the GSTIN gave ${gstin.status}`);

  // A customer in Karnataka; a PIN code the server refuses is named beside it.
  await nav(page, "Parties", "Parties");
  await page.getByRole("button", { name: "Add party" }).click();
  let dialog = page.getByRole("dialog");
  await dialog.getByLabel("Legal name").fill("Deccan Systems Pvt Ltd");
  await dialog.getByLabel("GSTIN", { exact: true }).fill("29AABCT1332L1ZA");
  await dialog.getByLabel("Address line 1").fill("12 Residency Road");
  await dialog.getByLabel("City").fill("Bengaluru");
  await dialog.getByLabel("PIN code").fill("56001");
  await dialog.getByRole("button", { name: "Add party" }).click();
  await dialog.getByText("Must be six digits").waitFor();
  if ((await dialog.getByLabel("PIN code").getAttribute("aria-invalid")) !== "true") throw new Error("the PIN code is not marked invalid");
  if ((await dialog.getByLabel("State", { exact: true }).inputValue()) !== "29") throw new Error("the GSTIN did not set the state");
  await audit(page, "party dialog with an error");
  await dialog.getByLabel("PIN code").fill("560025");
  await dialog.getByRole("button", { name: "Add party" }).click();
  await dialog.waitFor({ state: "hidden" });
  await page.getByRole("link", { name: "Deccan Systems Pvt Ltd" }).click();
  await page.getByRole("heading", { name: "Deccan Systems Pvt Ltd", level: 1 }).waitFor();
  await expectText(page, "Karnataka (29)");
  await page.getByRole("heading", { name: "Statement" }).waitFor();
  await page.getByRole("status").filter({ hasText: "Loading" }).waitFor({ state: "detached" }).catch(() => {});
  await audit(page, "party");

  // An item: a laptop at ₹50,000 plus 18% GST.
  await nav(page, "Items", "Items");
  await page.getByRole("button", { name: "Add item" }).click();
  dialog = page.getByRole("dialog");
  await dialog.getByLabel("Name", { exact: true }).fill("Laptop");
  // The HSN master suggests codes as the code is typed; one is picked.
  await dialog.getByLabel("HSN code").fill("847");
  const suggested = dialog.getByRole("group", { name: "HSN suggestions" });
  await suggested.getByRole("button", { name: /^8471 / }).click();
  if ((await dialog.getByLabel("HSN code").inputValue()) !== "8471") throw new Error("the suggested HSN code was not taken");
  await dialog.getByText(/AUTOMATIC DATA PROCESSING MACHINES/i).first().waitFor();
  await dialog.getByLabel("Price (₹)").fill("50000");
  await dialog.getByRole("button", { name: "Add rate" }).click();
  await dialog.getByLabel("Effective from (rate 1)").fill("2017-07-01");
  await dialog.getByLabel("GST rate % (rate 1)").fill("18");
  await audit(page, "item dialog");
  await dialog.getByRole("button", { name: "Add item" }).click();
  await dialog.waitFor({ state: "hidden" });
  await page.getByRole("row").filter({ hasText: "Laptop" }).getByText("18%").waitFor();

  // The company's logo, printed at the top of its documents.
  await visit(page, "/books?view=settings", "Books", "Books: settings");
  await page.getByLabel("Upload logo").setInputFiles(join(here, "../../crates/ledger/tests/data/logo.png"));
  await expectText(page, "logo.png is the logo now.");
  const logo = page.getByRole("img", { name: "The company's logo" });
  await logo.waitFor();
  await until("the logo to show", async () => (await logo.evaluate((img) => img.complete && img.naturalWidth)) === 180);
  await audit(page, "logo uploaded");

  // An invoice for two, its tax worked out while it is drafted.
  await nav(page, "Invoices", "Invoices");
  await page.getByRole("link", { name: "New invoice" }).click();
  await page.getByRole("heading", { name: "New invoice", level: 1 }).waitFor();
  await page.getByLabel("Customer").selectOption({ label: "Deccan Systems Pvt Ltd (29AABCT1332L1ZA)" });
  await page.getByLabel("Item, line 1").selectOption({ label: "Laptop" });
  await page.getByLabel("Quantity, line 1").fill("2");
  const totals = page.locator(".totals");
  await totals.getByRole("row", { name: /IGST/ }).getByText("₹18,000.00").waitFor();
  await totals.getByRole("row", { name: /Total/ }).getByText("₹1,18,000.00").waitFor();
  if (await totals.getByRole("row", { name: /CGST/ }).count()) throw new Error("an inter-state invoice shows CGST");
  await audit(page, "invoice editor");
  await shot(page, "7-invoice-preview");
  await page.getByRole("button", { name: "Save draft" }).click();
  await page.waitForURL(/\/invoices\/[0-9a-f-]{36}$/);
  await page.getByRole("heading", { name: "Draft tax invoice", level: 1 }).waitFor();
  await page.getByRole("button", { name: "Issue", exact: true }).click();
  const heading = page.getByRole("heading", { name: /^INV\//, level: 1 });
  await heading.waitFor();
  const number = await heading.innerText();

  // The invoice downloads as a PDF.
  const [pdf] = await Promise.all([
    page.waitForResponse((r) => r.url().includes("/pdf?download=true")),
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Download PDF" }).click(),
  ]);
  if (pdf.status() !== 200 || pdf.headers()["content-type"] !== "application/pdf") throw new Error(`the PDF answered ${pdf.status()} ${pdf.headers()["content-type"]}`);

  // It is mailed with its PDF (the server without SMTP keeps it in its outbox).
  await page.getByRole("button", { name: "Email" }).click();
  dialog = page.getByRole("dialog");
  await dialog.getByLabel("To").fill("accounts@deccan.example");
  await audit(page, "email dialog");
  await dialog.getByRole("button", { name: "Send" }).click();
  await dialog.waitFor({ state: "hidden" });
  await expectText(page, "Sent to accounts@deccan.example with its PDF attached.");
  const outbox = readdirSync(join(dataDir, "outbox"));
  if (!outbox.some((f) => f.includes("accounts@deccan.example"))) throw new Error(`nothing was mailed: ${outbox}`);

  // A part payment from the invoice's page leaves it partly paid.
  await page.getByRole("button", { name: "Record receipt" }).click();
  dialog = page.getByRole("dialog");
  if ((await dialog.getByLabel("Amount received (₹)").inputValue()) !== "118000.00") throw new Error("the receipt is not for the balance due");
  await dialog.getByLabel("Amount received (₹)").fill("50000");
  await dialog.getByRole("button", { name: "Allocate oldest first" }).click();
  await audit(page, "receipt dialog");
  await dialog.getByRole("button", { name: "Record receipt" }).click();
  await dialog.waitFor({ state: "hidden" });
  await page.locator(".badge", { hasText: /^Partly paid$/ }).first().waitFor();
  await expectText(page, "₹68,000.00");
  await audit(page, `invoice ${number}`);
  await shot(page, "7-invoice-partly-paid");

  // The receivables aging shows what is still owed.
  await nav(page, "Reports", "Reports");
  await page.getByLabel("Report").selectOption("receivables-aging");
  await page.getByRole("row", { name: /Deccan Systems/ }).getByText("₹68,000.00").first().waitFor();
  await audit(page, "receivables aging");
  await page.getByLabel("Report").selectOption("trial-balance");
  await page.locator('[data-total="debit"]').waitFor();

  // The trial balance balances, and downloads as CSV.
  const debit = await page.locator('[data-total="debit"]').innerText();
  const credit = await page.locator('[data-total="credit"]').innerText();
  if (debit !== credit || debit !== "₹1,68,000.00") throw new Error(`the trial balance totals ${debit} debit and ${credit} credit`);
  const [csv, file] = await Promise.all([
    page.waitForResponse((r) => r.url().includes("/api/v1/reports/trial-balance") && r.url().includes("format=csv")),
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Download CSV" }).click(),
  ]);
  if (csv.status() !== 200 || !/^text\/csv/.test(csv.headers()["content-type"] ?? "")) throw new Error(`the CSV answered ${csv.status()} ${csv.headers()["content-type"]}`);
  const body = readFileSync(await file.path(), "utf8");
  if (file.suggestedFilename() !== "trial-balance.csv" || !body.includes("Output IGST")) throw new Error(`the CSV download is ${file.suggestedFilename()}: ${body.slice(0, 300)}`);
  await shot(page, "7-trial-balance");

  // A question in plain words finds the invoice and says how it was read.
  await nav(page, "Invoices", "Invoices");
  await page.getByLabel("Ask in plain words").fill("unpaid invoices of Deccan Systems above 1,00,000");
  await page.getByRole("button", { name: "Ask", exact: true }).click();
  await expectText(page, "Read as:");
  const answer = page.locator(".answer");
  await answer.getByText("Deccan Systems Pvt Ltd").first().waitFor();
  await answer.getByText("at least ₹1,00,000.00").waitFor();
  await answer.getByRole("link", { name: number }).waitFor();
  await audit(page, "invoices asked in plain words");
  await shot(page, "7-invoices-asked");
  return number;
}

async function gst(page, ledgerInvoice) {
  // E-invoicing set up with the stand-in IRP's credentials and keys; a key
  // that is not one is named beside its field.
  await nav(page, "GST", "GST");
  await page.getByRole("heading", { name: "E-invoicing", level: 2 }).waitFor();
  await page.getByLabel("Register invoices with the IRP").check();
  await page.getByLabel("Generate the IRN when an invoice is issued").uncheck();
  await page.getByLabel("IRP base URL").fill(irpBase);
  await page.getByLabel("Client ID").fill(irpKeys.client_id);
  await page.getByLabel("Client secret").fill(irpKeys.client_secret);
  await page.getByLabel("API user name").fill(irpKeys.username);
  await page.getByLabel("API password").fill(irpKeys.password);
  await page.getByLabel("IRP encryption public key").fill(irpKeys.encryption_public_key);
  const signing = page.getByLabel("IRP signing public key");
  await signing.fill("not a key");
  await page.getByLabel("Timeout (seconds)").fill("10");
  await page.getByRole("button", { name: "Save e-invoicing settings" }).click();
  await until("the signing key to be marked invalid", async () => (await signing.getAttribute("aria-invalid")) === "true", 10000);
  await expectText(page, "RSA public key in PEM form");
  await audit(page, "GST settings with an error");
  await signing.fill(irpKeys.signing_public_key);
  await page.getByRole("button", { name: "Save e-invoicing settings" }).click();
  await expectText(page, "The e-invoicing settings were saved.");

  // Stored: after a reload the settings are back, the secrets never shown.
  await page.reload();
  await page.getByRole("heading", { name: "GST", level: 1 }).waitFor();
  await until("the stored settings to show", async () => (await page.getByLabel("IRP base URL").inputValue()) === irpBase);
  for (const label of ["Client secret", "API password"]) {
    const input = page.getByLabel(label);
    if ((await input.inputValue()) !== "" || (await input.getAttribute("placeholder")) !== "Stored — leave blank to keep") {
      throw new Error(`${label} is not shown as stored`);
    }
  }
  if (!(await page.getByLabel("Register invoices with the IRP").isChecked())) throw new Error("e-invoicing is not on");
  if (await page.getByLabel("Generate the IRN when an invoice is issued").isChecked()) throw new Error("the IRN is generated on issue");
  await audit(page, "GST settings saved");
  await shot(page, "8-gst-settings");

  // The ledger journey's invoice was issued before the company had an
  // address, and its laptop has a 4-digit HSN: its e-invoice says what
  // stops it, and cannot be generated.
  await nav(page, "Invoices", "Invoices");
  await page.getByRole("link", { name: ledgerInvoice, exact: true }).first().click();
  await page.getByRole("heading", { name: ledgerInvoice, level: 1 }).waitFor();
  let einvoice = page.getByRole("region", { name: "E-invoice", exact: true });
  await einvoice.getByRole("heading", { name: "Fix before generating" }).waitFor();
  const hsn = einvoice.getByRole("listitem").filter({ hasText: "Line 1 · HSN/SAC" });
  await hsn.getByText("ItemList[0].HsnCd", { exact: true }).waitFor();
  await hsn.getByText("6- or 8-digit").waitFor();
  await einvoice.getByRole("listitem").filter({ hasText: "Company · Address line 1" }).waitFor();
  if (!(await einvoice.getByRole("button", { name: "Generate IRN" }).isDisabled())) throw new Error("an e-invoice with violations can be generated");
  await audit(page, "invoice with e-invoice violations");
  await shot(page, "8-einvoice-violations");

  // The seller's address the e-invoice needs (line, city, PIN), printed on
  // the documents issued from now on.
  await visit(page, "/books?view=settings", "Books", "Books: settings");
  await page.getByLabel("Address line 1").fill("Unit 4, Sai Industrial Estate");
  await page.getByLabel("City").fill("Pune");
  await page.getByLabel("State", { exact: true }).selectOption("27");
  await page.getByLabel("PIN code").fill("411019");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expectText(page, "The settings were saved.");
  if ((await page.getByLabel("Address line 1").inputValue()) !== "Unit 4, Sai Industrial Estate") throw new Error("the company's address was not saved");

  // A new invoice for the laptop with its 8-digit HSN passes every check.
  await nav(page, "Invoices", "Invoices");
  await page.getByRole("link", { name: "New invoice" }).click();
  await page.getByRole("heading", { name: "New invoice", level: 1 }).waitFor();
  await page.getByLabel("Customer").selectOption({ label: "Deccan Systems Pvt Ltd (29AABCT1332L1ZA)" });
  await page.getByLabel("Item, line 1").selectOption({ label: "Laptop" });
  await page.getByLabel("HSN/SAC, line 1").fill("84713010");
  await page.locator(".totals").getByRole("row", { name: /Total/ }).getByText("₹59,000.00").waitFor();
  await page.getByRole("button", { name: "Save draft" }).click();
  await page.waitForURL(/\/invoices\/[0-9a-f-]{36}$/);
  await page.getByRole("heading", { name: "Draft tax invoice", level: 1 }).waitFor();
  await page.getByRole("button", { name: "Issue", exact: true }).click();
  const heading = page.getByRole("heading", { name: /^INV\//, level: 1 });
  await heading.waitFor();
  const number = await heading.innerText();
  einvoice = page.getByRole("region", { name: "E-invoice", exact: true });
  await einvoice.getByText("Not generated", { exact: true }).waitFor();
  if (await einvoice.getByRole("heading", { name: "Fix before generating" }).count()) throw new Error(`the new invoice's e-invoice has violations: ${await einvoice.innerText()}`);

  // Generated on the IRP: the IRN, and the signed QR code with what it says.
  await einvoice.getByRole("button", { name: "Generate IRN" }).click();
  await einvoice.getByText("Generated", { exact: true }).waitFor({ timeout: 30000 });
  const irn = await einvoice.getByText(/^[0-9a-f]{64}$/).innerText();
  const qr = einvoice.getByRole("img", { name: "E-invoice QR code" });
  await qr.waitFor();
  await until("the QR code to show", async () => (await qr.evaluate((img) => img.complete && img.naturalWidth)) > 0);
  await einvoice.getByText(number, { exact: true }).first().waitFor();
  await einvoice.getByText("₹59,000.00").waitFor();
  if ((await irpCalls()).generate !== 1) throw new Error(`the IRP was not asked once for ${irn}`);

  // The PDF still downloads, and the JSON registered is the invoice's.
  const [pdf] = await Promise.all([
    page.waitForResponse((r) => r.url().includes("/pdf?download=true")),
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Download PDF" }).click(),
  ]);
  if (pdf.status() !== 200 || pdf.headers()["content-type"] !== "application/pdf") throw new Error(`the PDF answered ${pdf.status()} ${pdf.headers()["content-type"]}`);
  const [json] = await Promise.all([page.waitForEvent("download"), einvoice.getByRole("button", { name: "Download JSON" }).click()]);
  const registered = JSON.parse(readFileSync(await json.path(), "utf8"));
  if (json.suggestedFilename() !== `${number.replace(/[\\/]/g, "-")}-einvoice.json` || registered.DocDtls?.No !== number) {
    throw new Error(`the e-invoice JSON downloads as ${json.suggestedFilename()} for ${registered.DocDtls?.No}`);
  }
  await audit(page, "invoice with its IRN");
  await shot(page, "8-einvoice-generated");

  // Its goods go by road: with the IRN the e-way bill is generated through
  // the IRP at once. A vehicle number that is not a registration number is
  // named beside its input, and never reaches the IRP.
  const ewaybill = page.getByRole("region", { name: "E-way bill", exact: true });
  const generateEwb = ewaybill.getByRole("button", { name: "Generate e-way bill" });
  await generateEwb.waitFor();
  await ewaybill.getByText("Not prepared", { exact: true }).waitFor();
  await ewaybill.getByLabel("Mode", { exact: true }).selectOption("road");
  await ewaybill.getByLabel("Distance (km)").fill("980");
  const vehicle = ewaybill.getByLabel("Vehicle number");
  await vehicle.fill("KA 01 AB 12");
  await generateEwb.click();
  await until("the vehicle number to be marked invalid", async () => (await vehicle.getAttribute("aria-invalid")) === "true", 15000);
  await ewaybill.getByText("is not a vehicle registration number").waitFor();
  if ((await irpCalls()).ewaybill) throw new Error("an e-way bill with a bad vehicle number reached the IRP");
  await audit(page, "e-way bill with an error");
  await vehicle.fill("KA01AB1234");
  await generateEwb.click();
  await ewaybill.locator(".badge", { hasText: /^Generated$/ }).waitFor({ timeout: 30000 });
  const ewbNo = await ewaybill.getByText(/^\d{12}$/).innerText();
  const validUntil = await ewaybill.locator(".figures > div", { has: page.locator("dt", { hasText: /^Valid until$/ }) }).locator("dd").innerText();
  if (!/\b20\d\d\b/.test(validUntil)) throw new Error(`e-way bill ${ewbNo} is valid until "${validUntil}"`);
  if ((await irpCalls()).ewaybill !== 1) throw new Error(`the IRP was not asked once for e-way bill ${ewbNo}`);
  if (await ewaybill.getByRole("button", { name: "Generate e-way bill" }).count()) throw new Error("a generated e-way bill can be generated again");
  await ewaybill.getByRole("button", { name: "Download e-way bill JSON" }).waitFor();
  await audit(page, "invoice with its e-way bill");
  await shot(page, "8-ewaybill-generated");

  // Cancelled within the IRP's 24 hours, and the invoice with it (nothing
  // later depends on this invoice).
  await einvoice.getByRole("button", { name: "Cancel IRN" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Reason").selectOption({ label: "Data entry mistake" });
  await dialog.getByLabel("Remark").fill("Wrong quantity entered");
  await audit(page, "cancel IRN dialog");
  await dialog.getByRole("button", { name: "Cancel IRN" }).click();
  await dialog.waitFor({ state: "hidden" });
  await einvoice.getByText("Cancelled", { exact: true }).waitFor();
  await einvoice.getByText("Data entry mistake", { exact: true }).waitFor();
  await expectText(page, "Cancelled: IRN cancelled: Wrong quantity entered");
  if (await page.getByRole("button", { name: /^Cancel invoice$/ }).count()) throw new Error("the invoice can still be cancelled");
  if ((await irpCalls()).cancel !== 1) throw new Error("the IRP was not asked to cancel the IRN");
  await audit(page, "invoice with its IRN cancelled");
  await shot(page, "8-einvoice-cancelled");

  await gstReturns(page);
}

/** This month as the company (in India) counts it: `2026-05`. */
function monthInIndia() {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Kolkata", year: "numeric", month: "2-digit" }).formatToParts(new Date());
  const get = (t) => parts.find((p) => p.type === t)?.value ?? "";
  return `${get("year")}-${get("month")}`;
}

async function gstReturns(page) {
  // This month's returns (the journeys' invoices are dated today): GSTR-1
  // holds the B2B invoice and adds up to the sales register.
  const month = monthInIndia();
  await nav(page, "GST", "GST");
  const gstr1 = page.getByRole("region", { name: "GSTR-1", exact: true });
  await gstr1.getByLabel("Return period").fill(month);
  const prepared = gstr1.locator(`[data-period="${month}"]`);
  const b2b = prepared.getByRole("table", { name: "GSTR-1 sections" }).getByRole("row", { name: /^B2B invoices/ });
  await b2b.waitFor({ timeout: 20000 });
  const records = Number((await b2b.getByRole("cell").first().innerText()).replace(/,/g, ""));
  if (!(records >= 1)) throw new Error(`GSTR-1 shows ${records} B2B invoices`);
  await prepared.getByText("Reconciled with the sales register").waitFor();

  // The portal's JSON is for the month, and the offline tool's B2B CSV has its columns.
  const [json] = await Promise.all([page.waitForEvent("download"), prepared.getByRole("button", { name: "Download JSON for the GST portal" }).click()]);
  const portal = JSON.parse(readFileSync(await json.path(), "utf8"));
  const fp = `${month.slice(5, 7)}${month.slice(0, 4)}`;
  if (!json.suggestedFilename().startsWith("GSTR1_") || portal.fp !== fp) throw new Error(`the GSTR-1 JSON downloads as ${json.suggestedFilename()} for ${portal.fp}`);
  await prepared.getByLabel("CSV section").selectOption("b2b");
  const [csv] = await Promise.all([page.waitForEvent("download"), prepared.getByRole("button", { name: "Download CSV" }).click()]);
  const rows = readFileSync(await csv.path(), "utf8").split(/\r?\n/);
  if (!rows[0].startsWith("GSTIN/UIN of Recipient") || !rows.some((r) => r.startsWith("29AABCT1332L1ZA,"))) {
    throw new Error(`the B2B CSV (${csv.suggestedFilename()}) reads: ${rows.slice(0, 3).join(" / ")}`);
  }

  // GSTR-3B: the tax payable once credit is set off (no purchases: IGST is owed).
  const gstr3b = page.getByRole("region", { name: "GSTR-3B", exact: true });
  await gstr3b.getByLabel("Return period").fill(month);
  const summary = gstr3b.locator(`[data-period="${month}"]`);
  const igst = summary.getByRole("table", { name: "Tax payable" }).getByRole("row", { name: /^IGST/ });
  await igst.waitFor({ timeout: 20000 });
  const liability = await igst.getByRole("cell").first().innerText();
  if (!/^₹[\d,]+\.\d{2}$/.test(liability) || liability === "₹0.00") throw new Error(`GSTR-3B shows an IGST liability of ${liability}`);
  await summary.getByRole("table", { name: "Credit used" }).waitFor();
  await audit(page, "GST returns");
  await shot(page, "8-gst-returns");
}

const travels = { company: "Sunrise Travels", name: "Priya Nair", email: "priya@travels.example" };

/** A new company, signed up in a browser of its own. */
async function signUp(who, { company, name, email }) {
  const { ctx, page } = await context(who);
  await page.goto("/signup");
  await page.getByRole("heading", { name: "Create your company" }).waitFor();
  await page.getByLabel("Company name").fill(company);
  await page.getByLabel("Your name").fill(name);
  await page.getByLabel("E-mail address").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Create company" }).click();
  await page.getByRole("heading", { name: company, level: 1 }).waitFor();
  return { ctx, page };
}

async function concierge(page) {
  // What the bot answers from: a refund policy, pasted through the API.
  const login = await api("POST", "/api/v1/auth/login", null, { email: travels.email, password: PASSWORD });
  const token = login.body.access_token;
  const pasted = await api("POST", "/api/v1/documents", token, { title: "Refund policy", text: "Refund policy\n\nRefunds are paid within five working days.\n\nGift cards cannot be exchanged for cash." });
  if (pasted.status !== 202) throw new Error(`pasting the refund policy gave ${pasted.status}: ${JSON.stringify(pasted.body)}`);
  const docId = pasted.body.documents[0].document.id;
  await until("the refund policy to be ready", async () => (await api("GET", `/api/v1/documents/${docId}`, token)).body?.status === "ready", 120000);

  // A web channel for the company's website only; a site that is not an
  // origin is named beside the field.
  await nav(page, "Channels", "Channels");
  await expectText(page, "No channels yet.");
  await page.getByRole("button", { name: "Add channel" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Kind").selectOption("web");
  await dialog.getByLabel("Name", { exact: true }).fill("Website chat");
  const sites = dialog.getByLabel("Allowed websites");
  await sites.fill("shop.example");
  await dialog.getByLabel("Title", { exact: true }).fill("Sunrise Travels");
  await dialog.getByLabel("Welcome message").fill("Hello! Ask us anything about your trip.");
  await dialog.getByRole("button", { name: "Add channel" }).click();
  await dialog.getByText("shop.example: must be an origin").waitFor();
  if ((await sites.getAttribute("aria-invalid")) !== "true") throw new Error("the allowed websites are not marked invalid");
  await audit(page, "add channel with an error");
  await sites.fill(shopOrigin);
  await dialog.getByRole("button", { name: "Add channel" }).click();
  await dialog.getByRole("heading", { name: "Channel added" }).waitFor();
  const snippet = (await dialog.locator("pre code").innerText()).trim();
  const parts = snippet.match(/^<script src="([^"]+)\/widget\.js" data-channel="(ch_[A-Za-z0-9_-]+)" async><\/script>$/);
  if (!parts || parts[1] !== base) throw new Error(`the widget snippet reads ${snippet}`);
  const key = parts[2];
  await audit(page, "channel added, its snippet");
  await shot(page, "9-channel-snippet");
  await dialog.getByRole("button", { name: "Done" }).click();
  await dialog.waitFor({ state: "hidden" });
  await page.getByRole("row").filter({ hasText: "Website chat" }).getByText(shopOrigin).waitFor();
  // Another site may not use the channel.
  const elsewhere = await fetch(`${base}/api/v1/widget/${key}/sessions`, { method: "POST", headers: { "content-type": "application/json", origin: "https://elsewhere.example" }, body: "{}" });
  if (elsewhere.status !== 403) throw new Error(`a widget session from another site got ${elsewhere.status}`);

  // The agent keeps the inbox open: conversations arrive live.
  await nav(page, "Inbox", "Inbox");
  await expectText(page, "No conversations yet.");
  await expectText(page, "Live: new messages appear as they arrive.");
  const conversations = page.getByRole("navigation", { name: "Conversations" });
  const item = conversations.getByRole("link").filter({ hasText: "Web chat" }).first();

  // A visitor on the company's website asks the widget; the bot answers from the policy.
  shopPage = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sunrise Travels</title></head><body><main><h1>Sunrise Travels</h1><p>Holidays in the hills.</p></main>${snippet}</body></html>`;
  const visitor = await context("visitor");
  await visitor.page.goto(shopUrl);
  const widget = visitor.page.locator("[data-tessera-widget]");
  await widget.getByRole("button", { name: "Chat with us" }).click();
  await widget.getByText("Hello! Ask us anything about your trip.").waitFor();
  const say = async (text) => {
    await widget.getByLabel("Message").fill(text);
    await widget.getByRole("button", { name: "Send" }).click();
    await widget.locator('.msg[data-sender="contact"]', { hasText: text }).waitFor();
  };
  await say("How long do refunds take?");
  await widget.locator('.msg[data-sender="bot"]', { hasText: "five working days" }).waitFor({ timeout: 60000 });
  await item.waitFor({ timeout: 20000 });

  // Asking for a person hands the conversation over: the inbox shows it waiting.
  const botSaid = await widget.locator('.msg[data-sender="bot"]').count();
  await say("I want to talk to a human");
  await until("the bot to say a person will reply", async () => (await widget.locator('.msg[data-sender="bot"]').count()) > botSaid, 60000);
  await until("the conversation to wait for a person in the inbox", async () => /Pending/.test(await item.innerText()) && /Human/.test(await item.innerText()), 20000);
  await shot(visitor.page, "9-widget-handed-over");

  // The agent opens it, and replies; the visitor's widget shows the reply.
  await item.click();
  await page.waitForURL(/\/inbox\/[0-9a-f-]{36}/);
  const thread = page.getByRole("list", { name: "Messages" });
  await thread.getByText("How long do refunds take?").waitFor();
  await thread.locator('[data-sender="bot"]', { hasText: "five working days" }).waitFor();
  await audit(page, "conversation");
  const reply = page.getByLabel("Reply", { exact: true });
  await reply.fill("Hello, this is Priya");
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await thread.locator('[data-sender="agent"]', { hasText: "Hello, this is Priya" }).waitFor();
  await widget.locator('.msg[data-sender="agent"]', { hasText: "Hello, this is Priya" }).waitFor({ timeout: 20000 });

  // The visitor's answer appears in the open conversation as it comes.
  await say("Thanks, Priya! My booking is SR-1042.");
  await thread.getByText("My booking is SR-1042.").waitFor({ timeout: 20000 });

  // A private note stays with the team.
  await page.getByLabel("Private note (not sent to the customer)").check();
  await reply.fill("Refund for SR-1042: follow up by e-mail.");
  await page.getByRole("button", { name: "Add note" }).click();
  await thread.locator(".cmsg-note", { hasText: "follow up by e-mail" }).waitFor();

  // The contact's details; an e-mail address the server refuses is named beside it.
  const contact = page.getByRole("region", { name: "Contact" });
  const email = contact.getByLabel("E-mail");
  await email.fill("not an address");
  await contact.getByLabel("Tags").fill("refunds, website");
  await contact.getByRole("button", { name: "Save contact" }).click();
  await contact.getByText("must be an e-mail address").waitFor();
  if ((await email.getAttribute("aria-invalid")) !== "true") throw new Error("the contact's e-mail is not marked invalid");
  await email.fill("guest@travels.example");
  await contact.getByRole("button", { name: "Save contact" }).click();
  await contact.getByText("The contact was saved.").waitFor();

  // Replying made the conversation the agent's: let go, it leaves the list
  // of one's own; taken again, it is back.
  const head = page.locator(".inbox-main .chat-head");
  await head.getByText("Assigned to you").waitFor();
  await page.getByRole("button", { name: "Unassign" }).click();
  await head.getByText("Unassigned", { exact: true }).waitFor();
  const mine = page.getByLabel("Assigned to me");
  await mine.check();
  await page.getByText("No conversations match.").waitFor();
  await page.getByRole("button", { name: "Assign to me" }).click();
  await head.getByText("Assigned to you").waitFor();
  await until("the conversation to be listed as one's own", async () => (await page.locator(".inbox-links li").count()) === 1);
  await mine.uncheck();

  // Given back to the bot and taken over again; snoozed for a day; resolved:
  // the conversation and the inbox say so.
  await page.getByRole("button", { name: "Give back to the bot" }).click();
  await head.getByText("Bot", { exact: true }).waitFor();
  await page.getByRole("button", { name: "Take over" }).click();
  await head.getByText("Human", { exact: true }).waitFor();
  await page.getByRole("button", { name: "Snooze", exact: true }).click();
  const snooze = page.getByRole("dialog");
  await snooze.getByLabel("Snooze for").selectOption({ label: "1 day" });
  await audit(page, "snooze dialog");
  await snooze.getByRole("button", { name: "Snooze", exact: true }).click();
  await snooze.waitFor({ state: "hidden" });
  await head.getByText("Snoozed", { exact: true }).waitFor();
  await page.getByRole("button", { name: "Resolve", exact: true }).click();
  await head.getByText("Resolved", { exact: true }).waitFor();
  await until("the inbox to show the conversation resolved", async () => /Resolved/.test(await item.innerText()));
  await page.getByRole("button", { name: "Reopen" }).waitFor();
  if (await widget.getByText("follow up by e-mail").count()) throw new Error("the visitor saw a private note");
  await audit(page, "conversation resolved");
  await shot(page, "9-inbox-resolved");
  await visitor.ctx.close();

  // Bot settings: an opening period that closes before it opens is named
  // on its row; without it the settings save. A template is added.
  await nav(page, "Bot settings", "Bot settings");
  await page.getByRole("button", { name: "Add opening hours" }).click();
  await page.getByLabel("Opens (period 1)").fill("18:00");
  await page.getByLabel("Closes (period 1)").fill("09:00");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expectText(page, "closes at 09:00 before it opens at 18:00");
  if ((await page.getByLabel("Closes (period 1)").getAttribute("aria-invalid")) !== "true") throw new Error("the opening period is not marked invalid");
  await audit(page, "bot settings with an error");
  await page.getByRole("button", { name: "Remove period 1" }).click();
  await page.getByLabel("Greeting").fill("Namaste! How can we help with your trip?");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expectText(page, "The settings were saved.");
  await page.getByRole("row").filter({ hasText: "human" }).first().getByText("Built in").waitFor();
  await page.getByRole("button", { name: "Add intent" }).click();
  const intent = page.getByRole("dialog");
  await intent.getByLabel("Name", { exact: true }).fill("baggage");
  await intent.getByLabel("Example messages").fill("How much luggage can I bring?\nWhat is the baggage allowance?");
  await intent.getByLabel("What the bot does").selectOption("reply");
  await intent.getByLabel("Reply", { exact: true }).fill("Each guest may bring one suitcase of up to 20 kg.");
  await audit(page, "intent dialog");
  await intent.getByRole("button", { name: "Save intent" }).click();
  await intent.waitFor({ state: "hidden" });
  await page.getByRole("row").filter({ hasText: "baggage" }).getByRole("button", { name: "Delete baggage" }).waitFor();
  await page.getByLabel("Template name").fill("booking_update");
  await page.getByLabel("Template text").fill("Hello {{1}}, your booking {{2}} is confirmed.");
  await page.getByRole("button", { name: "Add template" }).click();
  await page.getByRole("row").filter({ hasText: "booking_update" }).getByRole("cell", { name: "2", exact: true }).waitFor();
  await shot(page, "9-bot-settings");

  // Analytics: the conversation, handed to a person.
  await nav(page, "Concierge analytics", "Concierge analytics");
  const figure = (label) => page.locator(".figures > div", { has: page.locator("dt", { hasText: new RegExp(`^${label}$`) }) }).locator("dd").first();
  await until("the analytics to count the conversation", async () => (await figure("Conversations").innerText()) === "1" && (await figure("Handed to a person").innerText()) === "1", 10000);
  await page.getByRole("img", { name: /^Web chat: conversations per day/ }).waitFor();
  await page.getByRole("link", { name: "Add documents" }).waitFor();
  await shot(page, "9-concierge-analytics");
}

async function everyOtherPage(page) {
  for (const [label, heading] of [
    ["Company", "Company"],
    ["Roles", "Roles"],
    ["Audit log", "Audit log"],
    ["Background jobs", "Background jobs"],
    ["Providers", "Providers"],
    ["Playground", "Playground"],
    ["Knowledge settings", "Knowledge settings"],
    ["Quotations", "Quotations"],
    ["Purchase bills", "Purchase bills"],
    ["Payments", "Payments"],
    ["Books", "Books"],
  ]) {
    await nav(page, label, heading);
  }
  for (const [path, name] of [
    ["/books?view=journals", "Books: journals"],
    ["/books?view=settings", "Books: settings"],
    ["/books?view=series", "Books: number series"],
    ["/quotations/new", "New quotation"],
    ["/bills/new", "New purchase bill"],
  ]) {
    await visit(page, path, name.startsWith("Books") ? "Books" : name, name);
  }
  await visit(page, "/account", "Your account");
  // At 360 px every page still works (the menu opens the navigation).
  await page.setViewportSize({ width: 360, height: 740 });
  await visit(page, "/team", "Team", "Team (360 px)");
  await page.getByRole("button", { name: "Menu" }).click();
  await page.getByRole("navigation").getByRole("link", { name: "Audit log", exact: true }).click();
  await page.getByRole("heading", { name: "Audit log", level: 1 }).waitFor();
  await audit(page, "Audit log (360 px)");
  await shot(page, "5-narrow-audit");
  await page.setViewportSize({ width: 1280, height: 900 });
  // Signing out lands on the sign-in page, and the cookie no longer works.
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(/\/login/);
  await page.reload();
  await page.getByRole("heading", { name: "Sign in to Tessera" }).waitFor();
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await page.getByRole("heading", { name: "Forgotten password" }).waitFor();
  await audit(page, "forgotten password");
}

// ── run ───────────────────────────────────────────────────────────────────

const started = Date.now();
let failed = null;
const steps = [
  ["sign up, invite, accept, member refused, deactivated", async () => (state = await signUpAndInvite())],
  ["create, use and revoke an API key", async () => apiKeys(state.page)],
  ["webhook ping delivered", async () => webhook(state.page)],
  ["budget shown on usage", async () => budget(state.page)],
  ["upload a PDF, ask about it, open the cited passage", async () => knowledge(state.page)],
  ["ledger: logo, customer, item, invoice previewed, issued, printed, part paid, aging, trial balance, asked in plain words", async () => (state.invoice = await ledger(state.page))],
  ["gst: e-invoicing set up, IRN generated with its QR, e-way bill through the IRP, IRN cancelled, GSTR-1 and GSTR-3B for the month", async () => gst(state.page, state.invoice)],
  ["concierge: a web channel on the company's site, answered from a pasted document, taken over, answered and resolved in the inbox", async () => concierge((await signUp("agent", travels)).page)],
  ["every page, narrow screen, sign out", async () => everyOtherPage(state.page)],
];
let state;
for (const [name, run] of steps) {
  const t = Date.now();
  try {
    await run();
    console.log(`ok   ${name} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
  } catch (e) {
    console.log(`FAIL ${name}: ${e.message}`);
    for (const [who, p] of open) await shot(p, `failure-${who}`).catch(() => {});
    failed = e;
    break;
  }
}

await browser.close();
stopAll();

const violations = [...checked.entries()].filter(([, v]) => v.length > 0);
console.log(`axe: ${checked.size} pages checked in light and dark, ${violations.length} with serious or critical violations`);
for (const [name, v] of violations) console.log(`  ${name}:\n    ${v.join("\n    ")}`);
for (const p of problems) console.log(`  ${p}`);
console.log(`route changes: ${timings.join(", ")}`);
console.log(`e2e: ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in ${out}`);
if (failed || violations.length > 0 || problems.length > 0) process.exit(1);
