#!/usr/bin/env python3
"""The knowledge base's retrieval and answers, measured against a labelled set.

    python3 bench/knowledge_eval/eval.py --url http://127.0.0.1:PORT [options]
    python3 bench/knowledge_eval/eval.py --self-test

bench/knowledge_eval/run.sh starts a server and runs this against it. Against
a running server it:

1. signs up a company (or, with --reuse, signs in to the one the last run
   made) and lifts its request rate limit;
2. uploads the corpus (target/knowledge-eval/corpus, from fetch_corpus.sh)
   in multipart batches and waits until every document is ready or failed:
   upload-to-ready time, pages/min (a page is 3,000 characters of the
   server's extracted text) and failures;
3. searches every question in each mode (vector, text, hybrid; top_k 10,
   max_distance 2.0 so that nothing is cut by the threshold): recall@5 and
   MRR@10 where a hit is right when its chunk's text contains the answer
   phrase, and recall@5 where a hit is right when it comes from the
   labelled document;
4. measures "not covered": a hybrid search without max_distance (the
   company's threshold) that returns no hits predicts that the documents do
   not answer; precision and recall of that against the unanswerable
   questions, and the same for max_distance 0.3–0.7 to choose a threshold;
5. asks every question in a fresh chat and scores the stored answer: does
   it contain the answer phrase, do its citations support it (strictly: the
   cited passage contains the phrase; by document: or it is from the
   labelled document), is an unanswerable question answered "not covered",
   and how long answers take.

It prints a compact report and writes everything, per question too, to
target/knowledge-eval/results.json. Python 3 standard library only.
"""

import argparse
import json
import math
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
sys.path.insert(0, HERE)
from corpus import PAGE_CHARS, contains, load_manifest, normalise  # noqa: E402

OUT_DIR = os.path.join(ROOT, "target", "knowledge-eval")
MODES = ("vector", "text", "hybrid")
TOP_K = 10
NO_THRESHOLD = 2.0  # the largest cosine distance: every hit passes
SWEEP = (0.3, 0.4, 0.5, 0.6, 0.7)
BATCH = 20  # files per upload request
PASSWORD = "velvet orbit canyon 42"


# ── metrics (pure; covered by --self-test) ────────────────────────────────

_MARKER = re.compile(r"\[\d+\]")


def strip_markers(text):
    """An answer's text without its citation markers ("[1]", "[12]"), so a
    marker placed inside a quoted sentence does not hide the phrase."""
    return _MARKER.sub("", text or "")


_STATEMENT = re.compile(r"([^\n\[\]]*?)((?:\s*\[\d+\])+)")
_WORD = re.compile(r"\w+")


def statements(answer):
    """The cited statements of an answer: (statement, [n, …]) for each run of
    markers, the statement being the text before it back to the previous
    marker or line break, quotation marks removed."""
    out = []
    for m in _STATEMENT.finditer(answer or ""):
        text = m.group(1).strip().strip("“”\"").strip()
        ns = [int(n) for n in re.findall(r"\d+", m.group(2))]
        if text:
            out.append((text, ns))
    return out


def supports(passage, statement):
    """Whether a cited passage supports a statement: it holds the statement
    word for word (a quote), or at least 80% of its words of four letters or
    more (a paraphrase)."""
    if contains(passage, statement):
        return True
    words = {w for w in _WORD.findall(normalise(statement)) if len(w) >= 4}
    if not words:
        return False
    have = set(_WORD.findall(normalise(passage)))
    return len(words & have) / len(words) >= 0.8


def first_rank(items, is_right, k):
    """The 1-based rank of the first of the first `k` items that
    `is_right`, or None."""
    for i, item in enumerate(items[:k], 1):
        if is_right(item):
            return i
    return None


def recall_at(ranks, k):
    """Share of questions whose first right hit is at rank ≤ k (`ranks`
    holds one rank or None per question)."""
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks) if ranks else None


def mrr_at(ranks, k):
    """Mean reciprocal rank, counting a first right hit past k as 0."""
    return sum(1 / r for r in ranks if r is not None and r <= k) / len(ranks) if ranks else None


def precision_recall(predicted, actual):
    """Precision and recall of a set of predicted positives against the set
    of actual ones (None where undefined: nothing predicted / no positives)."""
    predicted, actual = set(predicted), set(actual)
    tp = len(predicted & actual)
    precision = tp / len(predicted) if predicted else None
    recall = tp / len(actual) if actual else None
    return precision, recall


def percentile(xs, p):
    """The nearest-rank percentile of `xs` (None when empty)."""
    if not xs:
        return None
    s = sorted(xs)
    return s[min(len(s) - 1, math.floor(p / 100 * len(s)))]


