r"""The book's recipes as data: one definition of every named model and its training.

A *recipe* is a model family with its settings (networks, code dimension :math:`d_z`,
weight :math:`\lambda`, decoder variance :math:`\sigma^2`) and how it is trained (steps,
batch size, Adam's settings), in quick mode (a 2-core CPU, minutes) and in full mode
(``VEGAN_FULL=1``, a GPU or a long CPU run). Every chapter builds its models from here,
so the same name means the same model and the same training in every chapter.

**One unit convention for** :math:`\lambda`: the WAE authors' units on the book's
*unscaled* squared cost :math:`\lVert x - y \rVert^2`. Their code multiplies the cost by
:data:`~vegan_lib.pot.WAE_COST_SCALE` = 0.05, so their :math:`\lambda_{\mathrm{MMD}} = 10`
(IMQ kernel summed over seven scales) is :math:`\lambda = 200` here and their
:math:`\lambda_{\mathrm{GAN}} = 1` is :math:`\lambda = 20`: the same objectives divided by
0.05, a factor Adam ignores. The paper's :math:`\lambda = 10` on the unscaled cost is a
different model, kept under its own name (``"WAE-MMD (weak)"``). The AAE's weight
:math:`\lambda_{\mathrm{AAE}}` multiplies the Gaussian negative log-likelihood; its POT
weight is :math:`2\sigma^2\lambda_{\mathrm{AAE}}` (chapter 4).

Examples
--------
>>> sorted(RECIPES)[:3]
['2-D VAE (σ² = 0.1)', '2-D VAE (σ² = 1)', '2-D WAE-MMD']
>>> settings("WAE-MMD")["steps"], settings("WAE-MMD", full=True)["steps"]
(300, 2500)
>>> RECIPES["WAE-GAN"].lam_pot
20.0
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import nn

from vegan_lib._checks import check_choice, check_device, check_positive_int, check_seed
from vegan_lib.device import seed_everything
from vegan_lib.fdivergences import FGANModel
from vegan_lib.metrics import frechet_classifier_distance, sharpness_ratio, w2_to_data
from vegan_lib.pot import WAE_COST_SCALE, POTModel, aae_to_pot_lambda
from vegan_lib.train import History, fit
from vegan_lib.vae import AVBModel, VAEModel
from vegan_lib.wgan import WGANModel

__all__ = [
    "MMD_SCALES",
    "RECIPES",
    "Recipe",
    "TrainingSettings",
    "build",
    "SCOREBOARD",
    "fingerprint",
    "protocol_table",
    "recipe",
    "score",
    "settings",
    "train",
]

MMD_SCALES = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)
"""Multipliers of the IMQ constant :math:`C = 2 d_z` summed by the WAE authors' MMD."""


@dataclass(frozen=True)
class TrainingSettings:
    """How a recipe is trained: the keyword arguments of :func:`~vegan_lib.train.fit`."""

    steps: int
    batch_size: int
    lr: float
    betas: tuple[float, float] = (0.5, 0.999)
    adversary_lr: float | None = None
    adversary_steps: int = 1

    def fit_kwargs(self) -> dict[str, Any]:
        """The settings as ``fit(**kwargs)`` takes them."""
        return asdict(self)


# The WAE paper's Adam (beta_1 = 0.5, adversary lr 5e-4); quick mode doubles the learning
# rate and uses small batches to get further in a few hundred steps.
_MNIST_QUICK = TrainingSettings(steps=300, batch_size=32, lr=2e-3, adversary_lr=5e-4)
_MNIST_FULL = TrainingSettings(steps=2500, batch_size=100, lr=1e-3, adversary_lr=5e-4)
_TOY_QUICK = TrainingSettings(steps=1000, batch_size=100, lr=1e-3, adversary_lr=5e-4)
_TOY_FULL = TrainingSettings(steps=10_000, batch_size=100, lr=1e-3, adversary_lr=5e-4)
_CODES_2D_QUICK = TrainingSettings(steps=400, batch_size=64, lr=1e-3)
_CODES_2D_FULL = TrainingSettings(steps=5000, batch_size=100, lr=1e-3)


