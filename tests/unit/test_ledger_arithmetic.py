"""The books' arithmetic: fee and GST in whole paise, halves rounded up, no floats."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.adapters.ledger_store import Pricing
from gateway.domain.ledger import DEFAULT_FEE_BPS, charges, fee_bps, round_half_up
from gateway.settings import Settings


def _reference(numerator: int, denominator: int) -> int:
    """Half-up rounding by exact rationals: floor(x + 1/2)."""
    return int((Fraction(numerator, denominator) + Fraction(1, 2)).__floor__())


@pytest.mark.parametrize(
    ("amount", "fee", "tax", "net"),
    [
        (100_000, 2_000, 360, 97_640),  # the issue's ₹1,000
        (125, 3, 1, 121),  # 2 % is 2.5 paise: up to 3 (round() would say 2); 18 % of 3 is 0.54: 1
        (175, 4, 1, 170),  # 3.5 -> 4 (half to even would say 4 too; 125 tells them apart)
        (124, 2, 0, 122),  # 2.48 -> 2; 18 % of 2 is 0.36 -> 0
        (1_250, 25, 5, 1_220),  # fee 25: its GST is exactly 4.5 paise -> 5
        (3_750, 75, 14, 3_661),  # fee 75: GST 13.5 -> 14
        (1_225, 25, 5, 1_195),  # 24.5 -> 25, then 4.5 -> 5: both halves in one payment
        (100, 2, 0, 98),  # the smallest order
        (10**12, 2 * 10**10, 36 * 10**8, 10**12 - 2 * 10**10 - 36 * 10**8),  # the largest order
    ],
)
def test_default_fee_and_gst(amount: int, fee: int, tax: int, net: int) -> None:
    due = charges(amount, DEFAULT_FEE_BPS)
    assert (due.amount, due.fee, due.tax, due.net) == (amount, fee, tax, net)


def test_amounts_past_a_floats_precision_stay_exact() -> None:
    # Past 2**53 a float cannot hold every paisa: 2 % of this amount is exactly k + 0.5 paise, and
    # float arithmetic (with round()'s halves to even) lands one paisa short.
    amount = 9_007_199_254_741_025
    due = charges(amount, DEFAULT_FEE_BPS)
    assert due.fee == 180_143_985_094_821 != round(amount * 0.02)
    assert due.tax == _reference(due.fee * 18, 100) == 32_425_917_317_068  # 18 % is ...067.78
    assert due.net == amount - due.fee - due.tax


def test_rounding_goes_half_up_not_to_even() -> None:
    assert [round_half_up(n, 2) for n in (1, 3, 5, 7)] == [1, 2, 3, 4]
    assert [round_half_up(n, 10) for n in (14, 15, 16, 0)] == [1, 2, 2, 0]
    with pytest.raises(ValueError):
        round_half_up(-5, 10)
    with pytest.raises(ValueError):
        round_half_up(5, 0)


@given(amount=st.integers(min_value=1, max_value=10**15), bps=st.integers(min_value=0, max_value=5000))
def test_fee_and_gst_match_exact_half_up_rounding(amount: int, bps: int) -> None:
    due = charges(amount, bps)
    assert due.fee == _reference(amount * bps, 10_000)
    assert due.tax == _reference(due.fee * 18, 100)
    assert due.net == amount - due.fee - due.tax
    assert 0 <= due.fee + due.tax <= amount  # the schema's bound on pricing keeps a payment's net >= 0


def test_pricing_per_method_with_the_default_for_null() -> None:
    assert fee_bps(Pricing(fee_bps_card=None, fee_bps_upi=None), "card") == 200
    assert fee_bps(Pricing(fee_bps_card=None, fee_bps_upi=None), "upi") == 200
    assert fee_bps(Pricing(fee_bps_card=250, fee_bps_upi=0), "card") == 250
    assert fee_bps(Pricing(fee_bps_card=250, fee_bps_upi=0), "upi") == 0  # zero is a price, not "unset"


def test_settlement_delay_is_two_days_and_zero_in_test_mode_only_when_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SETTLEMENT_DELAY_SECONDS", raising=False)
    assert Settings(test_mode=False).settlement_delay == 172_800
    assert Settings(test_mode=True).settlement_delay == 0
    assert Settings(test_mode=True, settlement_delay_seconds=600).settlement_delay == 600
    monkeypatch.setenv("SETTLEMENT_DELAY_SECONDS", "3600")
    assert Settings(test_mode=True).settlement_delay == 3600
    assert Settings(test_mode=False).settlement_delay == 3600
