"""Chapter 3: per-sample costs, the POT loss and POTModel's wiring of the fit protocol."""

from __future__ import annotations

import math

import numpy as np
import ot
import pytest
import torch
from scipy.spatial.distance import cdist
from torch import nn

from vegan_lib.costs import COSTS, euclidean_cost, gaussian_nll, gaussian_nll_cost, squared_cost
from vegan_lib.nets import LatentDiscriminator, MLPDecoder, MLPEncoder
from vegan_lib.pot import DIVERGENCES, WAE_COST_SCALE, POTModel, pot_loss
from vegan_lib.train import fit
from vegan_lib.wgan import gradient_penalty


# --------------------------------------------------------------------------- costs and loss
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
def test_costs_reject_an_empty_batch_naming_the_argument(cost):
    # Issue 23: "empty batches: shape (0, 3) holds no samples" named no argument.
    with pytest.raises(ValueError, match=r"^x is an empty batch \(shape \(0, 3\)\); pass at"):
        cost(torch.zeros(0, 3), torch.zeros(0, 3))
    with pytest.raises(ValueError, match=r"^y is an empty batch"):
        cost(torch.zeros(2, 3), torch.zeros(0, 3))


def test_gaussian_nll_cost_is_minus_the_gaussian_log_density_per_sample():
    g = torch.Generator().manual_seed(3)
    x = torch.rand(4, 1, 3, 2, generator=g, dtype=torch.float64)
    y = torch.rand(4, 1, 3, 2, generator=g, dtype=torch.float64)
    for sigma2 in (0.05, 1.0, 4.0):
        cost = gaussian_nll_cost(sigma2)
        want = -torch.distributions.Normal(y, math.sqrt(sigma2)).log_prob(x).sum(dim=(1, 2, 3))
        torch.testing.assert_close(cost(x, y), want, rtol=1e-12, atol=1e-12)
        assert cost.sigma2 == sigma2
        assert repr(cost) == f"gaussian_nll_cost(sigma2={sigma2!r})"


def test_gaussian_nll_cost_is_squared_cost_over_two_sigma2_plus_a_constant():
    g = torch.Generator().manual_seed(4)
    x = torch.randn(5, 3, generator=g, dtype=torch.float64)
    y = torch.zeros(5, 3, dtype=torch.float64)
    got = gaussian_nll_cost(0.3)(x, y)
    want = squared_cost(x, y) / 0.6 + 1.5 * math.log(2 * math.pi * 0.3)
    torch.testing.assert_close(got, want, rtol=1e-14, atol=0)


@pytest.mark.parametrize("sigma2", [0.0, -1.0, math.nan, math.inf, "a", None, True])
def test_gaussian_nll_cost_rejects_a_bad_sigma2(sigma2):
    with pytest.raises(ValueError, match="sigma2"):
        gaussian_nll_cost(sigma2)


def test_gaussian_nll_cost_sigma2_is_read_only():
    cost = gaussian_nll_cost(0.5)
    with pytest.raises(AttributeError):
        cost.sigma2 = 2.0


def test_wae_cost_scale_turns_the_papers_lambdas_into_ours():
    # lam on 0.05 ||x - y||^2 is lam / 0.05 on ||x - y||^2, up to the overall factor 0.05
    assert WAE_COST_SCALE == 0.05
    rec, pen = torch.tensor([3.0, 5.0], dtype=torch.float64), torch.tensor(0.2, dtype=torch.float64)
    for lam_paper, lam_ours in ((10.0, 200.0), (1.0, 20.0)):
        assert lam_paper / WAE_COST_SCALE == pytest.approx(lam_ours)
        theirs = pot_loss(WAE_COST_SCALE * rec, pen, lam_paper)["loss"]
        ours = pot_loss(rec, pen, lam_ours)["loss"]
        assert (WAE_COST_SCALE * ours).item() == pytest.approx(theirs.item(), rel=1e-14)


# --------------------------------------------------------------------------- POTModel
def _toy(divergence="mmd", **kwargs):
    torch.manual_seed(0)
    return POTModel.for_toy(x_dim=2, z_dim=2, divergence=divergence, hidden=(16,), **kwargs)


