"""The README's programs run as shown: the quickstart against the real server,
the FastAPI receiver with a delivery signed as hookwire signs it."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from hookwire import Hookwire, sign

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_the_quickstart_registers_publishes_and_verifies(server, tenant: Hookwire) -> None:
    key = tenant._transport.policy.headers["Authorization"][len("Bearer ") :]
    env = {**os.environ, "HOOKWIRE_URL": server.base_url, "HOOKWIRE_API_KEY": key}
    run = subprocess.run(
        [sys.executable, str(EXAMPLES / "quickstart.py")], env=env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    printed = run.stdout.strip().replace("'", '"')
    assert '"type": "order.created"' in printed and '"data": {"id": 42}' in printed


def test_the_readmes_show_the_quickstart_as_it_is() -> None:
    quickstart = (EXAMPLES / "quickstart.py").read_text()
    for readme in (Path(__file__).resolve().parents[1] / "README.md", Path(__file__).resolve().parents[3] / "README.md"):
        assert quickstart in readme.read_text(), readme


def test_the_fastapi_receiver_accepts_signed_and_refuses_tampered(monkeypatch) -> None:
    from fastapi.testclient import TestClient

    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    monkeypatch.setenv("HOOKWIRE_WEBHOOK_SECRET", secret)
    sys.path.insert(0, str(EXAMPLES))
    try:
        import fastapi_receiver
    finally:
        sys.path.remove(str(EXAMPLES))
    client = TestClient(fastapi_receiver.app)
    body = json.dumps({"id": "evt_1", "type": "order.created", "data": {"id": 1}})
    now = int(time.time())
    headers = {"webhook-id": "evt_1", "webhook-timestamp": str(now), "webhook-signature": sign(secret, "evt_1", now, body)}
    assert client.post("/webhooks/hookwire", content=body, headers=headers).status_code == 204
    assert client.post("/webhooks/hookwire", content=body + " ", headers=headers).status_code == 400