def ratio(n, d):
    return n / d if d else None


def parse_time(s):
    """An RFC 3339 timestamp as the server writes it (nanoseconds and "Z"
    included) as an aware datetime."""
    m = re.fullmatch(r"(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)", s)
    if not m:
        raise ValueError(f"not a timestamp: {s!r}")
    base, frac, tz = m.groups()
    frac = (frac or "0")[:6].ljust(6, "0")
    tz = "+00:00" if tz == "Z" else tz
    return datetime.fromisoformat(f"{base}.{frac}{tz}")


def multipart(files, boundary=None):
    """A multipart/form-data body with one `file` part per (name, bytes,
    content type); returns (body, Content-Type header)."""
    boundary = boundary or "----knowledge-eval-" + uuid.uuid4().hex
    out = []
    for name, data, ctype in files:
        safe = name.replace('"', "_").replace("\r", "_").replace("\n", "_")
        out.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{safe}"\r\n'
            f"Content-Type: {ctype}\r\n\r\n".encode()
        )
        out.append(data)
        out.append(b"\r\n")
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out), f"multipart/form-data; boundary={boundary}"


def fmt(x, digits=2):
    return "–" if x is None else f"{x:.{digits}f}"


def fmt_ms(x):
    return "–" if x is None else f"{x:.0f}"


# ── the API ────────────────────────────────────────────────────────────────


class ApiError(Exception):
    def __init__(self, method, path, status, body):
        super().__init__(f"{method} {path}: {status} {body[:300]}")
        self.status = status
        self.body = body


class Api:
    """JSON over HTTP with a bearer token that is refreshed before it
    expires (access tokens live 15 minutes), retrying 429s as told."""

    def __init__(self, base, timeout=180):
        self.base = base.rstrip("/")
        self.timeout = timeout
        self.token = None
        self.refresh_token = None
        self.token_at = 0.0

    def sign_in(self, session):
        self.token = session["access_token"]
        self.refresh_token = session.get("refresh_token")
        self.token_at = time.monotonic()

    def _fresh(self):
        # Refresh a few minutes before the 15-minute expiry.
        if self.refresh_token and time.monotonic() - self.token_at > 10 * 60:
            s = self.call("POST", "/api/v1/auth/refresh", {"refresh_token": self.refresh_token}, auth=False)
            self.sign_in(s)

    def call(self, method, path, body=None, *, raw=None, content_type=None, auth=True, timeout=None):
        if auth:
            self._fresh()
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        for attempt in range(6):
            req = urllib.request.Request(self.base + path, method=method, data=data)
            if data is not None:
                req.add_header("content-type", content_type or "application/json")
            if auth and self.token:
                req.add_header("authorization", "Bearer " + self.token)
            try:
                with urllib.request.urlopen(req, timeout=timeout or self.timeout) as r:
                    payload = r.read()
                    return json.loads(payload) if payload else None
            except urllib.error.HTTPError as e:
                text = e.read().decode("utf-8", "replace")
                if e.code == 429 and attempt < 5:
                    time.sleep(float(e.headers.get("retry-after") or 1))
                    continue
                raise ApiError(method, path, e.code, text) from None
        raise AssertionError("unreachable")

    def pages(self, path):
        """Every item of a paged list (`items`, `next_cursor`)."""
        cursor = None
        while True:
            sep = "&" if "?" in path else "?"
            q = f"{path}{sep}limit=200" + (f"&cursor={urllib.parse.quote(cursor)}" if cursor else "")
            page = self.call("GET", q)
            yield from page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                return


# ── 1. the company ─────────────────────────────────────────────────────────


def account(api, state_file, reuse):
    """Signs in to the last run's company (--reuse) or signs up a new one;
    lifts its rate limit so the evaluation is not throttled."""
    state = None
    if reuse and os.path.exists(state_file):
        with open(state_file, encoding="utf-8") as f:
            state = json.load(f)
        try:
            api.sign_in(api.call("POST", "/api/v1/auth/login",
                                 {"email": state["email"], "password": state["password"]}, auth=False))
            print(f"signed in as {state['email']} (reusing its documents)")
        except ApiError as e:
            print(f"could not sign in as {state['email']} ({e.status}); signing up a new company")
            state = None
    if state is None:
        state = {"email": f"eval-{int(time.time())}@bench.example", "password": PASSWORD}
        api.sign_in(api.call("POST", "/api/v1/auth/signup", {
            "company_name": "Knowledge Eval", "email": state["email"], "password": state["password"],
        }, auth=False))
        os.makedirs(os.path.dirname(state_file), exist_ok=True)
        with open(state_file, "w", encoding="utf-8") as f:
            json.dump(state, f)
    api.call("PATCH", "/api/v1/tenant",
             {"settings": {"requests_per_minute": 1000000, "api_key_requests_per_minute": 1000000}})
    return state