def _np_mmd2_imq(x, y, C):
    def gram(a, b):
        sq = ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)
        return C / (C + sq)

    n, m = len(x), len(y)
    kxx, kyy = gram(x, x), gram(y, y)
    return (
        (kxx.sum() - np.trace(kxx)) / (n * (n - 1))
        + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
        - 2 * gram(x, y).mean()
    )


@pytest.mark.parametrize("divergence", ["mmd", "gan"])
def test_pot_loss_equals_reconstruction_plus_lambda_times_penalty(divergence):
    model = _toy(divergence, lam=3.5)
    parts = model.losses(torch.randn(10, 2))
    assert set(parts) == {"loss", "reconstruction", "penalty"}
    assert all(v.ndim == 0 for v in parts.values())
    want = parts["reconstruction"].item() + 3.5 * parts["penalty"].item()
    assert parts["loss"].item() == pytest.approx(want, rel=1e-6), (parts["loss"].item(), want)


def test_mnist_pot_loss_equals_its_parts_for_both_penalties():
    for divergence in ("mmd", "gan"):
        torch.manual_seed(0)
        model = POTModel.for_mnist(z_dim=4, divergence=divergence, lam=2.0)
        parts = model.losses(torch.rand(4, 1, 28, 28))
        want = parts["reconstruction"].item() + 2.0 * parts["penalty"].item()
        assert parts["loss"].item() == pytest.approx(want, rel=1e-6)


@pytest.mark.parametrize("cost", ["squared", "euclidean"])
def test_reconstruction_term_is_mean_per_sample_cost_of_decoded_codes(cost):
    model = _toy(cost=cost)
    x = torch.randn(6, 2)
    parts = model.losses(x)
    diff = (x - model.decoder(model.encoder(x))).detach().numpy()
    per_sample = (diff**2).sum(1) if cost == "squared" else np.sqrt((diff**2).sum(1))
    assert parts["reconstruction"].item() == pytest.approx(per_sample.mean(), rel=1e-5)


def test_mmd_penalty_compares_codes_with_fresh_prior_samples():
    model = _toy("mmd")
    x = torch.randn(12, 2)
    torch.manual_seed(7)
    parts = model.losses(x)
    torch.manual_seed(7)
    z_p = torch.randn(12, 2).numpy().astype(np.float64)  # the prior draw inside losses
    z_q = model.encoder(x).detach().numpy().astype(np.float64)
    want = _np_mmd2_imq(z_q, z_p, C=2.0 * 2)
    assert parts["penalty"].item() == pytest.approx(want, rel=1e-4, abs=1e-6)


def _emd2_through_decoder(model, z_q, z_p, p):
    # the oracle: POT's exact OT value on SciPy's distance matrix between the decoded points
    y_q = model.decoder(z_q).detach().double().numpy()
    y_p = model.decoder(z_p).detach().double().numpy()
    C = cdist(y_q, y_p) ** p
    return ot.emd2(ot.unif(len(y_q)), ot.unif(len(y_p)), C)


@pytest.mark.parametrize(("cost", "p"), [("euclidean", 1), ("squared", 2)])
def test_wcg_penalty_is_exact_ot_between_decoded_codes_and_decoded_prior_draws(cost, p):
    model = _toy("wcg", cost=cost, lam=2.5)
    x = torch.randn(40, 2)
    torch.manual_seed(3)
    parts = model.losses(x)
    torch.manual_seed(3)
    z_p = torch.randn(40, 2)  # the prior draw inside losses
    want = _emd2_through_decoder(model, model.encoder(x), z_p, p)
    assert parts["penalty"].item() == pytest.approx(want, rel=1e-5), (parts["penalty"], want)
    assert parts["loss"].item() == pytest.approx(
        parts["reconstruction"].item() + 2.5 * want, rel=1e-5)


