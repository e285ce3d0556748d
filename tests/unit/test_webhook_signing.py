import json
import shutil
import subprocess
import time

import pytest

from gateway.domain.webhook_signing import compact_json, hex_signature


def test_compact_json_keeps_insertion_order_and_no_spaces() -> None:
    assert compact_json({"event": "payment.success", "timestamp": 1, "data": {"z": 1, "a": [1, 2]}}) == (
        '{"event":"payment.success","timestamp":1,"data":{"z":1,"a":[1,2]}}'
    )


def test_signature_is_hex_hmac_sha256_of_the_exact_body() -> None:
    # RFC 4231, test case 2: a published answer, not one recomputed the way the code computes it.
    expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    assert hex_signature("Jefe", b"what do ya want for nothing?") == expected
    body = b'{"event":"payment.success"}'
    assert hex_signature("whsec_test_abc123", body) != hex_signature("whsec_test_abc123", body + b" ")


def test_standard_webhooks_signature_matches_the_published_example() -> None:
    """The example the Standard Webhooks libraries and Svix's documentation verify against."""
    from gateway.domain.webhook_signing import standard_webhooks_signature

    signature = standard_webhooks_signature(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}'
    )
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


@pytest.mark.skipif(shutil.which("node") is None, reason="node not installed: Node receiver check skipped")
def test_a_node_receiver_reproduces_the_signed_bytes() -> None:
    """What a Node merchant does: JSON.stringify(req.body) and an HMAC over it must match ours."""
    payload = {
        "event": "payment.success",
        "timestamp": 1795424623,
        "data": {"payment": {"id": "pay_x", "amount": 50000, "vpa": "a@ok", "note": "₹ café", "captured": False}},
    }
    body = compact_json(payload)
    script = (
        "const c=require('crypto');const b=JSON.parse(process.argv[1]);const s=JSON.stringify(b);"
        "process.stdout.write(JSON.stringify({same:s===process.argv[1],"
        "sig:c.createHmac('sha256','whsec_test_abc123').update(s).digest('hex')}))"
    )
    result = json.loads(subprocess.run(["node", "-e", script, body], capture_output=True, check=True, text=True).stdout)
    assert result["same"] is True
    assert result["sig"] == hex_signature("whsec_test_abc123", body.encode())


def test_standard_webhooks_signature_verifies_with_the_reference_library() -> None:
    from standardwebhooks import Webhook

    from gateway.domain.merchants import new_webhook_secret
    from gateway.domain.webhook_signing import signed_headers

    for secret in (new_webhook_secret(), "whsec_test_abc123"):
        body = b'{"id":"evt_1","event":"payment.success","timestamp":1,"data":{}}'
        headers = signed_headers(secret, "evt_1", body, int(time.time()))
        assert Webhook(secret).verify(body, headers)["event"] == "payment.success"
        assert headers["webhook-signature"].startswith("v1,")
        assert headers["X-Webhook-Signature"] == hex_signature(secret, body)
        with pytest.raises(Exception, match="signature"):
            Webhook(secret).verify(body.replace(b"success", b"failed"), headers)


def test_old_timestamps_are_refused_by_receivers() -> None:
    from standardwebhooks import Webhook

    from gateway.domain.webhook_signing import signed_headers

    body = b"{}"
    headers = signed_headers("whsec_test_abc123", "evt_1", body, int(time.time()) - 600)
    with pytest.raises(Exception, match="too old"):
        Webhook("whsec_test_abc123").verify(body, headers)


def test_during_a_rotation_both_secrets_sign_and_either_verifies() -> None:
    from standardwebhooks import Webhook

    from gateway.domain.merchants import new_webhook_secret
    from gateway.domain.webhook_signing import signed_headers

    old, new = new_webhook_secret(), new_webhook_secret()
    body = b'{"id":"evt_1","event":"payment.success","timestamp":1,"data":{}}'
    headers = signed_headers(new, "evt_1", body, int(time.time()), previous_secret=old)
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        assert Webhook(secret).verify(body, headers)["event"] == "payment.success"
    assert headers["X-Webhook-Signature"] == hex_signature(new, body)
    assert headers["X-Webhook-Signature-Previous"] == hex_signature(old, body)
    # Without a previous secret (or the same one), one signature, as before
    for previous in (None, new):
        single = signed_headers(new, "evt_1", body, int(time.time()), previous_secret=previous)
        assert " " not in single["webhook-signature"] and "X-Webhook-Signature-Previous" not in single
    with pytest.raises(Exception, match="signature"):
        Webhook(new_webhook_secret()).verify(body, headers)
