"""Where tensors live and how runs are made reproducible.

Every chapter starts with::

    from vegan_lib import get_device, seed_everything
    seed_everything(0)
    device = get_device()

and passes ``device`` to the data and the models, so the same notebook runs on a
laptop CPU, an Apple GPU or a CUDA card without edits.
"""

from __future__ import annotations

import os
import random

import numpy as np
import torch

from vegan_lib._checks import check_device, check_seed

__all__ = ["get_device", "seed_everything"]


def get_device(prefer: str | None = None) -> torch.device:
    """Return the best available device: CUDA, then Apple MPS, then CPU.

    Parameters
    ----------
    prefer:
        Optional explicit choice (``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``).
        The environment variable ``VEGAN_DEVICE`` plays the same role, so a reader can
        force the CPU on a GPU machine without editing a notebook.

    Returns
    -------
    torch.device

    Raises
    ------
    ValueError
        If the requested device (``prefer``, else ``VEGAN_DEVICE``) is not a device
        (``"gpu"``, ``"CPU"``) or not available on this machine; the message names the
        argument or the variable and the valid choices.

    Examples
    --------
    >>> get_device("cpu")
    device(type='cpu')
    """
    if prefer is not None and prefer != "":
        return check_device(prefer, "prefer")
    choice = os.environ.get("VEGAN_DEVICE")
    if choice:
        return check_device(choice, "VEGAN_DEVICE")
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def seed_everything(seed: int, deterministic: bool = False) -> torch.Generator:
    """Seed Python's ``random``, NumPy and PyTorch (all devices) with one integer.

    Parameters
    ----------
    seed:
        A non-negative integer below :math:`2^{32}`.
    deterministic:
        Also ask PyTorch for deterministic kernels (slower on GPU; CPU runs are
        already deterministic for the operations this library uses).

    Returns
    -------
    torch.Generator
        A CPU generator seeded with ``seed``, for code that wants its own stream.

    Raises
    ------
    ValueError
        If ``seed`` is not an integer in :math:`[0, 2^{32})`.

    Examples
    --------
    >>> _ = seed_everything(0); a = torch.rand(2)
    >>> _ = seed_everything(0); b = torch.rand(2)
    >>> bool(torch.equal(a, b))
    True
    """
    seed = check_seed(seed)
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - seeds the legacy global stream readers still use
    torch.manual_seed(seed)  # also seeds every CUDA device
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
    generator = torch.Generator()
    generator.manual_seed(seed)
    return generator
