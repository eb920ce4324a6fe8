"""From the council's register file to the pack (HTML, PDF, workbook) and the dashboard page:
the synthetic council's register imported with cscperf risk import into a store, then
cscperf report and the dashboard's /risks page for the same month."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from tests.web.conftest import APRIL, CURRENT, write_build

from cscperf.app.risk import register_for
from cscperf.cli import main
from cscperf.synth.risk_register import write_risk_register
from cscperf.web.app import create_app


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("e2e")
    store = root / "store"
    write_build(store, CURRENT, APRIL, "2025-05-07")
    (store / "current").write_text(CURRENT + "\n", encoding="utf-8")
    register = write_risk_register(root / "eastshire", APRIL, seed=1)
    assert main(["risk", "import", str(register), "--store", str(store)]) == 0
    return store


def test_pack_carries_the_register(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "pack"
    assert main(["report", "--store", str(store), "--period", "2025-04", "--out", str(out)]) == 0
    april = register_for(store, date(2025, 4, 30))
    first = april.rows[0]
    html = (out / "pack.html").read_text(encoding="utf-8")
    assert '<h2 id="risks"><span class="running">Risk register</span> (April 2025)</h2>' in html
    assert april.rows and f"{len(april.rows)} open risks" in html
    assert f'<th scope="row">{first.risk.risk_id}<span class="sub">' in html
    book = load_workbook(out / "pack.xlsx", read_only=True)
    cells = [row for row in book["Risk register"].iter_rows(min_row=5, values_only=True)]
    assert [r[0] for r in cells if r[0]] == [row.risk.risk_id for row in april.rows]
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-layout", str(out / "pack.pdf"), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert "Heat map: where each risk is now" in text
        assert first.risk.risk_id in text


def test_dashboard_page_of_the_same_month(store: Path) -> None:
    client = TestClient(create_app(store, benchmarks=False), base_url="http://127.0.0.1:8000")
    page = client.get("/risks?period=2025-04")
    assert page.status_code == 200
    april = register_for(store, date(2025, 4, 30))
    assert "The register as it stood at the end of April 2025." in page.text
    for row in april.rows:
        assert f'href="/risks/{row.risk.risk_id}">{row.risk.risk_id}</a>' in page.text
    risk_page = client.get(f"/risks/{april.rows[0].risk.risk_id}")
    assert risk_page.status_code == 200 and "Every change, newest first" in risk_page.text


def test_dashboard_packs_carry_the_register_as_it_stands(store: Path) -> None:
    from cscperf.web.packs import PACKS, with_register

    app = create_app(store, benchmarks=False)
    pack = with_register(app.state.data, CURRENT, APRIL, None)
    assert pack.risks is not None
    assert [r.risk.risk_id for r in pack.risks.rows] == [
        r.risk.risk_id for r in register_for(store, APRIL).rows
    ]
    # a pack made before the register changes is forgotten when it changes
    made = store / PACKS / CURRENT / "2025-04" / "county"
    made.mkdir(parents=True)
    (made / "pack.pdf").write_bytes(b"%PDF-")
    client = TestClient(app, base_url="http://127.0.0.1:8000")
    page = client.get("/risks/CS01/update")
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    form = {"likelihood": "1", "impact": "4", "progress": "Better.", "csrf_token": csrf}
    assert client.post("/risks/CS01/update", data=form, follow_redirects=False).status_code == 303
    assert not made.exists()