@dataclass(frozen=True)
class Recipe:
    r"""One named model of the book and how it is trained.

    Attributes
    ----------
    name : str
        The name every chapter uses.
    family : {"pot", "aae", "vae", "avb", "wgan", "fgan"}
        The model class: POT (WAE), the AAE (POT with the Gaussian NLL cost), VAE, AVB, WGAN,
        the f-GAN (the original GAN with ``divergence="gan"``).
    data : {"mnist", "toy", "flat digits"}
        What it trains on: (N, 1, 28, 28) digits with the convolutional networks, 2-D toy
        points, or flattened digits (N, 784) with MLPs.
    chapter : int
        The chapter that introduces it.
    options : mapping
        Keyword arguments of the model's constructor (``z_dim``, ``lam``, ``sigma2``, ...).
    quick, full : TrainingSettings
        Training in quick and in full mode.
    summary : str
        One line for tables.
    """

    name: str
    family: str
    data: str
    chapter: int
    options: Mapping[str, Any]
    quick: TrainingSettings
    full: TrainingSettings
    summary: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def lam_pot(self) -> float | None:
        r""":math:`\lambda` in POT units on the unscaled cost (``None`` without a penalty)."""
        if self.family == "pot":
            return float(self.options["lam"])
        if self.family == "aae":
            return aae_to_pot_lambda(self.options["sigma2"], self.options["lam_aae"])
        return None

    def settings(self, full: bool = False) -> TrainingSettings:
        """The training settings of quick (default) or full mode."""
        return self.full if full else self.quick

    def build(self) -> nn.Module:
        """A fresh, untrained model (its initial weights follow torch's global seed)."""
        opts = dict(self.options)
        if self.family == "pot":
            maker = POTModel.for_mnist if self.data == "mnist" else POTModel.for_toy
            return maker(**opts)
        if self.family == "aae":
            return POTModel.aae_for_mnist(**opts)
        if self.family == "vae":
            maker = VAEModel.for_mnist if self.data == "mnist" else VAEModel.for_toy
            return maker(**opts)
        if self.family == "avb":
            return AVBModel.for_mnist(**opts)
        if self.family == "fgan":
            return FGANModel.for_mnist(**opts)
        return WGANModel.for_mnist(**opts)


def _mnist(name: str, family: str, chapter: int, summary: str, **options: Any) -> Recipe:
    quick, full = _MNIST_QUICK, _MNIST_FULL
    if family == "wgan":  # WGAN's critic loop: several critic updates per generator step
        quick = TrainingSettings(**{**quick.fit_kwargs(), "adversary_steps": 2})
        full = TrainingSettings(**{**full.fit_kwargs(), "steps": 1000, "adversary_steps": 5})
    return Recipe(name, family, "mnist", chapter, {"z_dim": 8, **options}, quick, full, summary)


_LAM_MMD = 10.0 / WAE_COST_SCALE  # the WAE authors' lambda = 10 beside 0.05 ||x - y||^2
_LAM_GAN = 1.0 / WAE_COST_SCALE  # their lambda = 1

_ALL = [
    _mnist("VAE", "vae", 5, "Gaussian encoder, KL to the prior", sigma2=0.1),
    _mnist("VAE (σ² = 0.3)", "vae", 5, "the VAE with a noisier decoder", sigma2=0.3),
    _mnist("VAE (σ² = 1)", "vae", 5, "the VAE with decoder variance 1", sigma2=1.0),
    _mnist("AVB", "avb", 5, "noisy encoder, adversarial KL", sigma2=0.1),
    _mnist("AAE", "aae", 4, "POT with the Gaussian NLL cost, GAN penalty",
           sigma2=1.0, lam_aae=1.0),
    _mnist("WAE-MMD", "pot", 3, "POT, MMD penalty (IMQ, seven scales)",
           divergence="mmd", lam=_LAM_MMD, mmd_scales=MMD_SCALES),
    _mnist("WAE-MMD (weak)", "pot", 3, "POT, the paper's λ = 10 on the unscaled cost",
           divergence="mmd", lam=10.0),
    _mnist("WAE-GAN", "pot", 3, "POT, latent GAN penalty", divergence="gan", lam=_LAM_GAN),
    _mnist("WGAN-GP", "wgan", 6, "generator and critic, gradient penalty",
           lipschitz="gp", gp_weight=10.0),
    Recipe("toy WAE-MMD (weak)", "pot", "toy", 3, {"x_dim": 2, "z_dim": 2, "divergence": "mmd",
           "lam": 10.0}, _TOY_QUICK, _TOY_FULL, "2-D WAE-MMD, the paper's λ = 10"),
    Recipe("toy WAE-GAN (weak)", "pot", "toy", 3, {"x_dim": 2, "z_dim": 2, "divergence": "gan",
           "lam": 1.0}, _TOY_QUICK, _TOY_FULL, "2-D WAE-GAN, the paper's λ = 1"),
    Recipe("toy auto-encoder", "pot", "toy", 3, {"x_dim": 2, "z_dim": 2, "divergence": "mmd",
           "lam": 0.0}, _TOY_QUICK, _TOY_FULL, "2-D POT without a penalty (λ = 0)"),
    Recipe("2-D VAE (σ² = 0.1)", "vae", "flat digits", 5, {"x_dim": 784, "z_dim": 2,
           "sigma2": 0.1, "hidden": (256, 256)}, _CODES_2D_QUICK, _CODES_2D_FULL,
           "VAE with 2-D codes, MLPs"),
    Recipe("2-D VAE (σ² = 1)", "vae", "flat digits", 5, {"x_dim": 784, "z_dim": 2,
           "sigma2": 1.0, "hidden": (256, 256)}, _CODES_2D_QUICK, _CODES_2D_FULL,
           "VAE with 2-D codes, MLPs"),
    Recipe("2-D WAE-MMD", "pot", "flat digits", 5, {"x_dim": 784, "z_dim": 2, "divergence":
           "mmd", "lam": _LAM_MMD, "mmd_scales": MMD_SCALES, "hidden": (256, 256)},
           _CODES_2D_QUICK, _CODES_2D_FULL, "WAE-MMD with 2-D codes, MLPs"),
    _mnist("GAN", "fgan", 7, "generator and discriminator, non-saturating loss (2 JS − log 4)",
           divergence="gan", generator_loss="non-saturating"),
]
RECIPES: dict[str, Recipe] = {r.name: r for r in _ALL}
"""Every named recipe of the book, by name."""

