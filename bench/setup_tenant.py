#!/usr/bin/env python3
"""Creates a benchmark tenant on a running server: an owner, N members,
no rate limit to speak of. Prints shell assignments (TOKEN, TENANT)."""
import email, glob, json, os, sys, urllib.request

url, outbox, members = sys.argv[1], sys.argv[2], int(sys.argv[3])
PASSWORD = "velvet-orbit-canyon-42"

def call(method, path, body=None, token=None):
    req = urllib.request.Request(url + path, method=method, data=json.dumps(body).encode() if body is not None else None)
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(req) as r:
        data = r.read()
        return json.loads(data) if data else None

s = call("POST", "/api/v1/auth/signup", {"company_name": "Bench Co", "email": "owner@bench.example", "password": PASSWORD})
token = s["access_token"]
call("PATCH", "/api/v1/tenant", {"settings": {"requests_per_minute": 1000000, "api_key_requests_per_minute": 1000000}}, token)
for i in range(members):
    addr = f"member{i}@bench.example"
    call("POST", "/api/v1/invitations", {"email": addr, "roles": ["member"]}, token)
    mails = sorted(glob.glob(os.path.join(outbox, f"*{addr}.eml")))
    msg = email.message_from_bytes(open(mails[-1], "rb").read())
    body = msg.get_payload(decode=True).decode()
    tok = next(w for w in body.split() if w.startswith("tsi_"))
    call("POST", "/api/v1/auth/invitations/accept", {"token": tok, "name": f"Member {i}", "password": PASSWORD})
print(f"TOKEN={token}")
print(f"TENANT={s['tenant']['id']}")