def test_wcg_gradient_is_the_derivative_of_the_exact_ot_value():
    # Envelope theorem: with the plan held fixed, autograd gives d/dt W(theta + t v); the
    # oracle differentiates ot.emd2 recomputed at perturbed weights by central differences.
    model = _toy("wcg", cost="euclidean").double()
    x = torch.randn(30, 2, dtype=torch.float64)
    z_p = torch.randn(30, 2, dtype=torch.float64)
    params = model.main_parameters()
    directions = [torch.randn_like(q) for q in params]
    value = model._latent_transport(model.encode(x), z_p)
    grads = torch.autograd.grad(value, params)
    slope = sum((g * v).sum() for g, v in zip(grads, directions, strict=True)).item()
    h, ends = 1e-6, []
    for sign in (1, -1):
        with torch.no_grad():
            for q, v in zip(params, directions, strict=True):
                q.add_(sign * h * v)
        ends.append(_emd2_through_decoder(model, model.encoder(x), z_p, 1))
        with torch.no_grad():
            for q, v in zip(params, directions, strict=True):
                q.sub_(sign * h * v)
    assert slope == pytest.approx((ends[0] - ends[1]) / (2 * h), rel=1e-4, abs=1e-7)


def test_wcg_sinkhorn_plan_costs_at_least_the_exact_value_and_approaches_it():
    x, z_p = torch.randn(30, 2), torch.randn(30, 2)
    model = _toy("wcg", cost="euclidean")
    exact = _emd2_through_decoder(model, model.encoder(x), z_p, 1)
    values = []
    for reg in (0.5, 0.05, 0.005):
        entropic = _toy("wcg", cost="euclidean", wcg_reg=reg)
        values.append(entropic._latent_transport(entropic.encode(x), z_p).item())
    assert all(v >= exact - 1e-5 for v in values), (values, exact)
    assert values[0] > values[-1] and values[-1] == pytest.approx(exact, rel=2e-2)


def test_wcg_penalty_vanishes_when_the_codes_are_the_prior_draws():
    model = _toy("wcg", cost="euclidean")
    z = torch.randn(25, 2)
    assert model._latent_transport(z, z[torch.randperm(25)]).item() == pytest.approx(0.0, abs=1e-6)


def test_gan_penalty_is_minus_mean_log_sigmoid_of_discriminator_on_codes():
    model = _toy("gan")
    x = torch.randn(9, 2)
    logits = model.discriminator(model.encoder(x)).detach().numpy().astype(np.float64)
    want = np.logaddexp(0.0, -logits).mean()
    assert model.losses(x)["penalty"].item() == pytest.approx(want, rel=1e-5)


def test_adversary_loss_trains_discriminator_only_and_matches_formula():
    model = _toy("gan")
    x = torch.randn(8, 2)
    torch.manual_seed(3)
    out = model.adversary_loss(x)
    torch.manual_seed(3)
    z_p = torch.randn(8, 2)
    with torch.no_grad():
        lp = model.discriminator(z_p).double().numpy()
        lq = model.discriminator(model.encoder(x)).double().numpy()
    want = np.logaddexp(0.0, -lp).mean() + np.logaddexp(0.0, lq).mean()
    assert set(out) == {"loss"}
    assert out["loss"].item() == pytest.approx(want, rel=1e-5)
    out["loss"].backward()
    assert all(p.grad is None for p in model.encoder.parameters()), "codes must be detached"
    assert all(p.grad is not None for p in model.discriminator.parameters())


def test_parameter_groups_split_networks_from_discriminator():
    model = _toy("gan")
    main = {id(p) for p in model.main_parameters()}
    adv = {id(p) for p in model.adversary_parameters()}
    assert main == {id(p) for p in (*model.encoder.parameters(), *model.decoder.parameters())}
    assert adv == {id(p) for p in model.discriminator.parameters()}
    assert main | adv == {id(p) for p in model.parameters()}


def test_mmd_model_has_no_adversary():
    model = _toy("mmd")
    assert model.adversary_parameters() == []
    with pytest.raises(RuntimeError, match="no adversary"):
        model.adversary_loss(torch.randn(4, 2))


def test_prior_samples_are_standard_normal():
    torch.manual_seed(0)
    model = POTModel.for_toy(x_dim=2, z_dim=3, hidden=(4,))
    z = model.sample_prior(20000).double()
    assert z.shape == (20000, 3) and z.dtype == torch.float64
    # standard errors: 1/sqrt(n) ~ 0.007 for the mean, ~0.01 for the covariance
    np.testing.assert_allclose(z.mean(0).numpy(), 0.0, atol=0.04)
    np.testing.assert_allclose(torch.cov(z.T).numpy(), np.eye(3), atol=0.05)