# ── 2. ingestion ───────────────────────────────────────────────────────────


def upload(api, corpus_dir, files):
    """Uploads `files` (paths relative to `corpus_dir`) BATCH at a time.
    Returns {document id: path}, the ids that were new (not duplicates),
    per-request upload times and the files the server refused."""
    ids, new, refused, request_ms = {}, set(), {}, []

    def send(batch):
        parts = []
        for rel in batch:
            with open(os.path.join(corpus_dir, rel), "rb") as f:
                parts.append((rel, f.read(), "text/html"))
        body, ctype = multipart(parts)
        t = time.perf_counter()
        r = api.call("POST", "/api/v1/documents", raw=body, content_type=ctype, timeout=600)
        request_ms.append((time.perf_counter() - t) * 1e3)
        # One entry per file, in the order sent.
        for rel, entry in zip(batch, r["documents"]):
            doc = entry["document"]
            ids.setdefault(doc["id"], rel)
            if not entry.get("duplicate"):
                new.add(doc["id"])

    for i in range(0, len(files), BATCH):
        batch = files[i:i + BATCH]
        try:
            send(batch)
        except ApiError:
            # Nothing of a refused batch is stored: send its files one by
            # one so that only the ones at fault are left out.
            for rel in batch:
                try:
                    send([rel])
                except ApiError as e:
                    refused[rel] = f"{e.status} {e.body[:200]}"
    return ids, new, request_ms, refused


def wait_ready(api, ids, started, timeout, progress_every=15.0):
    """Polls the document list until each of `ids` is ready or failed (or
    `timeout` seconds pass). Returns {id: document} as last seen and
    {id: seconds from `started` until it was first seen done}."""
    seen, done_at = {}, {}
    last_print = time.monotonic()
    while True:
        for d in api.pages("/api/v1/documents"):
            if d["id"] in ids:
                seen[d["id"]] = d
                if d["status"] in ("ready", "failed") and d["id"] not in done_at:
                    done_at[d["id"]] = time.monotonic() - started
        pending = [i for i in ids if i not in done_at]
        if not pending:
            return seen, done_at
        if time.monotonic() - started > timeout:
            print(f"  gave up waiting after {timeout:.0f} s: {len(pending)} documents not done")
            return seen, done_at
        if time.monotonic() - last_print > progress_every:
            last_print = time.monotonic()
            failed = sum(1 for i in done_at if seen[i]["status"] == "failed")
            print(f"  ingesting: {len(done_at) - failed}/{len(ids)} ready, {failed} failed, "
                  f"{time.monotonic() - started:.0f} s", flush=True)
        time.sleep(1.0)


def ingest(api, corpus_dir, files, timeout):
    started = time.monotonic()
    ids, new, request_ms, refused = upload(api, corpus_dir, files)
    uploaded_s = time.monotonic() - started
    seen, done_at = wait_ready(api, set(ids), started, timeout)
    new_done = [i for i in new if i in done_at]
    ready = [i for i in ids if seen.get(i, {}).get("status") == "ready"]
    failed = {ids[i]: seen[i].get("failure") for i in ids if seen.get(i, {}).get("status") == "failed"}
    # Upload to ready, as the server saw it (created_at → ingested_at).
    server_s = []
    for i in new:
        d = seen.get(i, {})
        if d.get("status") == "ready" and d.get("ingested_at"):
            server_s.append((parse_time(d["ingested_at"]) - parse_time(d["created_at"])).total_seconds())
    wall = max((done_at[i] for i in new_done), default=None)
    chars_new = sum(seen[i].get("char_count") or 0 for i in new_done if seen[i]["status"] == "ready")
    pages_new = chars_new / PAGE_CHARS
    return {
        "ids": ids,
        "files": len(files),
        "documents": len(ids),
        "new": len(new),
        "duplicates": len(ids) - len(new),
        "ready": len(ready),
        "failed": failed,
        "refused": refused,
        "not_done": sorted(ids[i] for i in ids if i not in done_at),
        "upload_seconds": uploaded_s,
        "upload_request_ms_p50": percentile(request_ms, 50),
        "wall_seconds": wall,
        "pages_new": pages_new,
        "pages_per_min": pages_new / (wall / 60) if wall else None,
        "chars_total": sum(seen[i].get("char_count") or 0 for i in ready),
        "pages_total": sum(seen[i].get("char_count") or 0 for i in ready) / PAGE_CHARS,
        "chunks_total": sum(seen[i].get("chunk_count") or 0 for i in ready),
        "ready_seconds_p50": percentile(server_s, 50),
        "ready_seconds_p95": percentile(server_s, 95),
        "ready_seconds_max": max(server_s) if server_s else None,
    }


