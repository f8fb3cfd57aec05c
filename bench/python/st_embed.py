"""sentence-transformers on the same texts, batch size and threads as the
local embedder's benchmark: prints sentences/s and writes its vectors.

    python3 st_embed.py <model dir> <sentences.json> <vectors.json> <threads> <batch>
"""
import json
import os
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
import torch  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402


def main():
    model_dir, sentences, out, threads, batch = sys.argv[1:6]
    threads, batch = int(threads), int(batch)
    torch.set_num_threads(threads)
    texts = json.load(open(sentences))
    model = SentenceTransformer(model_dir, device="cpu")
    model.encode(texts[:batch], batch_size=batch)
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        vectors = model.encode(texts, batch_size=batch)
        best = min(best, time.perf_counter() - t)
    json.dump([[float(x) for x in v] for v in vectors], open(out, "w"))
    print(f"sentence-transformers (torch {torch.__version__}, {threads} threads, batch {batch}): "
          f"{len(texts) / best:.1f} sentences/s ({best:.3f} s for {len(texts)}, best of 3)")


if __name__ == "__main__":
    main()
