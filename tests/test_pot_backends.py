"""vegan_lib keeps POT from importing JAX, TensorFlow and CuPy (vegan_lib._pot_backends).

Each test runs a fresh interpreter (``-S``: no site-packages customisation that could
import POT first), because the variables only matter before the process's first
``import ot``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KEYS = (
    "POT_BACKEND_DISABLE_JAX",
    "POT_BACKEND_DISABLE_TENSORFLOW",
    "POT_BACKEND_DISABLE_CUPY",
    "POT_BACKEND_DISABLE_PYTORCH",
)

# Records the variables at the moment POT's backend module is first imported, by a
# meta-path finder that fires before `ot.backend` runs.
PROBE = """
import importlib.abc, json, os, sys
KEYS = {keys!r}
seen = {{}}
class Probe(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "ot.backend" and not seen:
            seen.update({{k: os.environ.get(k) for k in KEYS}})
        return None
sys.meta_path.insert(0, Probe())
import {module}
import ot
backends = sorted(type(b).__name__ for b in ot.backend.get_backend_list())
print(json.dumps({{"at_import_ot": seen, "after": {{k: os.environ.get(k) for k in KEYS}},
                  "backends": backends}}))
"""


def _run(module: str, env_update: dict[str, str]) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in KEYS}
    env.update(env_update)
    # site-packages are needed (torch, POT), so add them by path rather than via site.
    paths = [str(ROOT), *(p for p in sys.path if p.endswith("site-packages"))]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    result = subprocess.run(
        [sys.executable, "-S", "-c", PROBE.format(keys=KEYS, module=module)],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_importing_vegan_lib_disables_jax_tensorflow_and_cupy_before_pot_is_imported():
    out = _run("vegan_lib", {})
    for key in KEYS[:3]:
        assert out["at_import_ot"][key] == "1", out
        assert out["after"][key] == "1", out
    assert out["at_import_ot"]["POT_BACKEND_DISABLE_PYTORCH"] is None
    assert "TorchBackend" in out["backends"] and "NumpyBackend" in out["backends"]
    assert not {"JaxBackend", "TensorflowBackend", "CupyBackend"} & set(out["backends"])


def test_the_users_own_values_are_kept_even_an_empty_one_when_transport_comes_first():
    user = {"POT_BACKEND_DISABLE_JAX": "yes", "POT_BACKEND_DISABLE_TENSORFLOW": "",
            "POT_BACKEND_DISABLE_PYTORCH": ""}
    out = _run("vegan_lib.transport", user)
    assert out["at_import_ot"]["POT_BACKEND_DISABLE_JAX"] == "yes", out
    assert out["at_import_ot"]["POT_BACKEND_DISABLE_TENSORFLOW"] == "", out
    assert out["at_import_ot"]["POT_BACKEND_DISABLE_CUPY"] == "1", out
    assert out["at_import_ot"]["POT_BACKEND_DISABLE_PYTORCH"] == "", out
