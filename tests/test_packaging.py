"""The package as users get it: the seed inside the wheel is the seed, whatever the checkout.

Git for Windows checks symbolic links out as small text files (``core.symlinks=false``).
The seed the wheel carries is a real file, the same bytes as ``data/seed.yaml`` (the one
the README and the record keepers edit): a wheel built from such a checkout carries it
whole, and ``nexus load`` from that wheel loads it. Real processes: git, pip's build and
the installed code.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import REPO, SEED

PACKAGED_SEED = REPO / "src" / "salw_nexus" / "data" / "seed.yaml"
IN_WHEEL = "salw_nexus/data/seed.yaml"


def test_the_packaged_seed_is_the_seed() -> None:
    """One content in two places: a change to data/seed.yaml must be copied (cp
    data/seed.yaml src/salw_nexus/data/seed.yaml), and this test says when it was not."""
    assert not PACKAGED_SEED.is_symlink()
    assert PACKAGED_SEED.read_bytes() == SEED.read_bytes(), (
        "src/salw_nexus/data/seed.yaml differs from data/seed.yaml: copy it over"
    )


@pytest.fixture(scope="module")
def wheel_without_symlinks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from a clone made as Git for Windows makes it (no symlinks)."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.fail("needs git and a git checkout of the project")
    work = tmp_path_factory.mktemp("wheel")
    clone = work / "clone"
    subprocess.run(["git", "-c", "core.symlinks=false", "clone", "--quiet", str(REPO), str(clone)],
                   check=True, timeout=120)  # fmt: skip
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(work / "dist"),
         str(clone)],
        check=True, timeout=600,
    )  # fmt: skip
    (wheel,) = (work / "dist").glob("salw_nexus-*.whl")
    return wheel


def test_a_wheel_built_without_symlinks_carries_the_seed(wheel_without_symlinks: Path) -> None:
    with zipfile.ZipFile(wheel_without_symlinks) as wheel:
        assert wheel.read(IN_WHEEL) == SEED.read_bytes()


def test_nexus_load_from_that_wheel_loads_the_seed(
    wheel_without_symlinks: Path, tmp_path: Path
) -> None:
    """The wheel's own code and seed (its dependencies from this environment)."""
    unpacked = tmp_path / "site"
    with zipfile.ZipFile(wheel_without_symlinks) as wheel:
        wheel.extractall(unpacked)
    script = (
        "import sys, salw_nexus\n"
        "print(salw_nexus.__file__, file=sys.stderr)\n"
        "from salw_nexus.cli.commands import main\n"
        "sys.argv = ['nexus', 'load']\n"
        "main()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(unpacked), "NEXUS_DB": str(tmp_path / "w.db")}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert str(unpacked) in done.stderr.splitlines()[0]  # the wheel's code ran
    assert "Loaded" in done.stderr + done.stdout
    assert "seed.yaml" in done.stderr + done.stdout
