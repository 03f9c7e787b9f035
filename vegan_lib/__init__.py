"""vegan_lib: the library behind the VEGAN Cookbook.

One module per chapter idea, in the order the book needs them:

- :mod:`vegan_lib.device` — ``get_device``, ``seed_everything`` (all chapters)
- :mod:`vegan_lib.data` — ``toy_2d``, ``mnist``, ``digits``
- :mod:`vegan_lib.transport` — exact, 1-D, Gaussian and entropic optimal transport (chapter 1)
- :mod:`vegan_lib.theory` — the encoder form of the transport cost (chapter 2)
- :mod:`vegan_lib.exact_pot` — penalised OT solved exactly as linear programmes (3, 6)
- :mod:`vegan_lib.divergences` — latent divergences :math:`D(Q_Z, P_Z)`: MMD, adversarial
- :mod:`vegan_lib.nets` — encoders, decoders, discriminators, critics (building blocks)
- :mod:`vegan_lib.costs` — per-sample costs :math:`c(x, y)` and the Gaussian NLL
- :mod:`vegan_lib.protocol` — ``ModelFacts`` (what each model class states about itself), the
  Gaussian prior and the generator–critic base
- :mod:`vegan_lib.pot` — the POT objective, ``POTModel`` (WAE-MMD, WAE-GAN, the AAE)
- :mod:`vegan_lib.vae` — the VAE and AVB, the Bayes decoder, the KL split (chapter 5)
- :mod:`vegan_lib.wgan` — critic losses, Lipschitz constraints, ``WGANModel`` (chapter 6)
- :mod:`vegan_lib.duality` — Kantorovich potentials, Lipschitz constants, certified bounds
- :mod:`vegan_lib.fdivergences` — f-divergences, conjugates, the f-GAN bound and ``FGANModel`` (7)
- :mod:`vegan_lib.vegan_map` — the VEGAN map, probabilistic PCA and its VAE, W₂ potentials (7)
- :mod:`vegan_lib.train` — ``fit``: the one training loop
- :mod:`vegan_lib.classifier`, :mod:`vegan_lib.metrics` — the scoreboard's measures (5–7)
- :mod:`vegan_lib.recipes` — every named recipe of the book, defined once, trained, measured
- :mod:`vegan_lib.reference` — the reference run (``python -m vegan_lib.reference``)
- :mod:`vegan_lib.plotting`, :mod:`vegan_lib.explorers` — figures and interactive explorers
  (imported on demand: they need matplotlib and ipywidgets)

The names the chapters use are re-exported here, so ``from vegan_lib import POTModel`` works.
"""

# First: keeps POT from importing JAX/TensorFlow/CuPy (JAX would grab the GPU memory).
import vegan_lib._pot_backends  # noqa: F401
from vegan_lib import recipes
from vegan_lib.classifier import classifier_accuracy, train_digit_classifier
from vegan_lib.costs import euclidean_cost, gaussian_nll, gaussian_nll_cost, squared_cost
from vegan_lib.data import digits, mnist, toy_2d
from vegan_lib.device import get_device, seed_everything
from vegan_lib.divergences import js_lower_bound, latent_discriminator_loss, mmd2
from vegan_lib.duality import (
    certified_w1_lower_bound,
    empirical_lipschitz,
    fit_critic,
    kantorovich_potentials,
)
from vegan_lib.exact_pot import PenalizedOTResult, pot_relaxation, pot_wgan_dual_lp
from vegan_lib.fdivergences import (
    F_DIVERGENCES,
    FGANModel,
    f_divergence,
    fit_variational_bound,
    gan_generator_loss,
    js_between_unit_gaussians,
    kl_between_gaussians,
    optimal_critic,
    variational_bound,
)
from vegan_lib.metrics import (
    data_floor,
    frechet_classifier_distance,
    frechet_distance,
    model_w2_to_data,
    precision_recall,
    sharpness,
    sharpness_ratio,
    w2_to_data,
)
from vegan_lib.nets import Critic, LatentDiscriminator
from vegan_lib.pot import (
    WAE_COST_SCALE,
    POTModel,
    aae_to_pot_lambda,
    pot_to_aae_lambda,
    pot_twin,
)
from vegan_lib.recipes import RECIPES
from vegan_lib.scoring import cross_seed_count, data_floors, fcd_drift, split_floor_digits
from vegan_lib.theory import (
    encoder_form,
    fold_generator,
    pushforward,
    random_decoder_encoder_form,
    random_encoder_problem,
)
from vegan_lib.train import History, fit, load_checkpoint
from vegan_lib.transport import (
    cost_matrix,
    exact_ot,
    gaussian_w2,
    sinkhorn,
    sinkhorn_plan,
    wasserstein,
    wasserstein_1d,
)
from vegan_lib.vae import AVBModel, VAEModel, bayes_decoder, gaussian_kl, kl_split, log_normal
from vegan_lib.vegan_map import (
    VEGAN_MAP,
    LinearVAE,
    c_transform,
    gaussian_brenier,
    ppca_log_likelihood,
    ppca_mle,
    ppca_posterior,
)
from vegan_lib.wgan import WGANModel

__version__ = "0.1.0"

__all__ = [
    "AVBModel",
    "Critic",
    "FGANModel",
    "F_DIVERGENCES",
    "History",
    "LatentDiscriminator",
    "LinearVAE",
    "POTModel",
    "PenalizedOTResult",
    "RECIPES",
    "VAEModel",
    "VEGAN_MAP",
    "WAE_COST_SCALE",
    "WGANModel",
    "aae_to_pot_lambda",
    "bayes_decoder",
    "c_transform",
    "certified_w1_lower_bound",
    "classifier_accuracy",
    "cost_matrix",
    "cross_seed_count",
    "data_floor",
    "data_floors",
    "digits",
    "empirical_lipschitz",
    "encoder_form",
    "euclidean_cost",
    "exact_ot",
    "fcd_drift",
    "f_divergence",
    "fit",
    "fit_critic",
    "fit_variational_bound",
    "fold_generator",
    "frechet_classifier_distance",
    "frechet_distance",
    "gan_generator_loss",
    "gaussian_brenier",
    "gaussian_kl",
    "gaussian_nll",
    "gaussian_nll_cost",
    "gaussian_w2",
    "get_device",
    "js_between_unit_gaussians",
    "js_lower_bound",
    "kantorovich_potentials",
    "kl_between_gaussians",
    "kl_split",
    "latent_discriminator_loss",
    "load_checkpoint",
    "log_normal",
    "mmd2",
    "mnist",
    "model_w2_to_data",
    "optimal_critic",
    "pot_relaxation",
    "pot_to_aae_lambda",
    "pot_twin",
    "pot_wgan_dual_lp",
    "ppca_log_likelihood",
    "ppca_mle",
    "ppca_posterior",
    "precision_recall",
    "pushforward",
    "random_decoder_encoder_form",
    "random_encoder_problem",
    "recipes",
    "seed_everything",
    "sharpness",
    "sharpness_ratio",
    "sinkhorn",
    "sinkhorn_plan",
    "split_floor_digits",
    "squared_cost",
    "toy_2d",
    "train_digit_classifier",
    "variational_bound",
    "w2_to_data",
    "wasserstein",
    "wasserstein_1d",
]