class Chunks:
    """A document's chunk texts, fetched once (for the phrase ceiling and
    for checking cited chunks)."""

    def __init__(self, api):
        self.api = api
        self.by_doc = {}
        self.by_id = {}

    def of(self, doc_id):
        if doc_id not in self.by_doc:
            try:
                items = [(c["id"], c["text"]) for c in self.api.pages(f"/api/v1/documents/{doc_id}/chunks")]
            except ApiError:
                items = []
            self.by_doc[doc_id] = items
            self.by_id.update(items)
        return self.by_doc[doc_id]

    def text(self, doc_id, chunk_id):
        self.of(doc_id)
        return self.by_id.get(chunk_id)


# ── 3–4. search ────────────────────────────────────────────────────────────


def search(api, query, mode, max_distance=None):
    body = {"query": query, "top_k": TOP_K, "mode": mode}
    if max_distance is not None:
        body["max_distance"] = max_distance
    t = time.perf_counter()
    r = api.call("POST", "/api/v1/search", body)
    return r, (time.perf_counter() - t) * 1e3


def evaluate_search(api, questions, path_of, chunks):
    """Per mode: where the first chunk containing the answer, and the first
    hit from the labelled document, rank among the top 10."""
    answerable = [q for q in questions if q["document"]]
    per_question = {q["id"]: {} for q in answerable}
    out = {}
    for mode in MODES:
        chunk_ranks, doc_ranks, latency, errors = [], [], [], 0
        for q in answerable:
            try:
                r, ms = search(api, q["question"], mode, NO_THRESHOLD)
            except ApiError as e:
                errors += 1
                per_question[q["id"]][mode] = {"error": str(e)}
                chunk_ranks.append(None)
                doc_ranks.append(None)
                continue
            hits = r["hits"]
            latency.append(ms)
            cr = first_rank(hits, lambda h: contains(h["text"], q["answer"]), TOP_K)
            dr = first_rank(hits, lambda h: path_of.get(h["document_id"]) == q["document"], TOP_K)
            chunk_ranks.append(cr)
            doc_ranks.append(dr)
            per_question[q["id"]][mode] = {
                "chunk_rank": cr, "document_rank": dr, "ms": round(ms, 1),
                "top": [path_of.get(h["document_id"], h["document_title"]) for h in hits[:3]],
            }
        out[mode] = {
            "recall@5": recall_at(chunk_ranks, 5),
            "recall@10": recall_at(chunk_ranks, 10),
            "mrr@10": mrr_at(chunk_ranks, 10),
            "document_recall@5": recall_at(doc_ranks, 5),
            "document_mrr@10": mrr_at(doc_ranks, 10),
            "ms_p50": percentile(latency, 50),
            "ms_p95": percentile(latency, 95),
            "errors": errors,
            "n": len(answerable),
        }
    # The ceiling for chunk-level recall: is the phrase whole in some chunk
    # of its document at all (chunking may split it)?
    id_of = {p: i for i, p in path_of.items()}
    whole = {}
    for q in answerable:
        doc_id = id_of.get(q["document"])
        whole[q["id"]] = bool(doc_id) and any(contains(t, q["answer"]) for _, t in chunks.of(doc_id))
        per_question[q["id"]]["phrase_in_a_chunk"] = whole[q["id"]]
    out["phrase_in_a_chunk"] = sum(whole.values())
    return out, per_question


def evaluate_not_covered(api, questions):
    """Hybrid search at the company's threshold and at each of SWEEP: a
    question with no hits is predicted "not covered"."""
    unanswerable = {q["id"] for q in questions if not q["document"]}
    answerable = [q for q in questions if q["document"]]
    rows = []
    for label, d in [("default", None)] + [(f"{x:.1f}", x) for x in SWEEP]:
        empty, ranks, errors = set(), [], 0
        for q in questions:
            try:
                r, _ = search(api, q["question"], "hybrid", d)
            except ApiError:
                errors += 1
                continue
            if not r["hits"]:
                empty.add(q["id"])
            if q["document"]:
                ranks.append(first_rank(r["hits"], lambda h: contains(h["text"], q["answer"]), TOP_K))
        precision, recall = precision_recall(empty, unanswerable)
        kept = sum(1 for q in answerable if q["id"] not in empty)
        rows.append({
            "max_distance": label, "precision": precision, "recall": recall,
            "answerable_kept": ratio(kept, len(answerable)), "recall@5": recall_at(ranks, 5),
            "predicted_not_covered": sorted(empty), "errors": errors,
        })
    return rows


# ── 5. answers ─────────────────────────────────────────────────────────────


