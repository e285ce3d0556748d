"""The dashboard's event picker offers exactly the event types the API accepts (two languages, one list)."""

from __future__ import annotations

import re

from gateway.models import EVENT_TYPES
from tests.support import ROOT


def test_the_dashboard_lists_the_api_s_event_types() -> None:
    source = (ROOT / "dashboard/src/api.ts").read_text()
    declared = re.search(r"export const EVENT_TYPES = \[(.*?)\] as const;", source, re.DOTALL)
    assert declared is not None, "EVENT_TYPES not found in dashboard/src/api.ts"
    assert tuple(re.findall(r'"([^"]+)"', declared.group(1))) == EVENT_TYPES
