"""Every call against a real ``hookwire serve``, deliveries to a real receiver."""

import json
import time
from datetime import datetime, timedelta, timezone

import pytest
import standardwebhooks

from hookwire import Hookwire, HookwireError, verify

FAST_RETRY = {"max_attempts": 2, "initial_delay_ms": 100, "max_delay_ms": 100}


def wait_for(predicate, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_register_publish_and_verify_what_arrives(tenant: Hookwire, receiver) -> None:
    webhook = tenant.webhooks.create(receiver.url, ["order.*"], name="orders")
    secret = webhook["secret"]
    assert secret.startswith("whsec_") and webhook["has_secret"] is True
    assert webhook["circuit"] == {"state": "closed", "opened_at": None, "next_probe_at": None}

    published = tenant.publish("order.created", {"id": 42}, channel=None)
    assert published["type"] == "order.created"
    assert [d["webhook_id"] for d in published["deliveries"]] == [webhook["id"]]

    request = receiver.next()
    body = verify(request.body, request.headers, secret)
    assert body["id"] == published["id"] and body["data"] == {"id": 42}
    assert standardwebhooks.Webhook(secret).verify(request.body, request.headers)["type"] == "order.created"

    event = wait_for(lambda: (e := tenant.events.get(published["id"]))["deliveries"][0]["status"] == "delivered" and e)
    delivery = tenant.deliveries.get(event["deliveries"][0]["id"])
    assert delivery["attempts"][0]["http_status"] == 200


def test_a_publish_repeated_with_its_idempotency_key_is_one_event(tenant: Hookwire) -> None:
    first = tenant.publish("order.paid", {"n": 1}, idempotency_key="order-7-paid")
    again = tenant.publish("order.paid", {"n": 1}, idempotency_key="order-7-paid")
    other = tenant.publish("order.paid", {"n": 1})
    assert first["id"] == again["id"] != other["id"]


def test_lists_follow_every_page(tenant: Hookwire, receiver) -> None:
    ids = {tenant.publish("invoice.sent", {"n": n}, channel="eu")["id"] for n in range(7)}
    tenant.publish("invoice.sent", {"n": 99}, channel="us")
    listed = [e["id"] for e in tenant.events.list(type="invoice.sent", channel="eu", limit=2)]
    assert sorted(listed) == sorted(ids)
    for n in range(3):
        tenant.webhooks.create(receiver.url, ["invoice.sent"], name=f"w{n}")
    assert len(list(tenant.webhooks.list(limit=2))) == 3
    assert len(list(tenant.webhooks.list(event="order.created"))) == 0


def test_webhook_management(tenant: Hookwire, receiver) -> None:
    created = tenant.webhooks.create(
        receiver.url,
        ["order.created"],
        description="first",
        channels=["eu"],
        timeout_seconds=5,
        retry=FAST_RETRY,
        headers={"x-team": "billing"},
    )
    wid = created["id"]
    fetched = tenant.webhooks.get(wid)
    assert "secret" not in fetched or fetched["secret"] is None
    assert fetched["channels"] == ["eu"] and fetched["retry"]["max_attempts"] == 2

    patched = tenant.webhooks.update(wid, description=None, is_active=False)
    assert patched["description"] is None and patched["is_active"] is False
    assert patched["channels"] == ["eu"]
    assert [w["id"] for w in tenant.webhooks.list(is_active=False)] == [wid]

    replaced = tenant.webhooks.replace(wid, receiver.url, ["order.paid"])
    assert replaced["events"] == ["order.paid"] and replaced["channels"] == [] and replaced["is_active"] is True

    result = tenant.webhooks.test(wid)
    assert result["status"] == "delivered" and result["http_status"] == 200
    assert json.loads(receiver.next().body)["type"] == "webhook.test"

    rotated = tenant.webhooks.rotate_secret(wid)
    assert rotated["secret"].startswith("whsec_")
    assert tenant.webhooks.rotate_secret(wid, "whsec_" + "A" * 43 + "=")["secret"] == "whsec_" + "A" * 43 + "="

    stats = tenant.webhooks.stats(wid, window="24h")
    assert stats["total"] >= 1 and stats["delivered"] >= 1

    tenant.webhooks.delete(wid)
    with pytest.raises(HookwireError) as missing:
        tenant.webhooks.get(wid)
    assert missing.value.is_not_found() and missing.value.code == "not_found"


def test_failed_deliveries_retry_recover_and_replay(tenant: Hookwire, receiver) -> None:
    webhook = tenant.webhooks.create(receiver.url, ["order.paid"], retry={**FAST_RETRY, "max_attempts": 1})
    receiver.answers.extend([500])
    published = tenant.publish("order.paid", {"n": 1})
    receiver.next()
    failed = wait_for(lambda: list(tenant.webhooks.deliveries(webhook["id"], status="failed")))
    assert [d["id"] for d in failed] == [published["deliveries"][0]["id"]]
    assert list(tenant.webhooks.deliveries(webhook["id"], status="delivered", event_type="order.paid")) == []

    tenant.deliveries.retry(failed[0]["id"])
    receiver.next()
    wait_for(lambda: tenant.deliveries.get(failed[0]["id"])["status"] == "delivered")

    receiver.answers.extend([500])
    second = tenant.publish("order.paid", {"n": 2})
    receiver.next()
    wait_for(lambda: list(tenant.webhooks.deliveries(webhook["id"], status="failed")))
    hour_ago = datetime.now(timezone.utc) - timedelta(hours=1)
    assert tenant.webhooks.recover(webhook["id"], since=hour_ago) == {"requeued": 1}
    assert json.loads(receiver.next().body)["id"] == second["id"]

    receiver.answers.extend([500])
    third = tenant.publish("order.paid", {"n": 3})
    receiver.next()
    wait_for(lambda: list(tenant.webhooks.deliveries(webhook["id"], status="failed")))
    assert tenant.deliveries.retry_many(hour_ago, status="failed", webhook_id=webhook["id"]) == {"requeued": 1}
    assert json.loads(receiver.next().body)["id"] == third["id"]

    replayed = tenant.events.replay(published["id"], webhook_id=webhook["id"])
    assert len(replayed["deliveries"]) == 1
    request = receiver.next()
    assert request.headers["webhook-id"] == published["id"]

    wait_for(lambda: tenant.stats.get(window="24h")["delivered"] >= 4)


def test_keys_of_a_tenant_and_of_the_admin(server, tenant: Hookwire) -> None:
    read_only = tenant.keys.create(name="reader", scopes=["read"])
    assert read_only["scopes"] == ["read"] and read_only["api_key"]
    listed = {k["id"]: k for k in tenant.keys.list()}
    assert listed[read_only["id"]]["name"] == "reader" and "api_key" not in listed[read_only["id"]]

    reader = Hookwire(server.base_url, read_only["api_key"], max_retries=0)
    assert list(reader.webhooks.list()) == []
    with pytest.raises(HookwireError) as refused:
        reader.publish("order.paid", {})
    assert refused.value.is_forbidden() and refused.value.code == "insufficient_scope"

    tenant.keys.revoke(read_only["id"])

    def refused_now() -> bool:
        try:
            list(reader.webhooks.list())
            return False
        except HookwireError as error:
            return error.is_unauthorized()

    wait_for(refused_now, timeout=6)
    reader.close()

    admin = server.admin()
    tenant_id = tenant.tenant_id  # type: ignore[attr-defined]
    later = datetime.now(timezone.utc) + timedelta(days=1)
    made = admin.tenants.create_key(tenant_id, name="ci", scopes=["publish"], expires_at=later)
    assert made["expires_at"] is not None
    assert made["id"] in {k["id"] for k in admin.tenants.list_keys(tenant_id)}
    admin.tenants.revoke_key(tenant_id, made["id"])
    assert made["id"] not in {k["id"] for k in admin.tenants.list_keys(tenant_id)}
    admin.close()


def test_tenants_and_event_types(server) -> None:
    admin = server.admin()
    created = admin.tenants.create("short-lived")
    assert admin.tenants.get(created["id"])["name"] == "short-lived"
    assert created["id"] in {t["id"] for t in admin.tenants.list(limit=1)}
    admin.tenants.delete(created["id"])
    with pytest.raises(HookwireError) as gone:
        admin.tenants.get(created["id"])
    assert gone.value.is_not_found()

    names = {t["name"] for t in admin.event_types.list()}
    assert {"order.created", "webhook.test"} <= names
    admin.close()


def test_portal_links_for_a_tenant(server, tenant: Hookwire) -> None:
    own = tenant.portal_sessions.create(expires_in_seconds=600, read_only=True)
    assert "/ui/portal/hws_" in own["url"] and own["expires_at"]
    admin = server.admin()
    made = admin.tenants.create_portal_session(tenant.tenant_id)  # type: ignore[attr-defined]
    assert made["url"].startswith(server.base_url + "/ui/portal/")
    with pytest.raises(HookwireError) as bad:
        admin.tenants.create_portal_session(tenant.tenant_id, expires_in_seconds=5)  # type: ignore[attr-defined]
    assert bad.value.is_invalid() and bad.value.field == "expires_in_seconds"
    admin.close()


def test_the_audit_log_names_who_changed_what(server, tenant: Hookwire, receiver) -> None:
    hook = tenant.webhooks.create(receiver.url, ["order.created"])
    tenant.webhooks.update(hook["id"], name="renamed")
    mine = list(tenant.audit_log.list(action="webhook.update"))
    assert [(e["action"], e["target_id"], e["actor"]["type"]) for e in mine] == [
        ("webhook.update", hook["id"], "api_key")
    ]
    admin = server.admin()
    everything = list(admin.audit_log.list(limit=2))
    assert len(everything) >= len(list(tenant.audit_log.list()))
    admin.close()


def test_operational_webhooks_hear_of_a_disabled_webhook(server, tenant: Hookwire, receiver) -> None:
    admin = server.admin()
    op = admin.operational_webhooks.create(receiver.url, ["hookwire.webhook.disabled"])
    assert op["id"] in {w["id"] for w in admin.operational_webhooks.list()}
    receiver.answers.extend([410])
    hook = tenant.webhooks.create(receiver.url, ["order.created"])
    tenant.publish("order.created", {"id": 1})
    assert receiver.next().headers["x-webhook-event"] == "order.created"
    request = receiver.next()
    event = standardwebhooks.Webhook(op["secret"]).verify(request.body, request.headers)
    assert event["type"] == "hookwire.webhook.disabled"
    assert event["data"]["webhook_id"] == hook["id"] and "410" in event["data"]["reason"]
    admin.operational_webhooks.delete(op["id"])
    assert op["id"] not in {w["id"] for w in admin.operational_webhooks.list()}
    admin.close()


def test_an_ed25519_webhook_verifies_with_its_public_key(tenant: Hookwire, receiver) -> None:
    webhook = tenant.webhooks.create(receiver.url, ["order.*"], signature_scheme="ed25519")
    assert webhook["signature_scheme"] == "ed25519" and webhook["secret"].startswith("whsk_")
    public_key = webhook["public_key"]
    assert public_key.startswith("whpk_")
    assert tenant.webhooks.get(webhook["id"])["public_key"] == public_key

    published = tenant.publish("order.created", {"id": 7})
    request = receiver.next()
    assert request.headers["webhook-signature"].startswith("v1a,")
    assert "x-webhook-signature" not in {k.lower() for k in request.headers}
    # The `cryptography` package (OpenSSL's Ed25519), not hookwire's code, checks it.
    body = verify(request.body, request.headers, public_key)
    assert body["id"] == published["id"]
    with pytest.raises(Exception, match="no signature matches"):
        verify(request.body + b" ", request.headers, public_key)


def _client_certificate(common_name: str) -> dict:
    """A self-signed certificate and its key, PEM, made with ``cryptography``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return {
        "cert_pem": cert.public_bytes(serialization.Encoding.PEM).decode(),
        "key_pem": key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
    }


def test_a_client_certificate_is_write_only_and_checked(tenant: Hookwire, receiver) -> None:
    pair = _client_certificate("sdk")
    webhook = tenant.webhooks.create(receiver.url, ["order.*"], client_certificate=pair)
    assert webhook["has_client_certificate"] is True
    assert "BEGIN" not in json.dumps(tenant.webhooks.get(webhook["id"]))

    other = _client_certificate("other")
    with pytest.raises(HookwireError) as refused:
        tenant.webhooks.update(webhook["id"], client_certificate={**pair, "key_pem": other["key_pem"]})
    assert refused.value.status == 422 and refused.value.field == "client_certificate"
    assert tenant.webhooks.get(webhook["id"])["has_client_certificate"] is True

    removed = tenant.webhooks.update(webhook["id"], client_certificate=None)
    assert removed["has_client_certificate"] is False
