"""Fixtures of the indicator tests that start something expensive once per test run."""

from __future__ import annotations

import shutil
from typing import Any

import pytest


@pytest.fixture(scope="session")
def spark_session() -> Any:
    """A local Spark session shared by every test that computes on Spark (the JVM takes
    seconds to start). Skipped only where Java is absent, with the reason (``-ra`` prints
    it); pyspark is in the lock file, so its absence fails."""
    if shutil.which("java") is None:
        pytest.skip(
            "Spark needs Java and none is on the PATH (scripts/setup-system.sh installs "
            "openjdk-17-jre-headless)"
        )
    from cscperf.indicators.backends.spark import SparkBackend

    session = SparkBackend.local_session("cscperf-tests")
    yield session
    SparkBackend.stop(session)
