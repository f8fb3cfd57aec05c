"""Drives Tessera's /v1 gateway with the official `openai` client.

    python openai_client.py <base url ending in /v1> <api key>

Prints one JSON object with what each call returned.
"""
import json
import sys

import openai
from openai import OpenAI


def main():
    base_url, key = sys.argv[1], sys.argv[2]
    client = OpenAI(base_url=base_url, api_key=key, max_retries=0, timeout=60)
    out = {"client_version": openai.__version__}
    out["models"] = sorted(m.id for m in client.models.list())

    r = client.chat.completions.create(
        model="auto",
        messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hello"}],
        temperature=0,
        max_tokens=20,
    )
    out["chat"] = {
        "content": r.choices[0].message.content,
        "finish_reason": r.choices[0].finish_reason,
        "model": r.model,
        "total_tokens": r.usage.total_tokens,
    }

    pieces = []
    usage = None
    with client.chat.completions.create(
        model="auto",
        messages=[{"role": "user", "content": "Stream please"}],
        stream=True,
        stream_options={"include_usage": True},
    ) as stream:
        for chunk in stream:
            if chunk.usage is not None:
                usage = chunk.usage.total_tokens
            for c in chunk.choices:
                if c.delta.content:
                    pieces.append(c.delta.content)
    out["stream"] = {"pieces": len(pieces), "content": "".join(pieces), "total_tokens": usage}

    e = client.embeddings.create(model="all-MiniLM-L6-v2", input=["GST invoice", "refund policy"])
    out["embeddings"] = {
        "count": len(e.data),
        "dims": len(e.data[0].embedding),
        "model": e.model,
        "first": e.data[0].embedding[:3],
        "prompt_tokens": e.usage.prompt_tokens,
    }
    e2 = client.embeddings.create(model="all-MiniLM-L6-v2", input="GST invoice", encoding_format="float")
    out["embeddings_float_first"] = e2.data[0].embedding[:3]

    try:
        client.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "x"}])
        out["bad_model"] = "no error"
    except openai.APIStatusError as err:
        out["bad_model"] = {"status": err.status_code, "message": str(err.message)}

    print(json.dumps(out))


if __name__ == "__main__":
    main()
