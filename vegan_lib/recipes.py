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
(300, 2000)
>>> RECIPES["WAE-GAN"].lam_pot
20.0
"""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any

import torch
from torch import nn

from vegan_lib._checks import (
    check_betas,
    check_choice,
    check_device,
    check_int_at_least,
    check_positive,
    check_positive_int,
    check_seed,
)
from vegan_lib.fdivergences import FGANModel
from vegan_lib.pot import WAE_COST_SCALE, WAE_MMD_SCALES, POTModel
from vegan_lib.protocol import ModelFacts
from vegan_lib.scoring import diagnostics, score  # re-exported: recipes.score, as before
from vegan_lib.train import History, fit
from vegan_lib.vae import AVBModel, VAEModel
from vegan_lib.wgan import WGANModel

__all__ = [
    "MMD_SCALES",
    "RECIPES",
    "Recipe",
    "TrainingSettings",
    "build",
    "DATA",
    "diagnostics",
    "FAMILIES",
    "SCOREBOARD",
    "fingerprint",
    "protocol_table",
    "recipe",
    "score",
    "settings",
    "train",
]

MMD_SCALES = WAE_MMD_SCALES
"""Multipliers of the IMQ constant :math:`C = 2 d_z` summed by the WAE authors' MMD
(:data:`~vegan_lib.pot.WAE_MMD_SCALES`)."""


@dataclass(frozen=True)
class TrainingSettings:
    """How a recipe is trained: the keyword arguments of :func:`~vegan_lib.train.fit`."""

    steps: int
    batch_size: int
    lr: float
    betas: tuple[float, float] = (0.5, 0.999)
    adversary_lr: float | None = None
    adversary_steps: int = 1

    def __post_init__(self) -> None:  # checked here, not at the first training step
        for key in ("steps", "batch_size", "adversary_steps"):
            check_positive_int(getattr(self, key), key, f"{key}=100")
        check_positive(self.lr, "lr", "lr=1e-3")
        if self.adversary_lr is not None:
            check_positive(self.adversary_lr, "adversary_lr", "adversary_lr=5e-4 (or None)")
        check_betas(self.betas)

    def fit_kwargs(self) -> dict[str, Any]:
        """The settings as ``fit(**kwargs)`` takes them."""
        return asdict(self)


# The WAE paper's Adam (beta_1 = 0.5, adversary lr 5e-4); quick mode doubles the learning
# rate and uses small batches to get further in a few hundred steps.
_MNIST_QUICK = TrainingSettings(steps=300, batch_size=32, lr=2e-3, adversary_lr=5e-4)
_MNIST_FULL = TrainingSettings(steps=2000, batch_size=100, lr=1e-3, adversary_lr=5e-4)
_TOY_QUICK = TrainingSettings(steps=1000, batch_size=100, lr=1e-3, adversary_lr=5e-4)
_TOY_FULL = TrainingSettings(steps=10_000, batch_size=100, lr=1e-3, adversary_lr=5e-4)
_CODES_2D_QUICK = TrainingSettings(steps=400, batch_size=64, lr=1e-3)
_CODES_2D_FULL = TrainingSettings(steps=5000, batch_size=100, lr=1e-3)


_BUILDERS: dict[str, dict[str, Callable[..., nn.Module]]] = {
    "pot": {"mnist": POTModel.for_mnist, "toy": POTModel.for_toy,
            "flat digits": POTModel.for_toy},
    "aae": {"mnist": POTModel.aae_for_mnist, "toy": POTModel.aae_for_toy,
            "flat digits": POTModel.aae_for_toy},
    "vae": {"mnist": VAEModel.for_mnist, "toy": VAEModel.for_toy,
            "flat digits": VAEModel.for_toy},
    "avb": {"mnist": AVBModel.for_mnist, "toy": AVBModel.for_toy,
            "flat digits": AVBModel.for_toy},
    "wgan": {"mnist": WGANModel.for_mnist, "toy": WGANModel.for_toy,
             "flat digits": WGANModel.for_toy},
    "fgan": {"mnist": FGANModel.for_mnist},
}
"""The one registry of model families: family -> data -> the builder a recipe calls.