def test_sample_reconstruct_and_encode_shapes():
    torch.manual_seed(0)
    model = POTModel.for_mnist(z_dim=4)
    x = torch.rand(3, 1, 28, 28)
    assert model.encode(x).shape == (3, 4)
    assert model.reconstruct(x).shape == (3, 1, 28, 28)
    samples = model.sample(5)
    assert samples.shape == (5, 1, 28, 28) and not samples.requires_grad


def test_for_constructors_build_a_discriminator_only_for_gan():
    assert POTModel.for_toy(divergence="mmd", hidden=(4,)).discriminator is None
    assert isinstance(POTModel.for_toy(divergence="gan", hidden=(4,)).discriminator, nn.Module)
    assert isinstance(POTModel.for_mnist(divergence="gan").discriminator, LatentDiscriminator)


def test_multiscale_rbf_penalty_is_used_when_requested():
    model = _toy("mmd", mmd_kernel="rbf", mmd_scales=(0.5, 2.0))
    x = torch.randn(12, 2)
    torch.manual_seed(1)
    got = model.losses(x)["penalty"].item()
    torch.manual_seed(1)
    z_p = torch.randn(12, 2).double().numpy()
    z_q = model.encoder(x).detach().double().numpy()

    def gram(a, b):
        sq = ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)
        return np.exp(-sq / 2.0) + np.exp(-sq / 8.0)  # C = 4, scales 0.5 and 2

    kxx, kyy = gram(z_q, z_q), gram(z_p, z_p)
    want = (
        (kxx.sum() - np.trace(kxx)) / 132 + (kyy.sum() - np.trace(kyy)) / 132
        - 2 * gram(z_q, z_p).mean()
    )
    assert got == pytest.approx(want, rel=1e-4, abs=1e-6)


def _parts():
    return MLPEncoder(2, 2, hidden=(4,)), MLPDecoder(2, 2, hidden=(4,))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"cost": "l1"}, r"unknown cost 'l1'; choose one of \['euclidean', 'squared'\]"),
        ({"divergence": "kl"}, r"unknown divergence 'kl'; choose one of \['mmd', 'gan', 'wcg'\]"),
        ({"divergence": "foo"}, r"unknown divergence 'foo'"),
        ({"cost": 3.0}, r"cost must be a name in \['euclidean', 'squared'\] or a callable"),
        ({"cost": None}, "or a callable per-sample cost"),
        ({"mmd_kernel": "laplace"}, r"choose one of \['imq', 'rbf'\]"),
        ({"divergence": "gan"}, "needs a latent discriminator"),
        ({"discriminator": LatentDiscriminator(2, hidden=(4,))},
         "only used with divergence='gan'"),
        ({"lam": -1.0}, "lam must be a finite number >= 0"),
        ({"lam": math.nan}, "lam must be a finite number >= 0"),
        ({"lam": "ten"}, "lam must be a number >= 0"),
        ({"mmd_scales": (1.0, -2.0)}, "positive"),
        ({"mmd_scales": ()}, "mmd_scales is empty"),
        ({"wcg_reg": 0.1}, "wcg_reg is only used with divergence='wcg'"),
        ({"divergence": "wcg", "wcg_reg": 0.0}, "wcg_reg"),
        ({"divergence": "wcg", "wcg_reg": -1.0}, "wcg_reg"),
        ({"divergence": "wcg", "wcg_reg": math.nan}, "wcg_reg must be a positive finite"),
        ({"divergence": "wcg", "wcg_reg": "0.1"}, "wcg_reg must be a positive number, got '0.1'"),
        ({"divergence": "wcg", "wcg_reg": True}, "wcg_reg must be a positive number, got True"),
        # Issue 23: 1e-320 built a model whose Sinkhorn returned a NaN penalty, silently.
        ({"divergence": "wcg", "wcg_reg": 1e-320},
         r"^wcg_reg=1e-320 is below 1e-12: .*use e\.g\. wcg_reg=0\.05, or wcg_reg=None"),
        ({"divergence": "wcg", "wcg_reg": 1e-13}, r"^wcg_reg=1e-13 is below 1e-12"),
        ({"divergence": "wcg", "discriminator": LatentDiscriminator(2, hidden=(4,))},
         "only used with divergence='gan'"),
    ],
)
def test_pot_model_rejects_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        POTModel(*_parts(), z_dim=2, **kwargs)