SCOREBOARD = ("VAE", "AVB", "AAE", "WAE-MMD", "WAE-GAN", "WGAN-GP")
"""The six recipes of chapter 8's scoreboard, in its order."""


def recipe(name: str) -> Recipe:
    """The recipe called ``name`` (a key of :data:`RECIPES`).

    Raises
    ------
    ValueError
        For an unknown name; the message lists the known ones.
    """
    return RECIPES[check_choice(name, "name", tuple(RECIPES))]


@contextmanager
def _default_dtype(dtype: torch.dtype | None) -> Iterator[None]:
    previous = torch.get_default_dtype()
    if dtype is not None:
        torch.set_default_dtype(dtype)
    try:
        yield
    finally:
        torch.set_default_dtype(previous)


def _as_recipe(name: str | Recipe) -> Recipe:
    return name if isinstance(name, Recipe) else recipe(name)


def build(
    name: str | Recipe,
    device: str | torch.device | None = None,
    seed: int | None = None,
    dtype: torch.dtype | None = None,
) -> nn.Module:
    """A fresh model of recipe ``name`` (a name of :data:`RECIPES`, or a :class:`Recipe`).

    Its initial weights follow ``torch.manual_seed(seed)`` when ``seed`` is given (as in
    :func:`train`), else torch's global generator as it stands. ``dtype`` (e.g.
    ``torch.float64``) builds *and initialises* the model in that precision, so that its
    initial weights do not depend on float32 rounding (the replay of
    :mod:`~vegan_lib.reference`); the default is torch's default dtype.

    Examples
    --------
    >>> build("WAE-GAN", seed=0).divergence, build("WAE-GAN").lam
    ('gan', 20.0)
    >>> next(build("VAE", seed=0, dtype=torch.float64).parameters()).dtype
    torch.float64
    """
    device = check_device(device)
    r = _as_recipe(name)
    if seed is not None:
        torch.manual_seed(check_seed(seed))
    with _default_dtype(dtype):
        model = r.build()
    return model if device is None else model.to(device)


def settings(name: str, full: bool = False) -> dict[str, Any]:
    """The keyword arguments of :func:`~vegan_lib.train.fit` for recipe ``name``."""
    return recipe(name).settings(full).fit_kwargs()


def train(
    name: str | Recipe,
    data: torch.Tensor,
    seed: int = 0,
    full: bool = False,
    device: str | torch.device | None = None,
    progress: bool = True,
    steps: int | None = None,
    dtype: torch.dtype | None = None,
    **fit_options: Any,
) -> tuple[nn.Module, History]:
    """Build and train recipe ``name``: the initial weights and the batches follow ``seed``.

    The one way the book trains a recipe: the chapters, the reference run and its replay
    all call it. ``name`` is a name of :data:`RECIPES` or a :class:`Recipe` (a variant made
    with ``dataclasses.replace``). ``steps`` overrides the number of steps of the recipe's
    settings (quick, or ``full``); ``dtype`` is passed to :func:`build` (the batches are cast
    to it). ``fit_options`` go to :func:`~vegan_lib.train.fit` beside the recipe's settings
    (e.g. ``callback``, ``checkpoint``, ``checkpoint_every``, ``resume``, ``log_every``).

    Returns
    -------
    (nn.Module, History)
        The trained model, in evaluation mode, and its training history.

    Raises
    ------
    ValueError
        If ``fit_options`` repeats a training setting of the recipe (``lr``, ``batch_size``,
        ...): a different setting is a different recipe; make one with
        ``dataclasses.replace``.
    """
    r = _as_recipe(name)
    kwargs = r.settings(full).fit_kwargs()
    clash = sorted(set(fit_options) & {*kwargs, "seed", "device", "progress", "desc"})
    if clash:
        raise ValueError(
            f"fit_options repeat {', '.join(clash)}, which recipe {r.name!r} sets: train a "
            "variant instead, e.g. dataclasses.replace(recipes.recipe(name), full=...)")
    if steps is not None:
        kwargs["steps"] = check_positive_int(steps, "steps", "steps=100")
    model = build(r, device, seed=seed, dtype=dtype)
    history = fit(model, data, seed=seed, device=device, progress=progress,
                  desc=f"{r.name}, seed {seed}", **kwargs, **fit_options)
    return model.eval(), history


