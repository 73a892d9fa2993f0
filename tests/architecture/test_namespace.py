"""The wheel installs one import package, ``forescale``, and nothing a user's module can clash with.

Built and installed the way a user installs it (a wheel into a fresh virtual environment), then
used from a directory that holds its own ``models.py`` and ``service.py``, as a notebook folder
does: both names must stay the user's, and Forescale must still import and run.
"""

from __future__ import annotations

import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    uv = Path(sys.executable).parent / "uv"  # installed by ./dev; builds in an isolated env
    subprocess.run(
        [str(uv), "build", "--quiet", "--wheel", "--out-dir", str(out), str(REPO)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    (built,) = out.glob("forescale-*.whl")
    return built


def test_the_wheel_holds_only_the_forescale_package(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert top == {"forescale"}
    for module in (
        "forescale/models/base.py",
        "forescale/scaler/kube/crd.yaml",
        "forescale/service/pages/chart.py",
        "forescale/models/data/nasa_kennedy_http_1995-07_per_minute.csv.gz",
    ):
        assert module in names, module


def test_a_users_own_models_and_service_modules_do_not_clash(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    uv = Path(sys.executable).parent / "uv"
    subprocess.run(
        [str(uv), "pip", "install", "--quiet", "--python", str(python), "--no-deps", str(wheel)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    installed = {p.name for p in Path(purelib).iterdir()}
    assert "forescale" in installed
    assert not {"models", "scaler", "service"} & installed
    # Third-party dependencies from the test environment (a plain path entry: its .pth files,
    # among them the editable install of this checkout, are not processed).
    (Path(purelib) / "deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    work = tmp_path / "notebooks"
    work.mkdir()
    (work / "models.py").write_text("MINE = 'models'\n")
    (work / "service.py").write_text("MINE = 'service'\n")
    code = (
        "import models, service, forescale.models, forescale.service.main;"
        "from forescale.models import synthetic_traffic;"
        "assert models.MINE == 'models' and service.MINE == 'service';"
        f"assert forescale.models.__file__.startswith({purelib!r}), forescale.models.__file__;"
        "print(len(synthetic_traffic(days=1, freq='1h')))"
    )
    run = subprocess.run([str(python), "-c", code], cwd=work, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "24"
    cli = subprocess.run(
        [str(venv / "bin" / "forescale"), "--help"], cwd=work, capture_output=True, text=True
    )
    assert cli.returncode == 0, cli.stderr
    assert "simulate" in cli.stdout