def test_pot_model_rejects_bad_z_dim():
    with pytest.raises(ValueError, match="z_dim"):
        POTModel(*_parts(), z_dim=0)


def test_encoder_with_wrong_output_size_is_reported():
    model = POTModel(MLPEncoder(2, 3, hidden=(4,)), MLPDecoder(2, 2, hidden=(4,)), z_dim=2)
    with pytest.raises(ValueError, match=r"encoder returned codes of shape \(5, 3\)"):
        model.losses(torch.randn(5, 2))


def test_decoder_with_wrong_output_shape_is_reported():
    model = POTModel(MLPEncoder(2, 2, hidden=(4,)), MLPDecoder(2, 3, hidden=(4,)), z_dim=2)
    with pytest.raises(ValueError, match="decoder returned shape"):
        model.losses(torch.randn(5, 2))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("divergence", ["mmd", "gan", "wcg"])
def test_pot_model_losses_run_on_cuda(divergence):
    torch.manual_seed(0)
    model = POTModel.for_mnist(z_dim=4, divergence=divergence).cuda()
    parts = model.losses(torch.rand(6, 1, 28, 28, device="cuda"))
    assert all(v.device.type == "cuda" for v in parts.values())
    assert model.sample_prior(3).device.type == "cuda"
    if divergence == "gan":
        assert model.adversary_loss(torch.rand(6, 1, 28, 28, device="cuda"))["loss"].is_cuda


def test_divergences_are_mmd_gan_and_wcg_and_the_repr_names_them():
    assert DIVERGENCES == ("mmd", "gan", "wcg")
    model = _toy("gan", lam=2.0)
    assert model.divergence == "gan" and not hasattr(model, "penalty")
    assert "divergence='gan'" in repr(model) and "cost='squared'" in repr(model)


def test_a_callable_cost_is_used_per_sample():
    def l1(x, y):
        return (x - y).abs().sum(1)

    model = _toy(cost=l1)
    x = torch.randn(7, 2)
    with torch.no_grad():
        want = (x - model.reconstruct(x)).abs().sum(1).mean().item()
        assert model.losses(x)["reconstruction"].item() == pytest.approx(want, rel=1e-6)
    assert "cost='l1'" in repr(model)
    nll = _toy(cost=gaussian_nll_cost(0.5))
    assert "cost=gaussian_nll_cost(sigma2=0.5)" in repr(nll)


def test_a_cost_that_does_not_return_one_value_per_sample_is_reported():
    model = _toy(cost=lambda x, y: (x - y).pow(2).sum())
    with pytest.raises(ValueError, match=r"cost returned shape .* one value per sample"):
        model.losses(torch.randn(4, 2))
    model = _toy(cost=lambda x, y: (x - y).pow(2))
    with pytest.raises(ValueError, match="one value per sample"):
        model.losses(torch.randn(4, 2))


def test_sample_prior_rejects_a_bad_count():
    model = _toy()
    for n in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="positive integer"):
            model.sample_prior(n)


# --------------------------------------------------------------------------- bad input (issue 16)
class _NaNAfter(nn.Module):
    """An encoder whose codes turn NaN from its ``k``-th call on."""

    def __init__(self, k):
        super().__init__()
        self.layer, self.k, self.calls = nn.Linear(2, 2), k, 0

    def forward(self, x):
        self.calls += 1
        z = self.layer(x)
        return z * math.nan if self.calls >= self.k else z