Everything else about a family (primal or dual, encoder, cost, penalty, adversary, its
diagnostics) is stated by the model class itself (``model.facts``,
:class:`~vegan_lib.protocol.ModelFacts`)."""
FAMILIES = tuple(_BUILDERS)
"""The model families a :class:`Recipe` can name."""
DATA = ("mnist", "toy", "flat digits")
"""What a recipe can train on."""


@dataclass(frozen=True)
class Recipe:
    r"""One named model of the book and how it is trained.

    Attributes
    ----------
    name : str
        The name every chapter uses.
    family : {"pot", "aae", "vae", "avb", "wgan", "fgan"}
        A key of the registry of model builders (:data:`FAMILIES`): POT (WAE), the AAE (POT
        with the Gaussian NLL cost), VAE, AVB, WGAN, the f-GAN (the original GAN with
        ``divergence="gan"``).
    data : {"mnist", "toy", "flat digits"}
        What it trains on: (N, 1, 28, 28) digits with the convolutional networks, 2-D toy
        points, or flattened digits (N, 784) with MLPs.
    chapter : int
        The chapter that introduces it.
    options : mapping
        Keyword arguments of the family's builder for ``data`` (``z_dim``, ``lam``,
        ``sigma2``, ...), checked against the builder's signature when the recipe is made.
    quick, full : TrainingSettings
        Training in quick and in full mode.
    summary : str
        One line for tables: the objective.

    Raises
    ------
    ValueError
        At definition: a field of the wrong type (name, summary, options, quick, full,
        chapter), an unknown family or data, or an option the builder does not take (the
        message lists the ones it takes).

    Examples
    --------
    A :math:`\beta`-VAE, from the public API alone:

    >>> beta_vae = Recipe("β-VAE", "vae", "mnist", 5, {"z_dim": 8, "sigma2": 0.1, "beta": 4.0},
    ...                   TrainingSettings(300, 32, 2e-3), TrainingSettings(2500, 100, 1e-3))
    >>> beta_vae.facts.family, beta_vae.build().beta
    ('VAE', 4.0)
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

    def __post_init__(self) -> None:
        for key, kind, example in (
                ("name", str, "'β-VAE'"), ("summary", str, "''"), ("options", Mapping, "{}"),
                ("extra", Mapping, "{}"), ("quick", TrainingSettings, "TrainingSettings(300, "
                "32, 2e-3)"), ("full", TrainingSettings, "TrainingSettings(2500, 100, 1e-3)")):
            if not isinstance(getattr(self, key), kind) or key == "name" and not self.name:
                raise ValueError(f"recipe {self.name!r}: {key} must be a {kind.__name__}"
                                 f"{' (not empty)' * (key == 'name')}, got "
                                 f"{getattr(self, key)!r}; e.g. {key}={example}")
        check_int_at_least(self.chapter, "chapter", 0, "chapter=5")
        check_choice(self.family, "family", FAMILIES)
        builders = _BUILDERS[self.family]
        check_choice(self.data, "data", tuple(builders))
        _check_options(self.name, builders[self.data], self.options)

    @cached_property
    def facts(self) -> ModelFacts:
        """What the model says about itself (:class:`~vegan_lib.protocol.ModelFacts`).

        Read from a model built once, on the CPU, with torch's random state restored
        afterwards (asking leaves every seeded run unchanged).
        """
        with torch.random.fork_rng(devices=[]):
            return self.build().facts

    @property
    def lam_pot(self) -> float | None:
        r""":math:`\lambda` in POT units on the unscaled cost (``None`` without a penalty)."""
        return self.facts.lam_pot

    def settings(self, full: bool = False) -> TrainingSettings:
        """The training settings of quick (default) or full mode (``full`` is a bool)."""
        if not isinstance(full, bool):  # "yes", None or 1 would silently pick a mode
            raise ValueError(f"full must be True or False, got {full!r}; e.g. "
                             "full=os.environ.get('VEGAN_FULL') == '1'")
        return self.full if full else self.quick

    def build(self) -> nn.Module:
        """A fresh, untrained model (its initial weights follow torch's global seed)."""
        return _BUILDERS[self.family][self.data](**self.options)


