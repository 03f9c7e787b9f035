"""Input validation shared by the modules of :mod:`vegan_lib`.

Every public function of the library checks its input before doing any work, so that a
wrong shape, a NaN or a weight vector that does not sum to one fails at once with a
:class:`ValueError` that names the problem *and* the fix, instead of returning a silently
wrong number later.

The helpers convert array-likes (NumPy arrays, lists, numbers) to float64 tensors
and leave floating-point tensors on their device and in their dtype.

This package is for shared validators: numbers, tensors, devices, what networks and models
return, used by two modules or more (or by another validator here). A check that serves
one module belongs in that module, private (``def _check_...``), beside the code it guards.
``tests/test_public_api.py`` checks that no public ``check_*`` lives outside this package
and that every function here is used.

The validators are grouped by what they check, one file each: ``values`` (numbers and
options), ``tensors`` (tensors, point clouds, weights, Gaussians), ``models`` (what networks
and models take and return), ``images`` (digit images), ``transport`` (pairs of Gaussians,
overflow) and ``divergences`` (discrete laws, samplers); import them from here.
"""

from vegan_lib._checks.divergences import (  # noqa: F401
    check_distribution,
    check_distribution_pair,
    check_sampler,
)
from vegan_lib._checks.images import check_digit_images, check_finite_images  # noqa: F401
from vegan_lib._checks.models import (  # noqa: F401
    check_classifier,
    check_codes,
    check_logits_or_scores,
    check_module,
    check_output_shape,
    check_per_sample,
    check_same_device,
    check_same_shape,
)
from vegan_lib._checks.tensors import (  # noqa: F401
    as_numpy,
    as_real_tensor,
    as_tensor,
    at_least_float32,
    check_cloud,
    check_cloud_pair,
    check_covariance,
    check_decoded,
    check_decoded_fits_data,
    check_finite,
    check_float_tensor,
    check_gaussian,
    check_plane_points,
    check_points,
    check_same_dim,
    check_weights,
    common_dtype_device,
    float64_on,
    psd_sqrt,
)
from vegan_lib._checks.transport import check_gaussian_pair, check_no_overflow  # noqa: F401
from vegan_lib._checks.values import (  # noqa: F401
    check_batch_pair,
    check_betas,
    check_choice,
    check_device,
    check_draw,
    check_int_at_least,
    check_net_scores,
    check_non_negative,
    check_p,
    check_positive,
    check_positive_int,
    check_range,
    check_scales,
    check_seed,
    check_sigma2,
)
