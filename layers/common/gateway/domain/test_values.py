"""Test values (issue 23, item 1): in test mode, a UPI address or card number that decides its
payment's outcome, as Stripe's decline cards and Razorpay's success@razorpay do.

The outcome is decided when the payment is created, the one moment the full card number is in hand,
and kept as a non-secret word on the payment (`payments.test_outcome`: `success` or the decline
code), never the number: the consumer, a re-enqueued job and the relay see only that word. Outside
test mode these are ordinary values.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.domain.instruments import card_digits

APPROVED = "success"

# The bank's decline codes and what the payment, its payment.failed event and the dashboard say.
DECLINE_REASONS = {
    "PAYMENT_FAILED": "Payment declined by the bank",
    "CARD_DECLINED": "The card was declined by its issuer",
    "INSUFFICIENT_FUNDS": "The card has insufficient funds",
    "EXPIRED_CARD": "The card has expired",
    "INCORRECT_CVC": "The card's security code is incorrect",
    "PROCESSING_ERROR": "An error occurred while processing the card",
}
DEFAULT_DECLINE = "PAYMENT_FAILED"


@dataclass(frozen=True)
class TestValue:
    """One documented value: what to send (`value`, for `method`) and what the payment becomes."""

    __test__ = False  # not a pytest class, whatever its name

    value: str
    method: str  # "upi" or "card"
    outcome: str  # APPROVED or a key of DECLINE_REASONS

    @property
    def status(self) -> str:
        return "success" if self.outcome == APPROVED else "failed"

    @property
    def error_code(self) -> str | None:
        return None if self.outcome == APPROVED else self.outcome

    @property
    def error_description(self) -> str | None:
        return None if self.outcome == APPROVED else DECLINE_REASONS[self.outcome]


# The documented table (README, the dashboard's Docs page through the OpenAPI document), in its order.
TEST_VALUES = (
    TestValue("success@test", "upi", APPROVED),
    TestValue("failure@test", "upi", "PAYMENT_FAILED"),
    TestValue("4111 1111 1111 1111", "card", APPROVED),
    TestValue("4000 0000 0000 0002", "card", "CARD_DECLINED"),
    TestValue("4000 0000 0000 9995", "card", "INSUFFICIENT_FUNDS"),
    TestValue("4000 0000 0000 0069", "card", "EXPIRED_CARD"),
    TestValue("4000 0000 0000 0127", "card", "INCORRECT_CVC"),
    TestValue("4000 0000 0000 0119", "card", "PROCESSING_ERROR"),
)
_BY_VPA = {value.value: value.outcome for value in TEST_VALUES if value.method == "upi"}
_BY_CARD = {card_digits(value.value): value.outcome for value in TEST_VALUES if value.method == "card"}


def vpa_outcome(vpa: str) -> str | None:
    """The outcome a test VPA asks for (any case: a VPA's case is not significant), else None."""
    return _BY_VPA.get(vpa.lower())


def card_outcome(number: str) -> str | None:
    """The outcome a test card number asks for (spaces or dashes allowed), else None."""
    return _BY_CARD.get(card_digits(number))


def decline_reason(code: str | None) -> tuple[str, str]:
    """A declined payment's error code and description; an unknown or absent code (a bank reply
    staged before replies carried one) is the bank's generic decline."""
    known = code if code in DECLINE_REASONS else DEFAULT_DECLINE
    return known, DECLINE_REASONS[known]