def _check_options(name: str, builder: Callable[..., nn.Module],
                   options: Mapping[str, Any]) -> None:
    # The builder's own signature types the options; what it passes on as **kwargs must
    # fit the constructor of the class it builds.
    for function in (builder, getattr(builder, "__self__", None)):
        if function is None:
            break
        signature = inspect.signature(function)
        try:
            bound = signature.bind_partial(**options)
        except TypeError as err:
            raise ValueError(
                f"recipe {name!r}: options {dict(options)} do not fit "
                f"{getattr(function, '__qualname__', function)}{signature} ({err}); pass only "
                "its arguments") from None
        rest = [p.name for p in signature.parameters.values() if p.kind is p.VAR_KEYWORD]
        if not rest:
            break
        options = bound.arguments.get(rest[0], {})


_MNIST_SETTINGS = (_MNIST_QUICK, _MNIST_FULL)
# The budget rule of the scoreboard: every recipe makes the same number of generator
# (decoder) updates on batches of the same size, so every generator learns from the same
# number of digits; WGAN's critic loop adds its own critic updates per generator update (5 in
# the WGAN-GP paper), which protocol_table counts and the reference run times.
_WGAN_SETTINGS = (TrainingSettings(**{**_MNIST_QUICK.fit_kwargs(), "adversary_steps": 2}),
                  TrainingSettings(**{**_MNIST_FULL.fit_kwargs(), "adversary_steps": 5}))


def _mnist(name: str, family: str, chapter: int, summary: str,
           training: tuple[TrainingSettings, TrainingSettings] = _MNIST_SETTINGS,
           **options: Any) -> Recipe:
    return Recipe(name, family, "mnist", chapter, {"z_dim": 8, **options}, *training, summary)


_LAM_MMD = 10.0 / WAE_COST_SCALE  # the WAE authors' lambda = 10 beside 0.05 ||x - y||^2
_LAM_GAN = 1.0 / WAE_COST_SCALE  # their lambda = 1

_ALL = [
    _mnist("VAE", "vae", 5, "max ELBO = min KL(P_X‖P_G) + E KL(q(z|x)‖p(z|x))", sigma2=0.1),
    _mnist("VAE (σ² = 0.3)", "vae", 5, "the VAE with a noisier decoder", sigma2=0.3),
    _mnist("VAE (σ² = 1)", "vae", 5, "the VAE with decoder variance 1", sigma2=1.0),
    _mnist("AVB", "avb", 5, "the ELBO, its KL(q(z|x)‖p(z)) estimated by a discriminator",
           sigma2=0.1),
    _mnist("AAE", "aae", 4, "POT with the Gaussian-NLL cost, adversarial (JS) latent penalty",
           sigma2=1.0, lam_aae=1.0),
    _mnist("WAE-MMD", "pot", 3, "POT with ‖x − y‖², MMD latent penalty (IMQ, seven scales)",
           divergence="mmd", lam=_LAM_MMD, mmd_scales=MMD_SCALES),
    _mnist("WAE-MMD (weak)", "pot", 3, "POT, the paper's λ = 10 on the unscaled cost",
           divergence="mmd", lam=10.0),
    _mnist("WAE-GAN", "pot", 3, "POT with ‖x − y‖², adversarial (JS) latent penalty",
           divergence="gan", lam=_LAM_GAN),
    _mnist("GAN", "fgan", 7, "generator against a discriminator: 2 JS − log 4 (f-GAN), "
           "non-saturating generator loss", divergence="gan", generator_loss="non-saturating"),
    _mnist("WGAN-GP", "wgan", 6, "generator against a 1-Lipschitz critic: W₁",
           _WGAN_SETTINGS, lipschitz="gp", gp_weight=10.0),
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
]
RECIPES: dict[str, Recipe] = {r.name: r for r in _ALL}
"""Every named recipe of the book, by name."""

SCOREBOARD = ("VAE", "AVB", "AAE", "WAE-MMD", "WAE-GAN", "GAN", "WGAN-GP")
"""Chapter 8's scoreboard, one recipe per family in its order (the two per-sample
auto-encoders, the three POT models, the two generators against an adversary)."""


