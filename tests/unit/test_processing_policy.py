import random

from gateway.domain.payments import ProcessingPolicy
from gateway.settings import Settings


def test_test_mode_uses_configured_delay_and_outcome() -> None:
    policy = ProcessingPolicy.from_settings(
        Settings(test_mode=True, test_processing_delay=250, test_payment_success=False)
    )
    assert policy.delay_seconds() == 0.25
    assert policy.approves("upi") is False and policy.approves("card") is False


def test_production_delay_is_5_to_10_seconds_and_rates_follow_the_method() -> None:
    policy = ProcessingPolicy.from_settings(Settings(test_mode=False), rng=random.Random(7))
    delays = [policy.delay_seconds() for _ in range(500)]
    assert min(delays) >= 5 and max(delays) <= 10
    upi = sum(policy.approves("upi") for _ in range(20_000)) / 20_000
    card = sum(policy.approves("card") for _ in range(20_000)) / 20_000
    assert 0.88 < upi < 0.92
    assert 0.94 < card < 0.96