def evaluate_answers(api, questions, path_of, chunks):
    """Each question in a fresh chat (a reused chat would rewrite it as a
    follow-up), the stored answer scored against the labels."""
    per_question = {}
    latency = []
    for q in questions:
        rec = {}
        try:
            chat = api.call("POST", "/api/v1/chats", {})
            t = time.perf_counter()
            m = api.call("POST", f"/api/v1/chats/{chat['id']}/messages", {"content": q["question"]})
            ms = (time.perf_counter() - t) * 1e3
            rec["ms"] = round(ms, 1)
            latency.append(ms)
        except ApiError as e:
            per_question[q["id"]] = {"error": str(e)}
            continue
        citations = m.get("citations") or []
        rec.update({
            "mode": m.get("mode"), "content": m.get("content"), "citations": len(citations),
            "server_latency_ms": m.get("latency_ms"), "retrieval_ms": m.get("retrieval_ms"),
            "model": m.get("model"),
        })
        if q["document"]:
            rec["contains_answer"] = contains(strip_markers(m.get("content")), q["answer"])
            strict = doc_level = 0
            for c in citations:
                text = chunks.text(c["document_id"], c["chunk_id"]) or ""
                phrase = contains(c.get("snippet") or "", q["answer"]) or contains(text, q["answer"])
                strict += phrase
                doc_level += phrase or path_of.get(c["document_id"]) == q["document"]
            rec["supported_strict"], rec["supported_document"] = strict, doc_level
            rec["cited"] = sorted({path_of.get(c["document_id"], c.get("document_title")) for c in citations})
        # Does each citation point at text that says what it is cited for?
        by_n = {c["n"]: c for c in citations if "n" in c}
        made = held = 0
        for statement, ns in statements(m.get("content")):
            for n in ns:
                made += 1
                c = by_n.get(n)
                if c and supports(chunks.text(c["document_id"], c["chunk_id"]) or "", statement):
                    held += 1
        rec["citation_marks"], rec["citation_marks_supported"] = made, held
        per_question[q["id"]] = rec

    answerable = [q for q in questions if q["document"]]
    unanswerable = [q for q in questions if not q["document"]]
    ok = {i: r for i, r in per_question.items() if "error" not in r}
    a = [ok[q["id"]] for q in answerable if q["id"] in ok]
    u = [ok[q["id"]] for q in unanswerable if q["id"] in ok]
    cites = sum(r["citations"] for r in a)
    modes = {}
    for r in ok.values():
        modes[r["mode"]] = modes.get(r["mode"], 0) + 1
    summary = {
        "asked": len(questions),
        "errors": len(questions) - len(ok),
        "modes": modes,
        "contains_answer": ratio(sum(r["contains_answer"] for r in a), len(a)),
        "contains_answer_n": sum(r["contains_answer"] for r in a),
        "answerable_n": len(a),
        "citations": cites,
        "citation_precision_strict": ratio(sum(r["supported_strict"] for r in a), cites),
        "citation_precision_document": ratio(sum(r["supported_document"] for r in a), cites),
        "answers_with_supporting_citation": ratio(sum(1 for r in a if r["supported_strict"]), len(a)),
        "citation_marks": sum(r.get("citation_marks", 0) for r in ok.values()),
        "citation_support": ratio(sum(r.get("citation_marks_supported", 0) for r in ok.values()),
                                  sum(r.get("citation_marks", 0) for r in ok.values())),
        "not_covered_accuracy": ratio(sum(1 for r in u if r["mode"] == "not_covered"), len(u)),
        "not_covered_n": sum(1 for r in u if r["mode"] == "not_covered"),
        "unanswerable_n": len(u),
        "answerable_not_covered": ratio(sum(1 for r in a if r["mode"] == "not_covered"), len(a)),
        "ms_p50": percentile(latency, 50),
        "ms_p95": percentile(latency, 95),
        "ms_p50_by_mode": {
            mode: percentile([r["ms"] for r in ok.values() if r["mode"] == mode], 50) for mode in modes
        },
    }
    return summary, per_question


# ── the report ─────────────────────────────────────────────────────────────