def protocol_table(names: Iterable[str] = SCOREBOARD, full: bool = False) -> list[dict[str, Any]]:
    """One row per recipe: what it is and how it is trained, for a chapter's table.

    Built from :data:`RECIPES`, so a table printed from it cannot disagree with the code.
    """
    rows = []
    for name in names:
        r, s = recipe(name), recipe(name).settings(full)
        o = r.options
        rows.append({
            "recipe": name,
            "chapter": r.chapter,
            "d_z": o.get("z_dim"),
            "λ (POT units)": r.lam_pot,
            "σ²": o.get("sigma2"),
            "latent penalty": {"pot": o.get("divergence"), "aae": "gan"}.get(r.family),
            "steps": s.steps,
            "batch": s.batch_size,
            "lr": s.lr,
            "critic steps": s.adversary_steps if r.family == "wgan" else None,
            "what": r.summary,
        })
    return rows


def fingerprint(names: Iterable[str] | None = None, modes: Iterable[str] = ("quick", "full")
                ) -> str:
    """SHA-256 of the settings of recipes ``names`` (default: all): changes when one changes.

    A stored result records the fingerprint of the recipes and the training ``modes`` it
    ran (the reference run: ``modes=("full",)``), so changing another recipe, or the quick
    settings, leaves it valid.

    Examples
    --------
    >>> len(fingerprint())
    64
    >>> fingerprint(["VAE"]) == fingerprint(["VAE", "AVB"])
    False
    """
    chosen = sorted(RECIPES) if names is None else sorted({recipe(n).name for n in names})
    modes = [check_choice(m, "modes", ("quick", "full")) for m in modes]
    payload = {
        name: {"family": r.family, "data": r.data, "options": dict(r.options),
               **{m: r.settings(m == "full").fit_kwargs() for m in modes}}
        for name, r in ((name, RECIPES[name]) for name in chosen)
    }
    text = json.dumps(payload, sort_keys=True, default=list)
    return hashlib.sha256(text.encode()).hexdigest()


@torch.no_grad()
def score(
    model: nn.Module,
    x_test: torch.Tensor,
    classifier: nn.Module,
    n: int = 500,
    seed: int = 0,
) -> tuple[dict[str, float], torch.Tensor]:
    r"""The scoreboard's four numbers for a trained model, on ``n`` samples and test digits.

    * ``w2``: exact :math:`W_2` between ``n`` samples and ``n`` test digits
      (:func:`~vegan_lib.metrics.w2_to_data`);
    * ``fcd``: the Fréchet classifier distance
      (:func:`~vegan_lib.metrics.frechet_classifier_distance`);
    * ``sharpness``: the samples' sharpness over the test digits'
      (:func:`~vegan_lib.metrics.sharpness_ratio`);
    * ``recon_error``: :math:`\frac1n \sum_i \lVert x_i - G(E(x_i)) \rVert^2` on the
      first ``n`` test digits, or NaN for a model without an encoder (WGAN).

    The samples are drawn after seeding every generator with ``1000 + seed`` (samplers
    and AVB's encoder draw noise), so a score is reproducible.

    Parameters
    ----------
    model : nn.Module
        A trained model with ``sample(n)`` (and ``reconstruct(x)`` if it has an encoder).
    x_test : Tensor, shape (M, 1, 28, 28)
        Held-out digits, ``M >= n``.
    classifier : nn.Module
        The digit classifier of :func:`~vegan_lib.classifier.train_digit_classifier`.
    n : int
        Number of samples and of test digits.
    seed : int
        The run's seed.

    Returns
    -------
    (dict, Tensor)
        The four numbers (python floats) and the ``n`` samples, shape (n, 1, 28, 28).
    """
    n = check_positive_int(n, "n", "n=500")
    seed_everything(1000 + seed)
    samples = model.sample(n)
    row = {
        "w2": w2_to_data(samples, x_test, n=n).item(),
        "fcd": frechet_classifier_distance(samples, x_test, classifier, n=n).item(),
        "sharpness": sharpness_ratio(samples, x_test).item(),
        "recon_error": float("nan"),
    }
    if hasattr(model, "reconstruct"):
        x = x_test[:n]
        row["recon_error"] = (model.reconstruct(x) - x).pow(2).flatten(1).sum(1).mean().item()
    return row, samples