def recipe(name: str | Recipe) -> Recipe:
    """The recipe called ``name`` (a key of :data:`RECIPES`; a :class:`Recipe` is returned).

    Raises
    ------
    ValueError
        For an unknown name; the message lists the known ones.
    """
    return name if isinstance(name, Recipe) else RECIPES[check_choice(name, "name",
                                                                      tuple(RECIPES))]


@contextmanager
def _default_dtype(dtype: torch.dtype | None) -> Iterator[None]:
    previous = torch.get_default_dtype()
    if dtype is not None:
        torch.set_default_dtype(dtype)
    try:
        yield
    finally:
        torch.set_default_dtype(previous)


def _check_names(value: Any, arg: str, valid: Sequence[str], example: str,
                 empty: bool = True) -> list[str]:
    # a list of names (any iterable but a string), each one of valid; empty if allowed
    listed = isinstance(value, Iterable) and not isinstance(value, (str, bytes))
    items = [*value] if listed else []
    bad = [v for v in items if not isinstance(v, str) or v not in valid][:1]
    if not listed or not (items or empty) or bad:
        raise ValueError(f"{arg} must be a {'' if empty else 'non-empty '}list of names among "
                         f"{tuple(valid)}, e.g. {arg}={example}, got "
                         f"{f'{bad[0]!r} in it' if bad else repr(value)}")
    return items


def _check_data(r: Recipe, data: Any, full: bool, batch_size: int) -> None:
    # tensor data, or its x in (x, labels), before anything is built; fit checks a DataLoader
    x, arg = (data[0], "data[0]") if isinstance(data, tuple) and data else (data, "data")
    x_dim = inspect.signature(_BUILDERS[r.family][r.data]).parameters.get("x_dim")
    shape = (1, 28, 28) if r.data == "mnist" else (r.options.get("x_dim", x_dim.default),)
    mode, hint = "full" if full else "quick", {"mnist": f"{arg}.reshape(-1, 1, 28, 28)",
                                               "flat digits": f"{arg}.flatten(1)"}
    if not isinstance(x, torch.Tensor):
        loader = x is data and isinstance(x, Iterable) and not isinstance(x, (str, bytes))
        why = "" if loader and not hasattr(x, "__array__") else (
            f"must be a tensor of shape (N, ...), (x, labels) or a DataLoader, got "
            f"{type(x).__name__}; convert it with torch.as_tensor({arg}, dtype=torch.float32)")
    elif x.ndim == 0 or tuple(x.shape[1:]) != shape:
        why = (f"must have shape (N, {', '.join(map(str, shape))}) for recipe {r.name!r} "
               f"({r.data} data), got {tuple(x.shape)}; reshape it (e.g. "
               f"{hint.get(r.data, arg)}), or train a recipe for your data")
    elif not x.is_floating_point():
        why = (f"must be floating-point, got {x.dtype}; convert it with {arg}.float() (8-bit "
               "images: / 255)")
    elif len(x) < batch_size:
        why = (f"holds {len(x)} samples, fewer than a batch of recipe {r.name!r} ({batch_size}, "
               f"{mode} mode); pass more, or train a variant with smaller batches: dataclasses."
               f"replace(r, {mode}=dataclasses.replace(r.{mode}, batch_size=...))")
    else:
        why = "" if bool(torch.isfinite(x).all()) else "contains NaN or inf values; drop them"
    if why:
        raise ValueError(f"{arg} {why}")


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

    Raises
    ------
    ValueError
        Before anything is seeded or built: an unknown name, a ``device`` this machine
        lacks, a ``seed`` outside :math:`[0, 2^{32})`, a ``dtype`` that is not floating.
    """
    device = check_device(device)
    if dtype is not None and not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
        raise ValueError(f"dtype must be a floating-point torch.dtype or None, got {dtype!r}; "
                         "e.g. dtype=torch.float64")
    r = recipe(name)
    if seed is not None:
        torch.manual_seed(check_seed(seed))
    with _default_dtype(dtype):
        model = r.build()
    return model if device is None else model.to(device)


def settings(name: str | Recipe, full: bool = False) -> dict[str, Any]:
    """The keyword arguments of :func:`~vegan_lib.train.fit` for recipe ``name``.

    Raises
    ------
    ValueError
        For an unknown name, or ``full`` that is not a bool.
    """
    return recipe(name).settings(full).fit_kwargs()


_FIT_OPTIONS = frozenset(inspect.signature(fit).parameters) - {"model", "data"}


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
        Before anything is built or trained: ``fit_options`` that repeat a setting of the
        recipe (a variant is made with ``dataclasses.replace``) or that ``fit`` does not
        take; a bad name, ``seed``, ``steps``, ``device``, ``dtype``, ``full``, ``progress``;
        ``data`` (or its ``x``) of the wrong shape or dtype, under a batch, or not finite.
    """
    r = recipe(name)
    kwargs = r.settings(full).fit_kwargs()
    clash = sorted(set(fit_options) & {*kwargs, "seed", "device", "progress", "desc"})
    if clash:
        raise ValueError(
            f"fit_options repeat {', '.join(clash)}, which recipe {r.name!r} sets: train a "
            "variant instead, e.g. dataclasses.replace(recipes.recipe(name), full=...)")
    unknown = sorted(set(fit_options) - _FIT_OPTIONS)
    if unknown:
        raise ValueError(f"fit_options: fit takes no {', '.join(unknown)}; it takes "
                         f"{', '.join(sorted(_FIT_OPTIONS - {*kwargs, 'desc'}))}")
    if not isinstance(progress, bool):
        raise ValueError(f"progress must be True or False, got {progress!r}; e.g. progress=False")
    check_seed(seed)
    if steps is not None:
        kwargs["steps"] = check_positive_int(steps, "steps", "steps=100")
    _check_data(r, data, full, kwargs["batch_size"])
    model = build(r, device, seed=seed, dtype=dtype)
    history = fit(model, data, seed=seed, device=device, progress=progress,
                  desc=f"{r.name}, seed {seed}", **kwargs, **fit_options)
    return model.eval(), history


