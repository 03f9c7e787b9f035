"""Tests for vegan_lib.objectives: per-sample costs and the POT loss."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from vegan_lib.objectives import COSTS, euclidean_cost, pot_loss, squared_cost


def test_squared_cost_sums_over_every_pixel_per_sample():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(3, 1, 4, 5, generator=g, dtype=torch.float64)
    y = torch.rand(3, 1, 4, 5, generator=g, dtype=torch.float64)
    xn, yn = x.numpy(), y.numpy()
    want = [sum((xn[i].ravel()[k] - yn[i].ravel()[k]) ** 2 for k in range(20)) for i in range(3)]
    got = squared_cost(x, y)
    assert got.shape == (3,)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)


def test_euclidean_cost_equals_numpy_norm_of_flattened_difference():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(4, 2, 3, generator=g, dtype=torch.float64)
    y = torch.randn(4, 2, 3, generator=g, dtype=torch.float64)
    want = np.linalg.norm((x - y).numpy().reshape(4, -1), axis=1)
    np.testing.assert_allclose(euclidean_cost(x, y).numpy(), want, rtol=1e-12)


def test_costs_treat_a_1d_tensor_as_n_one_dimensional_samples():
    x, y = torch.tensor([0.0, 1.0, -2.0]), torch.tensor([1.0, 1.0, 1.0])
    np.testing.assert_allclose(squared_cost(x, y).numpy(), [1.0, 0.0, 9.0])
    np.testing.assert_allclose(euclidean_cost(x, y).numpy(), [1.0, 0.0, 3.0])


def test_euclidean_cost_has_zero_gradient_where_x_equals_y_and_unit_gradient_elsewhere():
    x = torch.tensor([[1.0, 2.0], [0.0, 0.0]], requires_grad=True)
    y = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    euclidean_cost(x, y).sum().backward()
    # d/dx ||x - y|| = (x - y) / ||x - y||: (-3, -4) / 5 for the second row
    np.testing.assert_allclose(x.grad.numpy(), [[0.0, 0.0], [-0.6, -0.8]], atol=1e-7)


def test_costs_registry_names_both_costs():
    assert COSTS == {"squared": squared_cost, "euclidean": euclidean_cost}


@pytest.mark.parametrize("cost", [squared_cost, euclidean_cost])
def test_costs_reject_mismatched_or_scalar_inputs(cost):
    with pytest.raises(ValueError, match="same shape"):
        cost(torch.zeros(3, 2), torch.zeros(3, 3))
    with pytest.raises(ValueError, match="0-dimensional"):
        cost(torch.tensor(1.0), torch.tensor(1.0))
    with pytest.raises(ValueError, match="floating-point"):
        cost(torch.zeros(3, 2, dtype=torch.long), torch.zeros(3, 2, dtype=torch.long))


def test_pot_loss_is_mean_reconstruction_plus_lambda_times_penalty():
    parts = pot_loss(torch.tensor([1.0, 2.0, 6.0]), torch.tensor(0.25), lam=4.0)
    assert parts["reconstruction"].item() == pytest.approx(3.0)
    assert parts["penalty"].item() == pytest.approx(0.25)
    assert parts["loss"].item() == pytest.approx(3.0 + 4.0 * 0.25)
    assert all(v.ndim == 0 for v in parts.values())


def test_pot_loss_with_lambda_zero_is_the_reconstruction():
    parts = pot_loss(torch.tensor([2.0, 4.0]), torch.tensor(100.0), lam=0)
    assert parts["loss"].item() == pytest.approx(3.0)


def test_pot_loss_passes_gradients_to_both_terms():
    rec = torch.tensor([1.0, 3.0], requires_grad=True)
    pen = torch.tensor(0.5, requires_grad=True)
    pot_loss(rec, pen, lam=10.0)["loss"].backward()
    np.testing.assert_allclose(rec.grad.numpy(), [0.5, 0.5])
    assert pen.grad.item() == pytest.approx(10.0)


@pytest.mark.parametrize("lam", [-1.0, math.nan, math.inf, "ten"])
def test_pot_loss_rejects_bad_lambda(lam):
    with pytest.raises(ValueError, match="lam"):
        pot_loss(torch.ones(3), torch.tensor(0.0), lam)


def test_pot_loss_rejects_a_mean_instead_of_per_sample_costs():
    with pytest.raises(ValueError, match="per-sample"):
        pot_loss(torch.tensor(1.0), torch.tensor(0.0), 1.0)
    with pytest.raises(ValueError, match="per-sample"):
        pot_loss(torch.ones(3, 2), torch.tensor(0.0), 1.0)
    with pytest.raises(ValueError, match="empty"):
        pot_loss(torch.ones(0), torch.tensor(0.0), 1.0)


def test_pot_loss_rejects_non_scalar_penalty():
    with pytest.raises(ValueError, match="0-dimensional"):
        pot_loss(torch.ones(3), torch.ones(3), 1.0)


@pytest.mark.parametrize("cost", [squared_cost, euclidean_cost])
def test_costs_reject_an_empty_batch_with_a_clear_message(cost):
    with pytest.raises(ValueError, match="empty batches"):
        cost(torch.zeros(0, 3), torch.zeros(0, 3))