def report(res):
    print()
    c = res["corpus"]
    print(f"== knowledge eval: {res['questions']['answerable']} answerable + "
          f"{res['questions']['unanswerable']} unanswerable questions; corpus {c['files']} files "
          f"({c.get('source', '?')})")
    ing = res["ingestion"]
    print(f"ingestion: {ing['documents']} documents ({ing['new']} new, {ing['duplicates']} already there), "
          f"{ing['ready']} ready, {len(ing['failed'])} failed, {len(ing['refused'])} refused, "
          f"{len(ing['not_done'])} not done")
    if ing["new"]:
        print(f"  new documents: {ing['pages_new']:,.0f} pages in {fmt(ing['wall_seconds'], 1)} s from the first "
              f"upload to the last ready = {fmt(ing['pages_per_min'], 0)} pages/min; upload to ready per document "
              f"(server) p50 {fmt(ing['ready_seconds_p50'], 1)} s, p95 {fmt(ing['ready_seconds_p95'], 1)} s, "
              f"max {fmt(ing['ready_seconds_max'], 1)} s")
    print(f"  ready: {ing['pages_total']:,.0f} pages ({ing['chars_total']:,} characters), "
          f"{ing['chunks_total']:,} chunks")
    for path, why in list(ing["failed"].items())[:5]:
        print(f"  failed: {path}: {why}")
    for path, why in list(ing["refused"].items())[:5]:
        print(f"  refused: {path}: {why}")

    s = res.get("search")
    if s:
        n = s["hybrid"]["n"]
        print(f"search (top_k {TOP_K}, max_distance {NO_THRESHOLD}), {n} answerable questions; right = the chunk "
              f"contains the answer phrase / the hit is from the labelled document")
        print(f"  {'mode':<8} {'recall@5':>8} {'MRR@10':>7} {'recall@10':>9} {'doc recall@5':>12} "
              f"{'p50 ms':>7} {'p95 ms':>7}")
        for mode in MODES:
            m = s[mode]
            print(f"  {mode:<8} {fmt(m['recall@5']):>8} {fmt(m['mrr@10']):>7} {fmt(m['recall@10']):>9} "
                  f"{fmt(m['document_recall@5']):>12} {fmt_ms(m['ms_p50']):>7} {fmt_ms(m['ms_p95']):>7}"
                  + (f"  ({m['errors']} errors)" if m["errors"] else ""))
        print(f"  the answer phrase is whole in some chunk of its document for {s['phrase_in_a_chunk']}/{n} "
              f"questions (the ceiling for chunk recall)")
    nc = res.get("not_covered")
    if nc:
        default = res.get("settings", {}).get("max_distance")
        print(f"not covered: a hybrid search with no hits ⇒ \"not covered\"; against the "
              f"{res['questions']['unanswerable']} unanswerable questions")
        print(f"  {'max_distance':<14} {'precision':>9} {'recall':>7} {'answerable kept':>15} {'recall@5':>8}")
        for r in nc:
            label = r["max_distance"] + (f" ({default:g})" if r["max_distance"] == "default" and default else "")
            print(f"  {label:<14} {fmt(r['precision']):>9} {fmt(r['recall']):>7} {fmt(r['answerable_kept']):>15} "
                  f"{fmt(r['recall@5']):>8}")
    a = res.get("answers")
    if a:
        modes = ", ".join(f"{k} {v}" for k, v in sorted(a["modes"].items(), key=lambda kv: str(kv[0])))
        print(f"answers (a fresh chat per question): {a['asked']} asked, {a['errors']} errors; {modes}")
        print(f"  contains the answer phrase: {fmt(a['contains_answer'])} ({a['contains_answer_n']}/{a['answerable_n']})")
        print(f"  citation precision over {a['citations']} citations: strict (passage contains the phrase) "
              f"{fmt(a['citation_precision_strict'])}, by document {fmt(a['citation_precision_document'])}; "
              f"answers with a supporting citation {fmt(a['answers_with_supporting_citation'])}")
        print(f"  citations that support their statement (the cited passage holds the quoted sentence, or 80% "
              f"of a paraphrase's words): {fmt(a['citation_support'])} of {a['citation_marks']} markers")
        print(f"  not covered: {fmt(a['not_covered_accuracy'])} of unanswerable ({a['not_covered_n']}/"
              f"{a['unanswerable_n']}); answerable answered \"not covered\": {fmt(a['answerable_not_covered'])}")
        by_mode = ", ".join(f"{k} {fmt_ms(v)}" for k, v in a["ms_p50_by_mode"].items())
        print(f"  latency: p50 {fmt_ms(a['ms_p50'])} ms, p95 {fmt_ms(a['ms_p95'])} ms (p50 by mode: {by_mode})")


# ── main ───────────────────────────────────────────────────────────────────


def select_questions(questions, limit):
    """The first `limit` answerable and the first `limit` unanswerable
    questions (all with no limit)."""
    a = [q for q in questions if q["document"]]
    u = [q for q in questions if not q["document"]]
    return (a[:limit] + u[:limit]) if limit else a + u


