from datetime import date

import pytest

from gateway.domain.instruments import (
    card_network,
    check_expiry,
    luhn_valid,
    normalize_card_number,
    validate_card,
    validate_vpa,
)
from gateway.errors import ExpiredCard, InvalidCard, InvalidVpa

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize("vpa", ["user@okhdfc", "first.last@ybl", "a_b-c@paytm", "9876543210@upi"])
def test_accepts_well_formed_vpas(vpa: str) -> None:
    assert validate_vpa(vpa) == vpa


@pytest.mark.parametrize("vpa", ["", "user", "@bank", "user@", "user@ok.hdfc", "us er@bank", "user@bank!", "a@b@c"])
def test_rejects_malformed_vpas(vpa: str) -> None:
    with pytest.raises(InvalidVpa):
        validate_vpa(vpa)


@pytest.mark.parametrize(
    ("number", "valid"),
    [("4111111111111111", True), ("4111111111111112", False), ("79927398713", True), ("79927398710", False)],
)
def test_luhn(number: str, valid: bool) -> None:
    assert luhn_valid(number) is valid


@pytest.mark.parametrize(
    ("number", "network"),
    [
        ("4111111111111111", "visa"),
        ("5500000000000004", "mastercard"),
        ("2221000000000009", "mastercard"),
        ("2720990000000007", "mastercard"),
        ("340000000000009", "amex"),
        ("371449635398431", "amex"),
        ("6076000000000000", "rupay"),
        ("6521000000000000", "rupay"),
        ("8100000000000000", "rupay"),
        ("5081000000000000", "rupay"),
        ("3530111333300000", "rupay"),
        ("9000000000000000", "unknown"),
        ("2720999999999999", "mastercard"),
        ("2721000000000000", "unknown"),
    ],
)
def test_network_from_leading_digits(number: str, network: str) -> None:
    assert card_network(number) == network


def test_spaces_and_dashes_are_ignored() -> None:
    assert normalize_card_number("4111-1111 1111-1111") == "4111111111111111"


@pytest.mark.parametrize("number", ["411111111111", "41111111111111111111", "4111a11111111111", "", "٤١١١١١١١١١١١١١١١"])
def test_rejects_wrong_length_or_non_digits(number: str) -> None:
    with pytest.raises(InvalidCard):
        normalize_card_number(number)


@pytest.mark.parametrize(
    ("month", "year"), [("12", "26"), (11, 2026), ("01", "2027"), (1, 27), ("11", "2026"), (" 12", "2030")]
)
def test_unexpired_cards_in_any_notation(month: str | int, year: str | int) -> None:
    check_expiry(month, year, TODAY)


@pytest.mark.parametrize(("month", "year"), [("10", "26"), (12, 2025), ("1", "2026"), (10, 2026)])
def test_expired_cards(month: str | int, year: str | int) -> None:
    with pytest.raises(ExpiredCard, match="expired"):
        check_expiry(month, year, TODAY)


@pytest.mark.parametrize(("month", "year"), [("13", "30"), (0, 30), ("ab", "30"), ("12", "3x"), ("12", "123")])
def test_malformed_expiry(month: str | int, year: str | int) -> None:
    with pytest.raises(ExpiredCard, match="invalid"):
        check_expiry(month, year, TODAY)


def test_card_summary_keeps_only_network_and_last4() -> None:
    summary = validate_card("5500 0000 0000 0004", "12", "30", "123", TODAY)
    assert (summary.network, summary.last4) == ("mastercard", "0004")
    assert "5500" not in repr(summary)


@pytest.mark.parametrize(
    ("number", "cvv"),
    [("4111111111111111", "12"), ("4111111111111111", "1234"), ("4111111111111111", "12a"), ("371449635398431", "12")],
)
def test_rejects_bad_cvv(number: str, cvv: str) -> None:
    with pytest.raises(InvalidCard, match="CVV"):
        validate_card(number, "12", "30", cvv, TODAY)


def test_amex_takes_a_four_digit_cvv() -> None:
    assert validate_card("371449635398431", "12", "30", "1234", TODAY).network == "amex"
