r"""Chapter 4: the AAE objective is the POT objective, rescaled by :math:`\sigma^2`."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from matplotlib.figure import Figure

from vegan_lib._checks import as_tensor, check_finite, check_no_overflow, check_range
from vegan_lib.costs import gaussian_nll, squared_cost
from vegan_lib.explorers._base import (
    _check_sequence,
    _Explorer,
    _grid_of_axes,
    _grid_size,
    _non_negative,
    _positive,
    _row_of_axes,
)
from vegan_lib.plotting import PALETTE
from vegan_lib.pot import aae_loss, aae_to_pot_lambda, pot_loss

__all__ = ["AAESigmaExplorer"]


def _check_batch(t: Any, name: str) -> torch.Tensor:
    """A real floating-point tensor: integer images (0-255) would be scored on their scale."""
    if not isinstance(t, torch.Tensor):
        raise ValueError(
            f"{name} must be a tensor of shape (N, ...), got {type(t).__name__}; convert it "
            f"with torch.as_tensor({name}, dtype=torch.float32)"
        )
    if not t.is_floating_point() and not t.is_complex():
        raise ValueError(
            f"{name} must be a floating-point tensor, got dtype {t.dtype}: integer images "
            f"would be scored on their 0-255 scale; pass float images in [0, 1], e.g. "
            f"{name}.float() / 255"
        )
    return as_tensor(t, name)  # a complex tensor is refused


class AAESigmaExplorer(_Explorer):
    r"""The AAE objective is the POT objective, rescaled: what :math:`\sigma^2` changes.

    With a Gaussian decoder :math:`N(G(z), \sigma^2 I_d)`, fixed networks, a batch
    :math:`x_1, \dots, x_N` with reconstructions :math:`\hat x_i = G(E(x_i))` and one
    latent penalty estimate :math:`\mathcal D`,

    .. math::

        \begin{aligned}
        \mathcal L_{\mathrm{AAE}} &= \frac1N \sum_i -\log p(x_i \mid E(x_i))
            + \lambda_{\mathrm{AAE}} \mathcal D \\
        &= \frac{1}{2\sigma^2} \underbrace{\Big(\frac1N \sum_i \lVert x_i - \hat x_i\rVert^2
            + \lambda \mathcal D\Big)}_{D_{\mathrm{POT}}} + \frac d2 \log(2\pi\sigma^2)
        \end{aligned}

    with :math:`\lambda = 2\sigma^2 \lambda_{\mathrm{AAE}}`
    (:func:`~vegan_lib.pot.aae_to_pot_lambda`). Every sample's
    :math:`(\lVert x_i - \hat x_i\rVert^2, -\log p(x_i \mid E(x_i)))` and the batch's
    :math:`(D_{\mathrm{POT}}, \mathcal L_{\mathrm{AAE}})` lie on one line of slope
    :math:`1/(2\sigma^2)`; as :math:`\sigma^2` grows with :math:`\lambda_{\mathrm{AAE}}`
    fixed, the line flattens and the latent penalty's weight :math:`\lambda` in the POT
    objective grows. Everything is closed form: :meth:`update` costs microseconds plus
    the drawing.

    Parameters
    ----------
    x : Tensor, shape (N, ...)
        A batch of data, floating point (e.g. images with pixels in [0, 1]).
    x_hat : Tensor, shape (N, ...)
        Its reconstructions :math:`G(E(x))`, same shape, floating point.
    penalty : float or Tensor of shape ()
        The latent penalty estimate :math:`\mathcal D \ge 0` on this batch (e.g. the
        ``"penalty"`` of ``AAEModel.losses``).
    lam_aae : float, default 5.0
        :math:`\lambda_{\mathrm{AAE}} \ge 0`, held fixed.
    sigma2_range : pair of float, default (1e-3, 10.0)
        The slider's range of :math:`\sigma^2`.
    sigma2 : float, default 0.1
        First value shown.

    Attributes
    ----------
    costs : Tensor, shape (N,)
        :math:`\lVert x_i - \hat x_i \rVert^2`.
    reconstruction : float
        Their mean.
    d : int
        Coordinates per sample.
    figure, values :
        As in :class:`SinkhornExplorer`.

    Raises
    ------
    ValueError
        For an ``x`` or ``x_hat`` that is not a floating-point tensor (integer images are
        refused: pass ``x.float() / 255``), is complex, or holds NaN or infinite entries (the
        message names which), shapes that differ, an empty batch or samples of no
        coordinates, squared costs that overflow, a ``penalty`` or ``lam_aae`` that is not
        one finite number >= 0 (or whose product overflows), a :math:`\sigma^2` that is not
        a positive number or at which the objectives overflow, or a bad range.

    Examples
    --------
    One sample at squared distance 2 from its reconstruction, :math:`\mathcal D = 0.5`,
    :math:`\lambda_{\mathrm{AAE}} = 3`: at :math:`\sigma^2 = 0.5` the POT weight is 3 and
    the POT loss :math:`2 + 3 \cdot 0.5 = 3.5`.

    >>> x, x_hat = torch.tensor([[1.0, 1.0]]), torch.zeros(1, 2)
    >>> numbers = AAESigmaExplorer(x, x_hat, penalty=0.5, lam_aae=3.0).update(0.5)
    >>> numbers["lam"], round(numbers["pot_loss"], 4)
    (3.0, 3.5)
    """

    parameter = "sigma2"

    def __init__(
        self,
        x: torch.Tensor,
        x_hat: torch.Tensor,
        penalty: float | torch.Tensor,
        lam_aae: float = 5.0,
        sigma2_range: tuple[float, float] = (1e-3, 10.0),
        sigma2: float = 0.1,
    ) -> None:
        x, x_hat = _check_batch(x, "x"), _check_batch(x_hat, "x_hat")
        super().__init__(figsize=(12.5, 4.4))
        if x.shape != x_hat.shape or x.ndim < 1 or x.shape[0] == 0:
            raise ValueError(
                f"x and x_hat must have the same non-empty shape (N, ...), got {tuple(x.shape)} "
                f"and {tuple(x_hat.shape)}; pass the batch and its reconstructions G(E(x))"
            )
        self.d = math.prod(x.shape[1:])
        if self.d == 0:
            raise ValueError(
                f"x and x_hat hold samples of no coordinates (shape {tuple(x.shape)}); each "
                "sample needs at least one value, e.g. images of shape (N, 1, 28, 28)"
            )
        self.x, self.x_hat = x.detach(), x_hat.detach()
        check_finite(self.x, "x")
        check_finite(self.x_hat, "x_hat")
        self.costs = squared_cost(self.x, self.x_hat)
        check_no_overflow(self.costs, "the squared costs ||x - x_hat||^2",
                          {"x": self.x, "x_hat": self.x_hat}, "divide both by one scale s")
        self.reconstruction = float(self.costs.mean())
        self.penalty = _non_negative(penalty, "penalty", "penalty=aae.losses(x)['penalty']")
        self.lam_aae = _non_negative(lam_aae, "lam_aae", "lam_aae=5.0")
        if not math.isfinite(self.lam_aae * self.penalty):
            raise ValueError(
                f"lam_aae * penalty = {self.lam_aae:.3g} * {self.penalty:.3g} overflows; lower "
                "lam_aae or penalty (the AAE loss adds lam_aae * penalty)"
            )
        self.sigma2_range = check_range(sigma2_range, "sigma2_range", "sigma2_range=(1e-3, 10.0)")
        for end, value in zip(("low", "high"), self.sigma2_range, strict=True):
            self._check_reachable(value, f"the {end} end of sigma2_range, {value:.3g},",
                                  "sigma2_range=(1e-3, 10.0)")
        self.update(sigma2)

    def update(self, sigma2: float) -> dict[str, float]:
        r"""Evaluate both objectives at :math:`\sigma^2`, redraw, return the numbers.

        Parameters
        ----------
        sigma2 : float
            The decoder variance :math:`\sigma^2 > 0`.

        Returns
        -------
        dict of str to float
            ``sigma2``, ``lam_aae``, ``lam`` :math:`= 2\sigma^2\lambda_{\mathrm{AAE}}`,
            ``reconstruction`` (mean squared cost), ``penalty`` :math:`\mathcal D`,
            ``pot_loss``, ``aae_loss`` (the mean Gaussian NLL plus
            :math:`\lambda_{\mathrm{AAE}}\mathcal D`), ``aae_from_pot``
            (:math:`D_{\mathrm{POT}}/(2\sigma^2) + \frac d2 \log 2\pi\sigma^2`),
            ``gradient_factor`` :math:`1/(2\sigma^2)`, ``constant``
            :math:`\frac d2 \log 2\pi\sigma^2` and ``penalty_share``
            :math:`\lambda \mathcal D / D_{\mathrm{POT}}`.

        Raises
        ------
        ValueError
            If ``sigma2`` is not a positive number, or the objectives overflow at it (the
            message says which way to move it); ``figure`` and ``values`` are then left as
            they were.
        """
        return self._show(self._sigma2(sigma2, "sigma2", "sigma2=0.1 (the decoder's variance)"))

    def _sigma2(self, value: Any, name: str, example: str) -> float:
        r"""``value`` as :math:`\sigma^2`: positive, with finite objectives; ``name`` is the
        caller's argument (``sigma2`` or an entry of ``values``)."""
        sigma2 = _positive(value, name, example)
        self._check_reachable(sigma2, f"{name}={sigma2:.3g}", example)
        return sigma2

    def _check_reachable(self, sigma2: float, label: str, example: str) -> None:
        """Raise ``ValueError`` if a number :meth:`update` returns at ``sigma2`` overflows."""
        try:
            finite = all(math.isfinite(v) for v in self._numbers(sigma2).values())
        except ValueError:  # the POT weight 2 sigma2 lam_aae itself overflows
            finite = False
        if not finite:
            small = sigma2 < 1
            what = ("||x - x_hat||^2 / (2 sigma2) in the Gaussian NLL" if small else
                    f"the POT weight 2 sigma2 lam_aae (lam_aae={self.lam_aae:.3g}), or its "
                    f"penalty term (penalty={self.penalty:.3g}),")
            fix = "raise it" if small else "lower it (or lam_aae)"
            raise ValueError(
                f"{label} is too {'small' if small else 'large'} for this batch: {what} "
                f"overflows {self.costs.dtype}; {fix}, e.g. {example}"
            )

    def _numbers(self, sigma2: float) -> dict[str, float]:
        lam = aae_to_pot_lambda(sigma2, self.lam_aae)
        D = torch.tensor(self.penalty, dtype=self.costs.dtype, device=self.costs.device)
        nll = gaussian_nll(self.x, self.x_hat, sigma2)
        aae = aae_loss(nll, D, self.lam_aae)
        pot = pot_loss(self.costs, D, lam)
        constant = 0.5 * self.d * math.log(2 * math.pi * sigma2)
        pot_value = float(pot["loss"])
        return {
            "sigma2": sigma2,
            "lam_aae": self.lam_aae,
            "lam": lam,
            "reconstruction": float(pot["reconstruction"]),
            "penalty": self.penalty,
            "pot_loss": pot_value,
            "aae_loss": float(aae["loss"]),
            "aae_from_pot": pot_value / (2 * sigma2) + constant,
            "gradient_factor": 1 / (2 * sigma2),
            "constant": constant,
            "penalty_share": lam * self.penalty / pot_value if pot_value > 0 else 0.0,
        }

    def _draw(self, fig: Figure, sigma2s: list[float]) -> None:
        n = len(sigma2s)
        *lines, right = (_row_of_axes(fig, [1, 1.25]) if n == 1 else _grid_of_axes(fig, n + 1))
        costs = self.costs.detach().cpu().double().numpy()
        numbers = [self._numbers(s) for s in sigma2s]
        top = max(costs.max(), max(n["pot_loss"] for n in numbers)) * 1.08
        line = np.linspace(0.0, top, 50)
        for i, (ax, s2, n) in enumerate(zip(lines, sigma2s, numbers, strict=True)):
            colour = PALETTE[i % len(PALETTE)]
            # the numbers in the title, short labels: the legend fits the empty upper
            # left corner (the line rises), legible in the book's column
            ax.plot(line, line / (2 * s2) + n["constant"], color=colour, lw=1,
                    label=r"AAE = POT / $2\sigma^2$ + const")
            ax.scatter(costs, costs / (2 * s2) + n["constant"], s=10, color=colour, alpha=0.5,
                       label="samples (dots)")
            ax.plot([n["pot_loss"]], [n["aae_loss"]], "*", ms=15, color=colour,
                    markeredgecolor="k",
                    label="the batch (star)")
            ax.set(xlabel=r"squared cost (dots), $D_{\mathrm{POT}}$ (star)",
                   ylabel=r"$-\log p(x \mid z)$ (dots), $\mathcal{L}_{\mathrm{AAE}}$ (star)",
                   title=f"$\\sigma^2$ = {s2:.3g}, $\\lambda$ = {n['lam']:.3g}: "
                   f"slope {1 / (2 * s2):.3g}, intercept {n['constant']:.4g}")
            ax.legend(loc="upper left")
        grid = np.geomspace(*self.sigma2_range, 60)
        lams = 2 * grid * self.lam_aae
        recon = self.reconstruction
        right.plot(grid, np.full_like(grid, recon), color=PALETTE[1],
                   label=r"reconstruction $\frac{1}{N}\sum\|x_i - \hat x_i\|^2$")
        right.plot(grid, lams * self.penalty, color=PALETTE[2],
                   label=r"penalty term $\lambda \mathcal{D}$, "
                   r"$\lambda = 2\sigma^2\lambda_{\mathrm{AAE}}$")
        for i, (s2, n) in enumerate(zip(sigma2s, numbers, strict=True)):
            right.plot([s2], [n["lam"] * self.penalty], "o", ms=9, color=PALETTE[i % len(PALETTE)])
        positive = self.penalty > 0 and recon > 0
        right.set(xscale="log", yscale="log" if positive else "linear",
                  xlabel=r"decoder variance $\sigma^2$", ylabel="term of $D_{\\mathrm{POT}}$",
                  title=f"$\\lambda_{{\\mathrm{{AAE}}}}$ = {self.lam_aae:g} fixed: "
                  + ", ".join(f"$\\lambda$ = {n['lam']:.3g}" for n in numbers))
        right.legend(loc="lower right")

    def static_figure(self, values: Sequence[float] = (0.01, 0.1, 1.0)) -> Figure:
        r"""A small multiple: the affine identity at each :math:`\sigma^2`, and the two terms.

        Parameters
        ----------
        values : sequence of float
            The :math:`\sigma^2` to show, each positive.

        Returns
        -------
        matplotlib.figure.Figure

        Raises
        ------
        ValueError
            If ``values`` is not a sequence, is empty, or holds an entry that is not a
            positive number or at which the objectives overflow (the message names it,
            ``values[i]``).
        """
        example = "values=(0.01, 0.1, 1.0)"
        values = [self._sigma2(v, f"values[{i}]", example)
                  for i, v in enumerate(_check_sequence(values, "values", example))]
        return self._static(values, "(0.01, 0.1, 1.0)")

    def _static_size(self, n_items: int) -> tuple[float, float]:
        return (11.0, 4.6) if n_items == 1 else _grid_size(n_items + 1, (5.5, 4.8))

    def _control_widgets(self, widgets: Any) -> dict[str, Any]:
        return self._log_control(widgets, self.sigma2_range, "σ²")