def select_files(manifest, questions, limit):
    """The corpus files to upload: all, or (with --documents N) the labelled
    documents of the chosen questions plus the first others up to N."""
    if not limit:
        return manifest
    wanted = {q["document"] for q in questions if q["document"]}
    chosen = [f for f in manifest if f in wanted]
    for f in manifest:
        if len(chosen) >= max(limit, len(wanted)):
            break
        if f not in wanted:
            chosen.append(f)
    return chosen


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", help="the running server, e.g. http://127.0.0.1:8080")
    ap.add_argument("--corpus", default=os.path.join(OUT_DIR, "corpus"))
    ap.add_argument("--questions", default=os.path.join(HERE, "questions.json"))
    ap.add_argument("--out", default=os.path.join(OUT_DIR, "results.json"))
    ap.add_argument("--limit", type=int, default=0, metavar="N",
                    help="only the first N answerable and first N unanswerable questions")
    ap.add_argument("--documents", type=int, default=0, metavar="N",
                    help="upload only the questions' documents and others up to N (default: the whole corpus)")
    ap.add_argument("--search-only", action="store_true", help="skip the answers")
    ap.add_argument("--answers-only", action="store_true", help="skip the search and not-covered measurements")
    ap.add_argument("--reuse", action="store_true",
                    help="sign in to the company of the last run against this data directory and keep its documents")
    ap.add_argument("--chunk-size", type=int, default=0, metavar="N",
                    help="set the company's chunk size (characters) before uploading (default: keep the server's)")
    ap.add_argument("--chunk-overlap", type=int, default=-1, metavar="N",
                    help="set the company's chunk overlap (characters) before uploading")
    ap.add_argument("--ready-timeout", type=float, default=3600, help="seconds to wait for ingestion")
    ap.add_argument("--self-test", action="store_true", help="test the metric functions and exit")
    args = ap.parse_args()

    if args.self_test:
        return self_test()
    if not args.url:
        ap.error("--url is required (or run bench/knowledge_eval/run.sh)")
    if args.search_only and args.answers_only:
        ap.error("--search-only and --answers-only exclude each other")

    with open(args.questions, encoding="utf-8") as f:
        questions = select_questions(json.load(f), args.limit)
    manifest = load_manifest(args.corpus)
    files = select_files(manifest, questions, args.documents)
    missing = {q["document"] for q in questions if q["document"]} - set(files)
    if missing:
        sys.exit(f"labelled documents not in the corpus: {sorted(missing)}")
    source = None
    if os.path.exists(os.path.join(args.corpus, ".source")):
        with open(os.path.join(args.corpus, ".source"), encoding="utf-8") as f:
            source = f.read().strip()

    api = Api(args.url)
    state = account(api, os.path.join(os.path.dirname(args.out), "account.json"), args.reuse)
    settings = api.call("GET", "/api/v1/knowledge/settings")
    if args.chunk_size > 0 or args.chunk_overlap >= 0:
        if args.chunk_size > 0:
            settings["chunk_size"] = args.chunk_size
        if args.chunk_overlap >= 0:
            settings["chunk_overlap"] = args.chunk_overlap
        settings = api.call("PUT", "/api/v1/knowledge/settings", settings)
        print(f"chunks of {settings['chunk_size']} characters, {settings['chunk_overlap']} overlapping")

    print(f"uploading {len(files)} files in batches of {BATCH}…", flush=True)
    ing = ingest(api, args.corpus, files, args.ready_timeout)
    path_of = ing.pop("ids")
    chunks = Chunks(api)

    res = {
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "url": args.url,
        "account": state["email"],
        "settings": settings,
        "corpus": {"files": len(files), "source": source},
        "questions": {
            "answerable": sum(1 for q in questions if q["document"]),
            "unanswerable": sum(1 for q in questions if not q["document"]),
        },
        "ingestion": ing,
    }
    per_question = {q["id"]: {"question": q["question"], "document": q["document"], "answer": q["answer"]}
                    for q in questions}
    if not args.answers_only:
        print("searching…", flush=True)
        res["search"], pq = evaluate_search(api, questions, path_of, chunks)
        for i, r in pq.items():
            per_question[i]["search"] = r
        print("not covered…", flush=True)
        res["not_covered"] = evaluate_not_covered(api, questions)
    if not args.search_only:
        print("answers…", flush=True)
        res["answers"], pq = evaluate_answers(api, questions, path_of, chunks)
        for i, r in pq.items():
            per_question[i]["answer_eval"] = r
    res["per_question"] = per_question

    report(res)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(res, f, indent=1, ensure_ascii=False)
    print(f"results: {os.path.relpath(args.out, ROOT)}")
    return 0


# ── self-test ──────────────────────────────────────────────────────────────


