"""Each kind of refusal maps to the typed error, with the rate-limit headers."""

import socket
import tempfile
import time

import pytest
from conftest import start_server, stop_server

from hookwire import Hookwire, HookwireConnectionError, HookwireError


def test_unauthorized_not_found_conflict_invalid_and_too_large(server, tenant: Hookwire) -> None:
    stranger = Hookwire(server.base_url, "hw_not_a_key", max_retries=0)
    with pytest.raises(HookwireError) as error:
        list(stranger.webhooks.list())
    assert error.value.is_unauthorized() and error.value.status == 401 and error.value.message
    stranger.close()

    with pytest.raises(HookwireError) as error:
        tenant.deliveries.get("dlv_doesnotexist")
    assert error.value.is_not_found()

    admin = server.admin()
    with pytest.raises(HookwireError) as error:
        admin.event_types.create("order.created")
    assert error.value.is_conflict() and error.value.status == 409
    admin.close()

    with pytest.raises(HookwireError) as error:
        tenant.webhooks.create("ftp://example.com/hook", ["order.created"])
    assert error.value.is_invalid() and error.value.code == "invalid_webhook_url"
    with pytest.raises(HookwireError) as error:
        tenant.webhooks.create("http://127.0.0.1:9/hook", ["order.created"], timeout_seconds=0)
    assert error.value.is_invalid() and error.value.field == "timeout_seconds"

    with pytest.raises(HookwireError) as error:
        tenant.publish("order.created", {"blob": "x" * (1024 * 1024 + 1)})
    assert error.value.is_too_large() and error.value.status == 413


def test_rate_limited_calls_carry_the_headers_and_are_retried_after_the_wait() -> None:
    with tempfile.TemporaryDirectory() as directory:
        server = start_server(directory, api_rate_limit_per_second="1", api_rate_limit_burst="1")
        try:
            impatient = server.admin(max_retries=0)
            impatient.event_types.list()
            with pytest.raises(HookwireError) as error:
                impatient.event_types.list()
            limited = error.value
            assert limited.is_rate_limited() and limited.code == "rate_limited"
            assert limited.rate_limit is not None and limited.rate_limit.limit == 1
            assert limited.rate_limit.remaining == 0
            assert limited.retry_after is not None and limited.retry_after >= 1
            impatient.close()

            patient = server.admin(max_retries=3)
            started = time.monotonic()
            patient.event_types.list()
            assert len(patient.event_types.list()) >= 1
            assert time.monotonic() - started >= 0.5, "the second call waited for Retry-After"
            patient.close()
        finally:
            stop_server(server)


def test_no_server_is_a_connection_error_after_the_retries() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = Hookwire(f"http://127.0.0.1:{port}", "key", max_retries=1)
    with pytest.raises(HookwireConnectionError) as error:
        client.publish("order.created", {})
    assert error.value.status is None and error.value.code == "connection_error"


def test_bad_client_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="base_url"):
        Hookwire("", "key")
    with pytest.raises(ValueError, match="api_key"):
        Hookwire("http://127.0.0.1:1", "")