@pytest.mark.parametrize("where", ["codes at step 3", "data"])
def test_wae_mmd_divergence_raises_fits_guard_naming_the_step(where):
    # Before: mmd2's input check raised a ValueError naming no step.
    torch.manual_seed(0)
    x = torch.randn(40, 2)
    if where == "data":
        x[3] = math.nan
        model, step = POTModel.for_toy(hidden=(4,)), 1
    else:
        model, step = POTModel(_NaNAfter(3), MLPDecoder(2, 2, hidden=(4,)), 2), 3
    with pytest.raises(RuntimeError, match=rf"step {step}: training diverged.*penalty = nan"):
        fit(model, x, steps=5, batch_size=40 if where == "data" else 10, progress=False)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"encoder": lambda x: x}, "encoder must be an nn.Module.*got function"),
        ({"decoder": 3}, "decoder must be an nn.Module.*got int"),
        ({"divergence": "gan", "discriminator": lambda z: z[:, 0]},
         "discriminator must be an nn.Module"),
        ({"cost": ["squared"]}, "cost must be a name in"),
        ({"cost": {}}, "cost must be a name in"),
        ({"mmd_kernel": ["imq"]}, r"unknown mmd_kernel \['imq'\]"),
        ({"mmd_kernel": {}}, "unknown mmd_kernel"),
        ({"divergence": ["mmd"]}, "unknown divergence"),
        ({"lam": "10"}, "lam must be a number >= 0, got '10'"),
    ],
)
def test_pot_model_refuses_non_modules_and_unhashable_options(kwargs, match):
    encoder, decoder = _parts()
    args = {"encoder": encoder, "decoder": decoder, "z_dim": 2, **kwargs}
    with pytest.raises(ValueError, match=match):
        POTModel(**args)


@pytest.mark.parametrize("dtype", [torch.int64, torch.bool, torch.complex64])
def test_pot_loss_refuses_non_real_float_terms_naming_them(dtype):
    values = torch.tensor([1, 0]).to(dtype)
    with pytest.raises(ValueError, match=rf"reconstruction must hold real floating.*{dtype}"):
        pot_loss(values, torch.tensor(0.5), lam=1.0)
    with pytest.raises(ValueError, match=rf"penalty must be a real floating.*{dtype}"):
        pot_loss(torch.ones(2), values[0], lam=1.0)


@pytest.mark.parametrize(
    "call",
    [
        lambda a, b: squared_cost(a, b),
        lambda a, b: euclidean_cost(a, b),
        lambda a, b: gaussian_nll(a, b, 1.0),
        lambda a, b: gradient_penalty(lambda t: t.sum(1), a, b),
        lambda a, b: MLPEncoder(2, 2, hidden=(4,))(b),
    ],
    ids=["squared_cost", "euclidean_cost", "gaussian_nll", "gradient_penalty", "MLP"],
)
def test_arguments_on_two_devices_get_a_device_error(call):
    # "meta" stands for a second device on a machine without a GPU: no data, any shape.
    cpu, other = torch.zeros(3, 2), torch.zeros(3, 2, device="meta")
    with pytest.raises(ValueError, match=r"(on|lives on) (cpu|meta) but .* on (meta|cpu)"):
        call(cpu, other)


def test_a_models_loss_checks_its_weight_once_at_construction_not_per_batch(monkeypatch):
    import vegan_lib.pot as pot_module

    model = POTModel.for_toy(hidden=(8,), lam=3.0)
    calls = []
    monkeypatch.setattr(pot_module, "check_non_negative",
                        lambda *a, **k: calls.append(a) or a[0])
    x = torch.randn(16, 2)
    for _ in range(3):
        terms = model.losses(x)
    assert calls == []
    assert terms["loss"].item() == pytest.approx(
        (terms["reconstruction"] + 3.0 * terms["penalty"]).item(), rel=1e-6)
    pot_loss(torch.ones(2), torch.tensor(0.5), lam=1.0)  # the public function still checks
    assert len(calls) == 1


# --------------------------------------------------------------------------- bad input (issue 23)
@pytest.mark.filterwarnings("ignore:Sinkhorn did not converge")
def test_wcg_reg_at_the_floor_is_accepted_and_gives_a_finite_penalty():
    torch.manual_seed(0)
    model = POTModel.for_toy(hidden=(4,), divergence="wcg", wcg_reg=1e-12)
    assert model.wcg_reg == 1e-12
    assert math.isfinite(model.losses(torch.randn(8, 2))["penalty"].item())


