"""Database connections at full concurrency, from the template: per function, the most containers
it can run x the connections one container holds. `python -m deploy.connections` prints the table."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

from deploy.translate import ROOT
from stack.template import load_template, read_topology

# Connections one container holds: one, its handler thread's. deliver_webhook's parallel posts run
# on threads that never touch the database (tests/integration/test_deliver_webhook.py checks it).
CONNECTIONS_PER_CONTAINER = 1
# Aurora PostgreSQL: max_connections = LEAST(DBInstanceClassMemory / 9531392, 5000), sized from the
# maximum ACUs (2 GiB each) for Serverless v2; about 900 at the template's default of 4 ACUs.
BYTES_PER_CONNECTION = 9_531_392
GIB = 1024**3


@dataclass(frozen=True)
class FunctionBudget:
    function_id: str
    max_containers: int | None  # None: nothing bounds it
    bounded_by: str
    per_container: int

    @property
    def connections(self) -> int | None:
        return None if self.max_containers is None else self.max_containers * self.per_container


def _parameter_default(template: dict[str, Any], value: Any) -> Any:
    if isinstance(value, dict) and "Ref" in value:
        return template["Parameters"][value["Ref"]]["Default"]
    if isinstance(value, dict) and "Fn::If" in value:
        # Every condition of the defaults here is the "reserve" branch (ReserveConcurrency is true).
        return _parameter_default(template, value["Fn::If"][1])
    return value


def budgets(template: dict[str, Any]) -> list[FunctionBudget]:
    topology = read_topology(template)
    found = []
    for function_id in topology.functions:
        props = template["Resources"][function_id]["Properties"]
        per_container = CONNECTIONS_PER_CONTAINER
        reserved = props.get("ReservedConcurrentExecutions")
        mappings = [m for m in topology.sqs_mappings if m.function_id == function_id]
        if mappings:
            # Each event-source mapping scales on its own: their caps add up.
            containers = sum(m.max_concurrency for m in mappings)
            found.append(FunctionBudget(function_id, containers, "SQS MaximumConcurrency", per_container))
        elif reserved is not None:
            containers = int(_parameter_default(template, reserved))
            found.append(FunctionBudget(function_id, containers, "reserved concurrency", per_container))
        else:
            found.append(FunctionBudget(function_id, None, "nothing", per_container))
    return found


def aurora_max_connections(max_acu: float) -> int:
    return min(int(max_acu * 2 * GIB / BYTES_PER_CONNECTION), 5000)


def main() -> int:
    template = load_template(ROOT / "template.yaml")
    rows = budgets(template)
    print(f"{'function':28} {'max containers':>15} {'bounded by':24} {'conn/container':>15} {'connections':>12}")
    for row in rows:
        containers = "unbounded" if row.max_containers is None else str(row.max_containers)
        connections = "unbounded" if row.connections is None else str(row.connections)
        print(f"{row.function_id:28} {containers:>15} {row.bounded_by:24} {row.per_container:>15} {connections:>12}")
    total = sum(row.connections or 0 for row in rows)
    max_acu = float(template["Parameters"]["DatabaseMaxCapacity"]["Default"])
    print(
        f"total at full concurrency: {total}; Aurora max_connections at {max_acu:g} ACU ≈ "
        f"{aurora_max_connections(max_acu)} (RDS Proxy, in the production profile, uses at most 80 % of it; "
        "lean's functions connect to Aurora directly)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
