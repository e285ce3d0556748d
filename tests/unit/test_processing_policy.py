import random

from gateway.domain.payments import ProcessingPolicy, bank_wait_seconds
from gateway.settings import Settings


def test_test_mode_uses_configured_delay_and_outcome() -> None:
    policy = ProcessingPolicy.from_settings(
        Settings(test_mode=True, test_processing_delay=250, test_payment_success=False)
    )
    # An SQS message timer counts whole seconds: a wait is rounded up, never cut.
    assert policy.delay_seconds() == 1
    assert policy.approves("upi") is False and policy.approves("card") is False


def test_production_delay_is_5_to_10_seconds_and_rates_follow_the_method() -> None:
    policy = ProcessingPolicy.from_settings(Settings(test_mode=False), rng=random.Random(7))
    delays = [policy.delay_seconds() for _ in range(500)]
    assert set(delays) == {5, 6, 7, 8, 9, 10}
    upi = sum(policy.approves("upi") for _ in range(20_000)) / 20_000
    card = sum(policy.approves("card") for _ in range(20_000)) / 20_000
    assert 0.88 < upi < 0.92
    assert 0.94 < card < 0.96


def test_a_wait_becomes_a_message_timer_within_what_sqs_allows() -> None:
    assert [bank_wait_seconds(ms) for ms in (0, 1, 1000, 1001, 10_000_000)] == [0, 1, 1, 2, 900]


def test_a_payment_job_written_before_the_rename_still_reads() -> None:
    """A message queued by the previous release names its event rows `events`."""
    from gateway.models.jobs import PaymentJob

    old = PaymentJob.model_validate_json('{"payment_id": "pay_1", "events": [4, 5]}')
    assert old.event_outbox_ids == [4, 5]
    assert PaymentJob(payment_id="pay_1", event_outbox_ids=[6]).model_dump() == {
        "payment_id": "pay_1",
        "event_outbox_ids": [6],
        "bank_reply": None,
    }
