#!/usr/bin/env python3
"""Checks the labelled set against the corpus.

    python3 bench/knowledge_eval/check_questions.py [--corpus target/knowledge-eval/corpus]

For every answerable question: its document is in the corpus, its answer is
5–15 words, and the answer occurs in the document's visible text (tags
stripped with html.parser, whitespace collapsed; compared case-insensitively
with typographic quotes folded), inside one block (paragraph, list item,
table cell, definition) since the server's chunks never span two. Also that the set is big and spread enough
(≥ 100 answerable questions over ≥ 40 documents, ≥ 20 unanswerable ones),
and it flags questions that copy their answer wholesale. Exits 1 on any
failure. Run bench/knowledge_eval/fetch_corpus.sh first.
"""

import argparse
import json
import os
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from corpus import collapse, load_manifest, normalise, visible_blocks, visible_text  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

MIN_ANSWERABLE, MIN_UNANSWERABLE, MIN_DOCUMENTS = 100, 20, 40
MIN_WORDS, MAX_WORDS = 5, 15


def words(text):
    return re.findall(r"[a-z0-9_]+", normalise(text))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=os.path.join(ROOT, "target/knowledge-eval/corpus"))
    ap.add_argument("--questions", default=os.path.join(HERE, "questions.json"))
    args = ap.parse_args()

    with open(args.questions, encoding="utf-8") as f:
        questions = json.load(f)
    manifest = set(load_manifest(args.corpus))
    texts = {}
    problems, notes = [], []

    ids = [q.get("id") for q in questions]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(f"{dup}: id used more than once")

    answerable = [q for q in questions if q.get("document") is not None]
    unanswerable = [q for q in questions if q.get("document") is None]
    for q in questions:
        qid = q.get("id")
        if set(q) != {"id", "question", "document", "answer"}:
            problems.append(f"{qid}: fields must be id, question, document, answer (has {sorted(q)})")
        if not (q.get("question") or "").strip():
            problems.append(f"{qid}: empty question")
    for q in unanswerable:
        if q.get("answer") is not None:
            problems.append(f"{q['id']}: no document but an answer")

    for q in answerable:
        qid, doc, answer = q["id"], q["document"], q.get("answer") or ""
        n = len(answer.split())
        if not MIN_WORDS <= n <= MAX_WORDS:
            problems.append(f"{qid}: answer has {n} words (want {MIN_WORDS}–{MAX_WORDS})")
        if doc not in manifest:
            problems.append(f"{qid}: {doc} is not in the corpus")
            continue
        if doc not in texts:
            with open(os.path.join(args.corpus, doc), encoding="utf-8") as f:
                source = f.read()
            texts[doc] = (visible_text(source), [normalise(b) for b in visible_blocks(source)])
        text, blocks = texts[doc]
        if normalise(answer) not in normalise(text):
            problems.append(f"{qid}: answer not found in {doc}: {answer!r}")
        elif not any(normalise(answer) in b for b in blocks):
            problems.append(f"{qid}: answer runs across two blocks (paragraphs, items…) of {doc}: {answer!r}")
        elif collapse(answer) not in text:
            # Found only case-insensitively or after folding quotes/dashes.
            notes.append(f"{qid}: answer matches {doc} only after normalisation")
        # A question that contains its answer whole is a lookup, not a question.
        if normalise(answer) in normalise(q["question"]):
            problems.append(f"{qid}: the question contains its answer phrase")
        else:
            a = words(answer)
            shared = len(set(a) & set(words(q["question"]))) / max(1, len(set(a)))
            if shared > 0.8:
                notes.append(f"{qid}: the question shares {shared:.0%} of the answer's words")

    documents = {q["document"] for q in answerable}
    if len(answerable) < MIN_ANSWERABLE:
        problems.append(f"only {len(answerable)} answerable questions (want ≥ {MIN_ANSWERABLE})")
    if len(unanswerable) < MIN_UNANSWERABLE:
        problems.append(f"only {len(unanswerable)} unanswerable questions (want ≥ {MIN_UNANSWERABLE})")
    if len(documents) < MIN_DOCUMENTS:
        problems.append(f"answers in only {len(documents)} documents (want ≥ {MIN_DOCUMENTS})")

    print(f"{len(answerable)} answerable questions over {len(documents)} documents, "
          f"{len(unanswerable)} unanswerable")
    for n in notes:
        print("  note:", n)
    for p in problems:
        print("  FAIL:", p)
    print("ok" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
