"""Shared pieces of the knowledge-base evaluation (Python standard library only).

- `visible_text(html)`: the text a reader sees in an HTML page (tags stripped
  with html.parser, scripts and styles left out, whitespace collapsed).
- `normalise(text)`: what answer phrases and chunk texts are compared as.
- `PAGE_CHARS`: how many characters of visible text count as one page.
- `load_manifest(dir)`: the corpus files that fetch_corpus.sh selected.
"""

import html.parser
import os
import re

# One "page" is 3,000 characters of visible text, both for the corpus
# counts and for the ingestion rate (the server's `char_count` / 3,000).
PAGE_CHARS = 3000

# Elements whose contents a reader never sees.
_HIDDEN = {"script", "style", "head", "template", "noscript"}

# Elements that break a line: their text is not run together with the
# text around them.
_BREAKS = {
    "p", "div", "section", "article", "main", "aside", "blockquote", "dd", "dt", "dl",
    "li", "ul", "ol", "pre", "table", "tr", "td", "th", "br", "hr", "h1", "h2", "h3",
    "h4", "h5", "h6", "figure", "figcaption", "caption", "header", "footer", "nav",
}


class _TextParser(html.parser.HTMLParser):
    def __init__(self, separator="\n"):
        super().__init__(convert_charrefs=True)
        self.parts = []
        self.hidden = 0
        self.separator = separator

    def handle_starttag(self, tag, attrs):
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag in _BREAKS:
            self.parts.append(self.separator)

    def handle_startendtag(self, tag, attrs):
        if tag in _BREAKS:
            self.parts.append(self.separator)

    def handle_endtag(self, tag):
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BREAKS:
            self.parts.append(self.separator)

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible_text(source):
    """The visible text of an HTML document, whitespace collapsed."""
    p = _TextParser()
    p.feed(source)
    p.close()
    return collapse("".join(p.parts))


_BLOCK_MARK = "\ue000"  # a private-use character: never in the text itself


def visible_blocks(source):
    """The visible text split where block elements (paragraphs, list items,
    table cells, definitions…) begin and end, each block collapsed. The
    server chunks within such blocks, so an answer phrase that runs across
    two of them would never be found whole in one chunk."""
    p = _TextParser(separator=_BLOCK_MARK)
    p.feed(source)
    p.close()
    return [b for b in (collapse(x) for x in "".join(p.parts).split(_BLOCK_MARK)) if b]


_SPACE = re.compile(r"[\s\u00a0\u200b]+")


def collapse(text):
    """Runs of whitespace (including no-break and zero-width spaces) become
    one space; the ends are trimmed."""
    return _SPACE.sub(" ", text).strip()


# Typographic characters folded to their plain forms, so a phrase typed
# with straight quotes matches text that a renderer "smartened".
_FOLD = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
    "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2026": "...",
    "\u00ad": None, "\u00b6": None,  # soft hyphen; Sphinx's pilcrow anchors
})


def normalise(text):
    """What two texts are compared as: typographic quotes and dashes folded,
    soft hyphens and pilcrows dropped, whitespace collapsed, lower case."""
    if text is None:
        return ""
    return collapse(text.translate(_FOLD)).casefold()


def contains(haystack, phrase):
    """Whether `phrase` occurs in `haystack`, both normalised."""
    p = normalise(phrase)
    return bool(p) and p in normalise(haystack)


def load_manifest(corpus_dir):
    """The corpus files (paths relative to `corpus_dir`), in upload order."""
    with open(os.path.join(corpus_dir, "MANIFEST"), encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip() and not line.startswith("#")]


# ── corpus selection (run by fetch_corpus.sh) ─────────────────────────────

# The parts of the Python documentation that make the corpus, and the
# pages in them that are lists of links rather than prose.
SECTIONS = ("library", "tutorial", "howto", "reference")
SKIPPED = {"index.html", "genindex.html", "search.html", "py-modindex.html"}


def select(html_root, corpus_dir):
    """Copies the corpus's HTML files from `html_root` to `corpus_dir`
    (keeping their relative paths), writes `MANIFEST` (one path a line)
    and `STATS.json`, and returns the stats."""
    import json
    import shutil

    files = []
    for section in SECTIONS:
        folder = os.path.join(html_root, section)
        for name in sorted(os.listdir(folder)):
            if name.endswith(".html") and name not in SKIPPED and not name.startswith("genindex"):
                files.append(f"{section}/{name}")
    chars = {}
    for rel in files:
        src = os.path.join(html_root, rel)
        dst = os.path.join(corpus_dir, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copyfile(src, dst)
        with open(src, encoding="utf-8") as f:
            chars[rel] = len(visible_text(f.read()))
    total = sum(chars.values())
    stats = {
        "documents": len(files),
        "characters": total,
        "pages": round(total / PAGE_CHARS),
        "bytes": sum(os.path.getsize(os.path.join(corpus_dir, r)) for r in files),
        "per_section": {
            s: {
                "documents": sum(1 for r in files if r.startswith(s + "/")),
                "pages": round(sum(c for r, c in chars.items() if r.startswith(s + "/")) / PAGE_CHARS),
            }
            for s in SECTIONS
        },
    }
    with open(os.path.join(corpus_dir, "MANIFEST"), "w", encoding="utf-8") as f:
        f.write("# The knowledge-eval corpus: paths relative to this folder, in upload order.\n")
        f.writelines(r + "\n" for r in files)
    with open(os.path.join(corpus_dir, "STATS.json"), "w", encoding="utf-8") as f:
        json.dump(stats, f, indent=2)
    return stats


def describe(stats):
    """One line per figure, as fetch_corpus.sh prints them."""
    lines = [
        f"corpus: {stats['documents']} documents, {stats['characters']:,} characters of visible text "
        f"= {stats['pages']:,} pages of {PAGE_CHARS:,} characters ({stats['bytes'] / 2**20:.1f} MiB of HTML)"
    ]
    for s, v in stats["per_section"].items():
        lines.append(f"  {s + '/':<11} {v['documents']:>4} documents, {v['pages']:>5} pages")
    return "\n".join(lines)


if __name__ == "__main__":
    import json
    import sys

    if len(sys.argv) == 4 and sys.argv[1] == "select":
        print(describe(select(sys.argv[2], sys.argv[3])))
    elif len(sys.argv) == 3 and sys.argv[1] == "stats":
        with open(os.path.join(sys.argv[2], "STATS.json"), encoding="utf-8") as f:
            print(describe(json.load(f)))
    else:
        sys.exit("usage: corpus.py select HTML_ROOT CORPUS_DIR | corpus.py stats CORPUS_DIR")