def test_wcg_costs_beyond_sinkhorns_range_raise_naming_wcg_reg_and_the_fix():
    # Costs of 1e3 / 1e-12 = 1e15 are beyond float64's reach in Sinkhorn's log domain:
    # before, the plan's mass drifted from 1 (or overflowed) without a word.
    torch.manual_seed(0)
    model = POTModel.for_toy(hidden=(4,), divergence="wcg", wcg_reg=1e-12)
    z = torch.randn(6, 2)
    with pytest.raises(ValueError, match=r"^wcg_reg=1e-12 is too small for this batch's costs "
                                         r"\(largest .*raise wcg_reg to at least .*wcg_reg=None"):
        model._latent_transport(z, z + 1e3)


@pytest.mark.parametrize("wcg_reg", [None, 0.1])
@pytest.mark.parametrize("where", ["codes at step 3", "data"])
def test_wcg_divergence_raises_fits_guard_naming_the_step(monkeypatch, where, wcg_reg):
    # Issue 23: NaN codes or data reached ot.emd, which said "the network simplex did not
    # reach the optimum ... raise num_iter_max", naming no step. Now the cost matrix, already
    # on the host for the solver, is checked there: a NaN penalty, no solver, fit's guard.
    import vegan_lib.pot as pot_module

    finite = []  # one entry per solver call: was the cost matrix it got finite?

    def spy(solver):
        def solve(a, b, C, *args, **kwargs):
            finite.append(bool(np.isfinite(C).all()))
            return solver(a, b, C, *args, **kwargs)
        return solve

    monkeypatch.setattr(pot_module, "solve_emd", spy(pot_module.solve_emd))
    monkeypatch.setattr(pot_module.ot, "sinkhorn", spy(pot_module.ot.sinkhorn))
    torch.manual_seed(0)
    x = torch.randn(40, 2)
    if where == "data":
        x[3] = math.nan
        model, step = POTModel.for_toy(hidden=(4,), divergence="wcg", wcg_reg=wcg_reg), 1
    else:
        model, step = POTModel(_NaNAfter(3), MLPDecoder(2, 2, hidden=(4,)), 2,
                               divergence="wcg", wcg_reg=wcg_reg), 3
    with pytest.raises(RuntimeError, match=rf"step {step}: training diverged.*penalty = nan"):
        fit(model, x, steps=5, batch_size=40 if where == "data" else 10, progress=False)
    assert finite == [True] * (step - 1)  # the solver never saw the NaN matrix


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: POTModel.for_toy(hidden=(4,), cost=lambda a, b: torch.ones(
            a.shape[0], dtype=torch.long)).losses(torch.randn(4, 2)),
         r"^the cost returned shape \(4,\) and dtype torch\.int64 for a batch of 4; a cost "
         r"returns one value per sample, a floating-point tensor"),
        (lambda: POTModel.for_toy(hidden=(4,)).losses(torch.zeros(0, 2)), r"^x is an empty batch"),
        (lambda: POTModel.for_toy(hidden=(4,), lam_aae=None, lam=None, z_dim=0), r"^z_dim must"),
        (lambda: POTModel.for_mnist(divergence="wass"), r"^unknown divergence 'wass'"),
        (lambda: POTModel.for_toy(hidden=(4,), mmd_scales="1"), r"^mmd_scales must be an iter"),
        (lambda: setattr(POTModel.for_toy(hidden=(4,)), "lam", math.inf), r"^lam must be a fin"),
        (lambda: POTModel.for_toy(hidden=(4,)).prior_mmd(torch.randn(4, 2), seed=-1),
         r"^seed must be in \[0, 2\*\*32\)"),
        (lambda: pot_loss(torch.ones(2), torch.tensor(0.5), None), r"^lam must be a number >= 0"),
        (lambda: pot_loss(torch.ones(2), torch.ones(1), 1.0), r"^penalty must be a 0-dim"),
        (lambda: squared_cost(torch.zeros(2, 2), torch.zeros(2, 2, dtype=torch.long)),
         r"^y must be a floating-point tensor"),
        (lambda: euclidean_cost(torch.tensor(1.0), torch.tensor(1.0)), r"^x is 0-dimensional"),
    ],
    ids=["cost-int", "losses-empty", "z_dim", "divergence", "mmd_scales", "lam-setter",
         "prior_mmd-seed", "pot_loss-lam", "pot_loss-penalty", "squared-int", "euclidean-0d"],
)
def test_pot_functions_refuse_bad_input_naming_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()
