"""The notebooks are stored without outputs and run end to end, so they never rot.

Each runs in its own Jupyter kernel (nbclient's ``jupyter-execute``, the venv's ``python3``
kernel), all three at once, from ``notebooks/`` as a user would run them. 01 reads its trace from
the real Prometheus test server; 02 promotes a model into a directory store that the test then
opens like the controller would.
"""

from __future__ import annotations

import os
import re
import tomllib
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from forescale.scaler.modelstore import DirectoryModelStore
from tests.conftest import REPO
from tests.integration.prometheus.server import NASA_QUERY, SeededPrometheus

pytestmark = pytest.mark.notebooks

NOTEBOOKS = REPO / "notebooks"
NAMES = ("01-explore-traffic", "02-compare-and-retrain", "03-replay-policy")
TIMEOUT = 240
SCRATCH = "02-without-a-store"


@dataclass
class Run:
    process: subprocess.Popen[str]
    output: Path
    tmp: Path | None = None
    """The run's own TMPDIR, when it has one."""

    def result(self) -> nbformat.NotebookNode:
        try:
            _, log = self.process.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            pytest.fail(f"{self.output.name} did not finish within {TIMEOUT}s")
        assert self.process.returncode == 0, log[-4000:]
        return nbformat.read(self.output, as_version=4)


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("notebook-models")


@pytest.fixture(scope="module")
def runs(
    prometheus: SeededPrometheus, store_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Run]]:
    """Start every notebook at once; each test waits for its own."""
    out = tmp_path_factory.mktemp("executed")
    env = {
        **os.environ,
        "FORESCALE_PROMETHEUS__URL": prometheus.url,
        "FORESCALE_QUERY": NASA_QUERY,
        "FORESCALE_STORE__MODELS_URL": str(store_dir),
        "FORESCALE_TARGET": "shop/nasa",
    }
    # 02 once more as a user without a model store runs it: its scratch store in a TMPDIR of
    # its own, which must be empty again when it is done.
    scratch_tmp = tmp_path_factory.mktemp("notebook-tmp")
    scratch_env = {k: v for k, v in env.items() if k != "FORESCALE_STORE__MODELS_URL"}
    scratch_env["TMPDIR"] = str(scratch_tmp)
    execute = Path(sys.executable).parent / "jupyter-execute"
    started = {}
    for key, name, environ in [*((n, n, env) for n in NAMES),
                               (SCRATCH, "02-compare-and-retrain", scratch_env)]:  # fmt: skip
        output = out / f"{key}.ipynb"
        command = [str(execute), f"{name}.ipynb", f"--output={output}", "--timeout=180",
                   "--kernel_name=python3"]  # fmt: skip
        process = subprocess.Popen(
            command, cwd=NOTEBOOKS, env=environ, text=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        started[key] = Run(process, output, tmp=scratch_tmp if key == SCRATCH else None)
    yield started
    for run in started.values():
        if run.process.poll() is None:
            run.process.kill()


def texts(nb: nbformat.NotebookNode) -> str:
    """Every text output of an executed notebook, joined."""
    parts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts.append(output.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


def images(nb: nbformat.NotebookNode) -> int:
    return sum(
        "image/png" in output.get("data", {})
        for cell in nb.cells
        for output in cell.get("outputs", [])
    )


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_notebooks_are_stored_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, (
                f"{path.name} has stored outputs: clear them before committing"
            )


def test_every_notebook_is_listed_in_the_readme() -> None:
    readme = (NOTEBOOKS / "README.md").read_text(encoding="utf-8")
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == list(NAMES)
    assert all(f"{name}.ipynb" in readme for name in NAMES)


def test_explore_reads_the_trace_from_prometheus_and_finds_the_cycles_gaps_and_bursts(
    runs: dict[str, Run],
) -> None:
    nb = runs["01-explore-traffic"].result()
    out = texts(nb)
    assert f"{NASA_QUERY} from http://127.0.0.1" in out
    assert "autocorrelation at 1 day" in out and "missing steps" in out
    assert "x expected" in out and images(nb) == 3


def test_compare_and_retrain_promotes_a_model_the_controller_can_load(
    runs: dict[str, Run], store_dir: Path
) -> None:
    out = texts(runs["02-compare-and-retrain"].result())
    assert "promoted: nothing promoted yet" in out and "not promoted, worse" in out
    store = DirectoryModelStore(store_dir)
    promoted = store.promoted("shop_nasa")
    assert promoted is not None and len(store.versions("shop_nasa")) == 3
    model, card = store.load("shop_nasa")
    assert any(note.startswith("forescale train: backtest MASE") for note in card.notes)
    assert card.metrics["mase"] < 1 and len(model.predict(6).mean) == 6


def test_compare_and_retrain_without_a_store_leaves_no_temporary_directory(
    runs: dict[str, Run],
) -> None:
    run = runs[SCRATCH]
    out = texts(run.result())
    assert "removed the scratch store" in out and "promoted" in out
    assert run.tmp is not None and list(run.tmp.iterdir()) == []


def test_replay_compares_policies_and_chooses_a_quantile_and_lead_time(
    runs: dict[str, Run],
) -> None:
    nb = runs["03-replay-policy"].result()
    out = texts(nb)
    assert "predictive" in out and "reactive" in out and "oracle" in out
    assert "equal_cost_ratio" in out and "leadTime" in out and images(nb) == 3
    # The tuner's own choice for the same budget, with its frontier (the third figure).
    assert "leave at most 0.1% of the load unserved" in out


def test_jupyter_is_an_extra_with_a_lock_that_agrees_with_the_development_one() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    extra = pyproject["project"]["optional-dependencies"]["notebooks"]
    assert any(req.startswith("jupyterlab") for req in extra)
    pins = {name: lock_pins(name) for name in ("notebooks", "dev")}
    assert "jupyterlab" in pins["notebooks"] and "numpy" in pins["notebooks"]
    shared = set(pins["notebooks"]) & set(pins["dev"])
    assert {n: pins["notebooks"][n] for n in shared} == {n: pins["dev"][n] for n in shared}
    assert "  notebooks)" in (REPO / "dev").read_text(encoding="utf-8")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "./dev notebooks" in readme and "(notebooks/README.md)" in readme


def lock_pins(name: str) -> dict[str, str]:
    text = (REPO / "requirements" / f"{name}.lock").read_text(encoding="utf-8")
    return dict(re.findall(r"^([a-z0-9][a-z0-9._-]*)==(\S+)$", text, flags=re.MULTILINE))
