/* Tessera web chat. Put on a page:
 *   <script src="https://tessera.example/widget.js" data-channel="ch_…" async></script>
 * No framework, no cookies: the visitor's id stays in localStorage. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.dataset.channel) return;
  var key = script.dataset.channel;
  var base = new URL(script.src, location.href).origin;
  var api = base + "/api/v1/widget/" + encodeURIComponent(key);
  var store = "tessera-visitor:" + key;
  var token = null, source = null, seen = {}, look = {};

  var host = document.createElement("div");
  host.setAttribute("data-tessera-widget", key);
  var root = host.attachShadow({ mode: "open" });
  root.innerHTML =
    '<style>' +
    ':host{all:initial}' +
    '.launcher{position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:28px;border:0;color:#fff;font:600 24px system-ui;display:flex;align-items:center;justify-content:center;cursor:pointer;box-shadow:0 4px 12px rgba(0,0,0,.25);z-index:2147483646}' +
    '.panel{position:fixed;right:20px;bottom:88px;width:340px;max-width:calc(100vw - 40px);height:460px;max-height:calc(100vh - 120px);display:none;flex-direction:column;background:#fff;border-radius:12px;box-shadow:0 8px 24px rgba(0,0,0,.25);overflow:hidden;font:14px/1.4 system-ui,sans-serif;color:#1f2937;z-index:2147483647}' +
    '.panel.open{display:flex}' +
    '.head{padding:12px 14px;color:#fff;font-weight:600}' +
    '.log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:8px;background:#f9fafb}' +
    '.msg{max-width:80%;padding:8px 10px;border-radius:10px;white-space:pre-wrap;word-wrap:break-word}' +
    '.msg.in{align-self:flex-end;color:#fff}' +
    '.msg.out{align-self:flex-start;background:#e5e7eb}' +
    '.msg.agent .who{display:block;font-size:11px;color:#6b7280}' +
    'form{display:flex;border-top:1px solid #e5e7eb}' +
    'input{flex:1;border:0;padding:12px;font:inherit;outline:none}' +
    'button.send{border:0;background:none;padding:0 14px;font:600 14px system-ui;cursor:pointer}' +
    '</style>' +
    '<button class="launcher" type="button" aria-label="Chat with us"><svg width="26" height="26" viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><path d="M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h12a2 2 0 0 1 2 2z"/></svg></button>' +
    '<div class="panel" role="dialog" aria-label="Chat">' +
    '<div class="head"></div><div class="log" aria-live="polite"></div>' +
    '<form><input name="text" autocomplete="off" placeholder="Type a message…" aria-label="Message" maxlength="4096">' +
    '<button class="send" type="submit">Send</button></form></div>';
  var launcher = root.querySelector(".launcher");
  var panel = root.querySelector(".panel");
  var head = root.querySelector(".head");
  var log = root.querySelector(".log");
  var form = root.querySelector("form");
  var input = root.querySelector("input");

  function paint() {
    var color = look.color || "#2563eb";
    launcher.style.background = color;
    head.style.background = color;
    head.textContent = look.title || "Chat with us";
    var style = root.querySelector("style");
    style.textContent += ".msg.in{background:" + color + "}";
  }

  function add(m) {
    if (m.id && seen[m.id]) return;
    if (m.id) seen[m.id] = true;
    var div = document.createElement("div");
    div.className = "msg " + (m.direction === "in" ? "in" : "out") + (m.sender === "agent" ? " agent" : "");
    div.setAttribute("data-sender", m.sender || "");
    if (m.sender === "agent") {
      var who = document.createElement("span");
      who.className = "who";
      who.textContent = "Team";
      div.appendChild(who);
    }
    div.appendChild(document.createTextNode(m.body));
    log.appendChild(div);
    log.scrollTop = log.scrollHeight;
  }

  function call(method, path, body) {
    var headers = { "content-type": "application/json" };
    if (token) headers["x-widget-session"] = token;
    return fetch(api + path, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined })
      .then(function (r) {
        return r.json().then(function (j) {
          if (!r.ok) throw new Error(j.detail || j.title || "request failed");
          return j;
        });
      });
  }

  function listen() {
    if (source) source.close();
    source = new EventSource(api + "/events?token=" + encodeURIComponent(token));
    source.addEventListener("message", function (e) {
      try { add(JSON.parse(e.data)); } catch (_) { /* ignore */ }
    });
  }

  function start() {
    var visitor = null;
    try { visitor = localStorage.getItem(store); } catch (_) { /* private mode */ }
    var body = visitor ? { visitor_id: visitor } : {};
    return call("POST", "/sessions", body).then(function (s) {
      token = s.token;
      look = s.widget || {};
      try { localStorage.setItem(store, s.visitor_id); } catch (_) { /* private mode */ }
      paint();
      if (look.welcome && s.messages.length === 0) add({ direction: "out", sender: "bot", body: look.welcome });
      s.messages.forEach(add);
      listen();
    });
  }

  var started = null;
  launcher.addEventListener("click", function () {
    panel.classList.toggle("open");
    if (!started) started = start();
    input.focus();
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    (started || (started = start())).then(function () {
      return call("POST", "/messages", { text: text });
    }).then(add).catch(function (err) {
      add({ direction: "out", sender: "system", body: "Not sent: " + err.message });
    });
  });

  function mount() { document.body.appendChild(host); paint(); }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
