"""Reading Prometheus figures in tests: `sample(name, **labels)` from this process's registry (the
containers a test starts in it count there), `scrape(url)` parsed from another process's
`/metrics`."""

from __future__ import annotations

import requests
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families


def sample(name: str, **labels) -> float:
    """The value of one sample in this process (0 when it was never counted)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scrape(url: str) -> dict[tuple[str, frozenset], float]:
    """Every sample of a `/metrics` page: (name, labels) -> value."""
    response = requests.get(url, timeout=10)
    assert response.status_code == 200, response.text
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)
