"""The cost model (deploy/cost.py): dated prices, the template read per profile, arithmetic that holds."""

from __future__ import annotations

import copy
import io
import json
from contextlib import redirect_stdout
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from deploy import cost
from stack.template import load_template

TEMPLATE = load_template(cost.TEMPLATE)
PRICES = cost.load_prices()
DEFAULTS = cost.Billed(PRICES.default_billed, "default", "test")


def model(profile: str, template: dict[str, Any] | None = None, billed: cost.Billed = DEFAULTS) -> cost.ProfileCost:
    return cost.model(profile, template or TEMPLATE, PRICES, billed)


def idle_line(result: cost.ProfileCost, item: str) -> Decimal:
    return sum((line.usd for line in result.idle if line.item == item), Decimal(0))


def test_the_prices_are_dated_and_every_figure_says_where_it_comes_from() -> None:
    data = json.loads(cost.PRICES.read_text())
    assert date.fromisoformat(data["as_of"]) <= date.today()
    assert data["region"] == "us-east-1" and data["source"]
    assert all(entry["source"] and Decimal(entry["usd"]) >= 0 for entry in data["prices"].values())
    assert all(entry["note"] for entry in data["assumptions"].values())


def test_the_template_offers_both_profiles() -> None:
    assert cost.profiles_in(TEMPLATE) == ("production", "lean")


def test_the_lean_profile_idles_within_fifteen_dollars_a_month() -> None:
    lean = model("lean")
    assert lean.idle_after_free_tier <= cost.LEAN_IDLE_TARGET_USD, cost.render([lean], PRICES, DEFAULTS)


def test_the_lean_profile_has_no_proxy_no_nat_gateway_and_a_database_that_pauses() -> None:
    lean, production = model("lean"), model("production")
    assert idle_line(lean, "RDS Proxy") == 0 and idle_line(lean, "NAT gateway") == 0
    assert idle_line(production, "RDS Proxy") == 8 * Decimal("0.015") * 730
    assert idle_line(lean, "Aurora Serverless v2 capacity") < idle_line(production, "Aurora Serverless v2 capacity")


def test_removing_the_nat_gateway_changes_the_idle_bill_by_exactly_its_price() -> None:
    without = copy.deepcopy(TEMPLATE)
    del without["Resources"]["NatGateway"]
    difference = model("production").idle_total - model("production", without).idle_total
    assert difference == PRICES.price("nat_gateway_hour") * PRICES.hours_per_month


def test_the_variable_cost_is_linear_in_the_billed_milliseconds() -> None:
    def billed(factor: int) -> cost.Billed:
        functions = {
            name: cost.FunctionBilling(bill.billed_ms_per_item * factor, bill.invocations_per_item)
            for name, bill in PRICES.default_billed.items()
        }
        return cost.Billed(functions, "default", "test")

    def lambda_usd(factor: int) -> Decimal:
        return sum(
            (line.usd for line in model("lean", billed=billed(factor)).variable if "Lambda" in line.item), Decimal(0)
        )

    step = lambda_usd(2) - lambda_usd(1)
    assert step > 0
    assert lambda_usd(3) - lambda_usd(2) == step
    assert lambda_usd(5) - lambda_usd(1) == 4 * step
    assert lambda_usd(1) - step > 0  # what is left is the requests, which billed time does not change


def test_arm64_is_billed_at_the_arm64_price() -> None:
    x86 = copy.deepcopy(TEMPLATE)
    x86["Globals"]["Function"]["Architectures"] = ["x86_64"]
    api = next(line for line in model("lean", x86).variable if line.item == "Lambda Api")
    arm = next(line for line in model("lean", _arm64(TEMPLATE)).variable if line.item == "Lambda Api")
    requests = Decimal("2.1") * PRICES.price("lambda_request_million")
    ratio = (arm.usd - requests) / (api.usd - requests)
    assert ratio == PRICES.price("lambda_gb_second_arm64") / PRICES.price("lambda_gb_second_x86_64")


def _arm64(template: dict[str, Any]) -> dict[str, Any]:
    arm = copy.deepcopy(template)
    arm["Globals"]["Function"]["Architectures"] = ["arm64"]
    return arm