def protocol_table(names: Iterable[str] = SCOREBOARD, full: bool = False) -> list[dict[str, Any]]:
    """One row per recipe: what it is and how it is trained, for a chapter's table.

    Built from :data:`RECIPES` and each model's own facts (``Recipe.facts``), so a table
    printed from it cannot disagree with the code. Columns without a value for a recipe
    (a VAE's adversary) are ``None``.

    Raises
    ------
    ValueError
        If ``names`` is not a list of names of :data:`RECIPES` (a single string is
        refused: ``["VAE"]``, not ``"VAE"``), or ``full`` is not a bool.
    """
    names = _check_names(names, "names", tuple(RECIPES), "['VAE', 'WAE-MMD']")
    rows = []
    for name in names:
        r, s = recipe(name), recipe(name).settings(full)
        facts = r.facts
        rows.append({
            "recipe": name,
            "chapter": r.chapter,
            "d_z": r.options.get("z_dim"),
            "λ (POT units)": facts.lam_pot,
            "σ²": r.options.get("sigma2"),
            "latent penalty": None if facts.latent_penalty == "none" else facts.latent_penalty,
            "steps": s.steps,
            "adversary updates": s.steps * s.adversary_steps if facts.has_adversary else None,
            "batch": s.batch_size,
            "lr": s.lr,
            "adversary lr": s.adversary_lr if facts.has_adversary else None,
            "adversary steps": s.adversary_steps if facts.has_adversary else None,
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

    Raises
    ------
    ValueError
        If ``names`` (when given) or ``modes`` is not a non-empty list of recipe names or
        of ``"quick"`` and ``"full"`` (a single string is refused: ``("full",)``).
    """
    chosen = sorted(RECIPES) if names is None else sorted(set(_check_names(
        names, "names", tuple(RECIPES), "['VAE', 'WAE-MMD']", empty=False)))
    modes = _check_names(modes, "modes", ("quick", "full"), "('full',)", empty=False)
    payload = {
        name: {"family": r.family, "data": r.data, "options": dict(r.options),
               **{m: r.settings(m == "full").fit_kwargs() for m in modes}}
        for name, r in ((name, RECIPES[name]) for name in chosen)
    }
    text = json.dumps(payload, sort_keys=True, default=list)
    return hashlib.sha256(text.encode()).hexdigest()