def self_test():
    """The pure parts: normalisation, matching and the metrics."""
    from corpus import visible_blocks, visible_text

    tests = []

    def test(fn):
        tests.append(fn)
        return fn

    @test
    def normalise_collapses_and_folds():
        assert normalise("  Python\u00a0strings\n\tcannot ") == "python strings cannot"
        assert normalise("don’t “quote” — here") == "don't \"quote\" - here"
        assert normalise("soft\u00adhyphen") == "softhyphen"
        assert normalise(None) == ""

    @test
    def contains_is_case_and_space_insensitive():
        assert contains("The  default level\nis WARNING, which…", "the default level is warning")
        assert not contains("The default level is ERROR", "the default level is warning")
        assert not contains("anything", "")

    @test
    def markers_are_stripped():
        assert strip_markers("Sorts are guaranteed[1] to be stable [2].") == "Sorts are guaranteed to be stable ."
        assert contains(strip_markers("Sorts are guaranteed[1] to be stable"), "sorts are guaranteed to be stable")

    @test
    def visible_text_skips_hidden_and_splits_blocks():
        page = ("<html><head><title>T</title><style>p{}</style></head><body><p>One <b>two</b></p>"
                "<script>x()</script><ul><li>three</li><li>four</li></ul></body></html>")
        assert visible_text(page) == "One two three four"
        assert visible_blocks(page) == ["One two", "three", "four"]

    @test
    def ranks_and_recall():
        hits = ["a", "b", "c", "d", "e", "f"]
        assert first_rank(hits, lambda h: h == "c", 10) == 3
        assert first_rank(hits, lambda h: h == "f", 5) is None
        ranks = [1, 3, None, 6]
        assert recall_at(ranks, 5) == 0.5
        assert recall_at(ranks, 10) == 0.75
        assert recall_at([], 5) is None

    @test
    def statements_and_support():
        got = statements("Quoted from your documents:\n\n“Strings are immutable.” [1]\n\n“Use // to floor.” [2][3]")
        assert got == [("Strings are immutable.", [1]), ("Use // to floor.", [2, 3])], got
        assert supports("In Python strings are immutable. Really.", "Strings are immutable.")
        assert supports("The // operator does floor division of integers", "floor division by the // operator")
        assert not supports("Lists are mutable.", "Strings are immutable.")

    def mrr():
        assert abs(mrr_at([1, 2, None, 4], 10) - (1 + 0.5 + 0.25) / 4) < 1e-12
        assert mrr_at([11], 10) == 0

    @test
    def precision_and_recall():
        assert precision_recall({"u1", "u2", "q1"}, {"u1", "u2", "u3", "u4"}) == (2 / 3, 0.5)
        assert precision_recall(set(), {"u1"}) == (None, 0.0)
        assert precision_recall({"q1"}, set()) == (0.0, None)

    @test
    def percentiles():
        xs = list(range(1, 101))
        assert percentile(xs, 50) == 51 and percentile(xs, 95) == 96 and percentile(xs, 100) == 100
        assert percentile([7], 95) == 7 and percentile([], 50) is None

    @test
    def timestamps():
        a = parse_time("2026-10-07T12:00:00.123456789Z")
        b = parse_time("2026-10-07T12:00:01.5+00:00")
        assert abs((b - a).total_seconds() - 1.376544) < 1e-6
        assert parse_time("2026-10-07T12:00:00Z").tzinfo is not None

    @test
    def multipart_body():
        body, ctype = multipart([("library/json.html", b"<p>x</p>", "text/html"), ("b.html", b"y", "text/html")],
                                boundary="B")
        assert ctype == "multipart/form-data; boundary=B"
        assert body.count(b'name="file"') == 2
        assert b'filename="library/json.html"\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n--B' in body
        assert body.endswith(b"--B--\r\n")

    @test
    def question_and_file_selection():
        qs = [{"id": "q1", "document": "a"}, {"id": "q2", "document": "b"}, {"id": "u1", "document": None},
              {"id": "u2", "document": None}]
        assert [q["id"] for q in select_questions(qs, 1)] == ["q1", "u1"]
        assert len(select_questions(qs, 0)) == 4
        assert select_files(["x", "a", "y", "z"], qs[:1], 3) == ["a", "x", "y"]
        assert select_files(["x", "a"], qs, 0) == ["x", "a"]

    @test
    def labelled_set_is_well_formed():
        with open(os.path.join(HERE, "questions.json"), encoding="utf-8") as f:
            qs = json.load(f)
        ids = [q["id"] for q in qs]
        assert len(ids) == len(set(ids))
        for q in qs:
            assert (q["document"] is None) == (q["answer"] is None), q["id"]
            if q["answer"]:
                assert 5 <= len(q["answer"].split()) <= 15, q["id"]

    passed = failed = 0
    for fn in tests:
        try:
            fn()
            passed += 1
        except AssertionError as e:
            failed += 1
            print(f"FAIL {fn.__name__}: {e}")
    print(f"self-test: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
