"""Validation of payment instruments: UPI VPAs and cards (Luhn, network, expiry)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any, NamedTuple

from gateway.errors import ExpiredCard, InvalidCard, InvalidVpa

_VPA = re.compile(r"^[a-zA-Z0-9._-]+@[a-zA-Z0-9]+$")
_SEPARATORS = re.compile(r"[\s-]")


def validate_vpa(vpa: str) -> str:
    if not _VPA.fullmatch(vpa):
        raise InvalidVpa("VPA must look like name@bank")
    return vpa


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def card_network(digits: str) -> str:
    """The network from the leading digits (IIN ranges); RuPay wins its shared prefixes in India."""
    two, four = int(digits[:2]), int(digits[:4])
    if digits.startswith("4"):
        return "visa"
    if 51 <= two <= 55 or 2221 <= four <= 2720:
        return "mastercard"
    if two in (34, 37):
        return "amex"
    if two in (60, 65, 81, 82) or digits.startswith("508") or digits.startswith(("353", "356")):
        return "rupay"
    return "unknown"


def card_digits(number: str) -> str:
    """A card number without the spaces or dashes people write it with."""
    return _SEPARATORS.sub("", number)


def normalize_card_number(number: str) -> str:
    digits = card_digits(number)
    if not digits.isascii() or not digits.isdigit() or not 13 <= len(digits) <= 19:
        raise InvalidCard("Card number must have 13 to 19 digits")
    if not luhn_valid(digits):
        raise InvalidCard("Card number is invalid")
    return digits


def without_card_secrets(body: Any) -> Any:
    """A request body as it may be kept: a card is reduced to its last four digits and network;
    the rest of the number, the expiry and the CVV are dropped (PCI DSS: nothing derived from them
    is stored). Everything else is unchanged."""
    if not isinstance(body, dict) or not isinstance(body.get("card"), dict):
        return body
    card = body["card"]
    digits = _SEPARATORS.sub("", str(card.get("number", "")))
    kept = {"last4": digits[-4:], "network": card_network(digits) if digits.isdigit() and len(digits) >= 4 else ""}
    if "holder_name" in card:
        kept["holder_name"] = card["holder_name"]
    return {**body, "card": kept}


def _as_int(value: str | int, what: str) -> int:
    if isinstance(value, int):
        return value
    text = value.strip()
    if not text.isascii() or not text.isdigit():
        raise ExpiredCard(f"Card expiry {what} is invalid")
    return int(text)


def check_expiry(month: str | int, year: str | int, today: date) -> tuple[int, int]:
    expiry_month = _as_int(month, "month")
    expiry_year = _as_int(year, "year")
    if not 1 <= expiry_month <= 12:
        raise ExpiredCard("Card expiry month is invalid")
    if expiry_year < 100:
        expiry_year += 2000
    elif not 2000 <= expiry_year <= 9999:
        raise ExpiredCard("Card expiry year is invalid")
    if (expiry_year, expiry_month) < (today.year, today.month):
        raise ExpiredCard("Card has expired")
    return expiry_month, expiry_year


class CardSummary(NamedTuple):
    """All the gateway keeps of a card: never the number or the CVV."""

    network: str
    last4: str


def validate_card(number: str, expiry_month: str | int, expiry_year: str | int, cvv: str, today: date) -> CardSummary:
    digits = normalize_card_number(number)
    network = card_network(digits)
    cvv_length = 4 if network == "amex" else 3
    if not (cvv.isascii() and cvv.isdigit() and len(cvv) in (3, cvv_length)):
        raise InvalidCard("CVV is invalid")
    check_expiry(expiry_month, expiry_year, today)
    return CardSummary(network=network, last4=digits[-4:])