def test_a_server_side_idle_session_timeout_lets_the_lean_database_pause_sooner() -> None:
    # Given the template's lean database, whose server closes sessions idle for 60 s...
    parameters = TEMPLATE["Resources"]["LeanDatabaseParameters"]["Properties"]["Parameters"]
    assert parameters["idle_session_timeout"] == "60000"
    lean = model("lean")
    every = min(
        schedule.every_seconds for schedule in cost.schedules(cost.ResolvedTemplate(TEMPLATE, {"Profile": "lean"}))
    )
    awake = Decimal(300 + 60) + PRICES.assume("relay_run_seconds")
    expected = (
        PRICES.assume("aurora_min_active_acu") * PRICES.price("aurora_serverless_v2_acu_hour") * 730 * awake / every
    )
    assert idle_line(lean, "Aurora Serverless v2 capacity") == expected
    # ...it is awake for less than one without the timeout, where an idle container's connection holds it.
    without_timeout = copy.deepcopy(TEMPLATE)
    del without_timeout["Resources"]["LeanDatabaseParameters"]["Properties"]["Parameters"]["idle_session_timeout"]
    assert idle_line(lean, "Aurora Serverless v2 capacity") < idle_line(
        model("lean", without_timeout), "Aurora Serverless v2 capacity"
    )


def test_a_database_behind_a_proxy_never_pauses() -> None:
    stack = cost.ResolvedTemplate(TEMPLATE, {"Profile": "production"})
    cluster = next(iter(stack.of_type("AWS::RDS::DBCluster").values()))
    fraction, basis = cost.database_awake_fraction(stack, PRICES, cluster)
    assert fraction == 1 and "Proxy" in basis


def test_capacity_is_concurrency_times_batch_over_billed_seconds_per_batch() -> None:
    billed = cost.Billed(
        {**PRICES.default_billed, "ProcessPayment": cost.FunctionBilling(Decimal(100), Decimal(1))}, "default", "test"
    )
    stage = next(s for s in model("production", billed=billed).capacity if s.stage.startswith("ProcessPayment"))
    mapping = next(m for m in cost.sqs_mappings(cost.ResolvedTemplate(TEMPLATE, {})) if m.function == "ProcessPayment")
    assert mapping.max_concurrency is not None
    records_per_second = Decimal(mapping.max_concurrency * mapping.batch_size) / (mapping.batch_size * Decimal("0.1"))
    assert stage.payments_per_second == records_per_second / PRICES.queue_records["ProcessPayment"]

    doubled = copy.deepcopy(TEMPLATE)
    events = doubled["Resources"]["ProcessPaymentFunction"]["Properties"]["Events"]
    next(iter(events.values()))["Properties"]["ScalingConfig"]["MaximumConcurrency"] = mapping.max_concurrency * 2
    faster = next(s for s in model("production", doubled, billed).capacity if s.stage.startswith("ProcessPayment"))
    assert faster.payments_per_second == 2 * stage.payments_per_second


def test_measured_billing_is_used_and_a_missing_function_falls_back_to_a_labelled_default(tmp_path: Path) -> None:
    measured = tmp_path / "billed.json"
    measured.write_text(
        json.dumps(
            {
                "measured_at": "2026-12-01",
                "machine_speed_note": "test",
                "functions": {
                    "ApiFunction": {"billed_ms_per_item": 12.5, "items": 10},
                    "ProcessPayment": {"billed_ms_per_item": 30, "items": 4, "invocations_per_item": 0.25},
                },
            }
        )
    )
    billed = cost.load_billed(PRICES, measured)
    assert billed.source == "measured"
    assert billed.functions["Api"] == cost.FunctionBilling(Decimal("12.5"), Decimal(1))
    assert billed.functions["ProcessPayment"] == cost.FunctionBilling(Decimal(30), Decimal("0.25"))
    assert billed.functions["DeliverWebhook"] == PRICES.default_billed["DeliverWebhook"]
    assert "BUILT-IN DEFAULT for" in billed.detail and "DeliverWebhook" in billed.detail

    missing = cost.load_billed(PRICES, tmp_path / "absent.json")
    assert missing.source == "default" and missing.detail.startswith("BUILT-IN DEFAULT")


def test_the_command_prints_the_table_and_json(tmp_path: Path) -> None:
    out = io.StringIO()
    with redirect_stdout(out):
        assert cost.main(["--billed", str(tmp_path / "absent.json")]) == 0
    text = out.getvalue()
    assert "Total idle (list prices)" in text and "Total per million payments" in text
    assert "BUILT-IN DEFAULT" in text and "payments/s" in text and "production" in text and "lean" in text

    out = io.StringIO()
    with redirect_stdout(out):
        assert cost.main(["--json", "--billed", str(tmp_path / "absent.json")]) == 0
    figures = json.loads(out.getvalue())
    assert set(figures["profiles"]) == {"production", "lean"} and figures["billed"]["source"] == "default"
    lean = figures["profiles"]["lean"]
    assert Decimal(lean["idle_total_usd"]) == sum(Decimal(line["usd"]) for line in lean["idle"])


@pytest.mark.parametrize("profile", ["production", "lean"])
def test_every_line_is_money_not_a_float(profile: str) -> None:
    result = model(profile)
    assert all(isinstance(line.usd, Decimal) and line.usd >= 0 for line in result.idle + result.variable)
