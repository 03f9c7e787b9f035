"""Keep POT from importing JAX, TensorFlow and CuPy: import this before ``import ot``.

``import ot`` imports every backend that is installed. Where JAX is installed (Colab,
many GPU images), importing it makes JAX preallocate about 75 % of the GPU's memory
before any of our code runs (108 GB of an H200's 141 GB). The library only uses POT's
NumPy and PyTorch backends, so this module sets

``POT_BACKEND_DISABLE_JAX``, ``POT_BACKEND_DISABLE_TENSORFLOW``, ``POT_BACKEND_DISABLE_CUPY``

to ``"1"`` unless the user has set them. A value the user set is kept as it is,
including an empty string: POT reads an empty value as "not disabled", so
``POT_BACKEND_DISABLE_JAX=`` is the way to keep POT's JAX backend with this library.
``POT_BACKEND_DISABLE_PYTORCH`` is never touched (the library needs that backend).
The variables only matter if they are set before the first ``import ot`` of the
process: import :mod:`vegan_lib` before POT.
"""

from __future__ import annotations

import os

DISABLED_BACKENDS = (
    "POT_BACKEND_DISABLE_JAX",
    "POT_BACKEND_DISABLE_TENSORFLOW",
    "POT_BACKEND_DISABLE_CUPY",
)

for _name in DISABLED_BACKENDS:
    os.environ.setdefault(_name, "1")
del _name
