#!/usr/bin/env bash
# The knowledge-eval corpus: the Python documentation's HTML pages from
# Debian's python3.X-doc package (PSF Documentation License), fetched with
# apt-get download, unpacked with dpkg-deb, and the library, tutorial, howto
# and reference pages copied to target/knowledge-eval/corpus/ with a MANIFEST.
#
#   bench/knowledge_eval/fetch_corpus.sh
#
# KNOWLEDGE_EVAL_PACKAGE picks another package (default: the version that
# python3-doc depends on here). A second run reuses what the first left and
# only prints the counts.
set -euo pipefail
cd "$(dirname "$0")/../.."
HERE=bench/knowledge_eval
OUT=${KNOWLEDGE_EVAL_DIR:-target/knowledge-eval}
mkdir -p "$OUT/deb"

# Which package: python3-doc is an empty package that depends on the
# versioned one (python3.11-doc on Debian 12).
PKG=${KNOWLEDGE_EVAL_PACKAGE:-}
if [ -z "$PKG" ]; then
  PKG=$(apt-cache depends python3-doc 2>/dev/null | grep -o 'python3\.[0-9]*-doc' | head -1 || true)
  PKG=${PKG:-python3.11-doc}
fi

# The .deb, downloaded once (any version already here is kept).
DEB=$(ls -t "$OUT/deb/${PKG}"_*_all.deb 2>/dev/null | head -1 || true)
if [ -z "$DEB" ]; then
  echo "downloading $PKG with apt-get download…" >&2
  # As root, apt's sandbox user cannot write here; download as root instead.
  sandbox=()
  [ "$(id -u)" -eq 0 ] && sandbox=(-o APT::Sandbox::User=root)
  if ! (cd "$OUT/deb" && apt-get download -q "${sandbox[@]}" "$PKG" >&2); then
    echo "apt-get download $PKG failed; run 'apt-get update' first, or set KNOWLEDGE_EVAL_PACKAGE" >&2
    exit 1
  fi
  DEB=$(ls -t "$OUT/deb/${PKG}"_*_all.deb | head -1)
fi
SOURCE=$(basename "$DEB")

# Unpacked once per .deb.
if [ "$(cat "$OUT/pkg/.source" 2>/dev/null || true)" != "$SOURCE" ]; then
  rm -rf "$OUT/pkg"
  mkdir -p "$OUT/pkg"
  dpkg-deb -x "$DEB" "$OUT/pkg"
  echo "$SOURCE" >"$OUT/pkg/.source"
fi
HTML=$(ls -d "$OUT"/pkg/usr/share/doc/python3*/html | head -1)

# Selected once per .deb; otherwise the stored counts are printed.
if [ "$(cat "$OUT/corpus/.source" 2>/dev/null || true)" != "$SOURCE" ] || [ ! -s "$OUT/corpus/MANIFEST" ]; then
  rm -rf "$OUT/corpus"
  mkdir -p "$OUT/corpus"
  python3 "$HERE/corpus.py" select "$HTML" "$OUT/corpus"
  echo "$SOURCE" >"$OUT/corpus/.source"
else
  python3 "$HERE/corpus.py" stats "$OUT/corpus"
fi
echo "source: $SOURCE; files in $OUT/corpus (list: $OUT/corpus/MANIFEST)"
