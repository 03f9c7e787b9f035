"""Input validation shared by the modules of :mod:`vegan_lib`.

Every public function of the library checks its input with these helpers before
doing any work, so that a wrong shape, a NaN or a weight vector that does not sum
to one fails at once with a :class:`ValueError` that names the problem *and* the
fix, instead of returning a silently wrong number later.

The helpers convert array-likes (NumPy arrays, lists, numbers) to float64 tensors
and leave floating-point tensors on their device and in their dtype.

The validators are grouped by what they check, one file each: ``values`` (numbers and
options), ``tensors`` (tensors, point clouds, weights, Gaussians), ``models`` (what networks
and models take and return), ``images`` (image batches, features, labels) and ``transport``
(pairs of Gaussians, overflow, Sinkhorn's result); import them from here.
"""

from vegan_lib._checks.divergences import (  # noqa: F401
    check_distribution,
    check_distribution_pair,
    check_sampler,
)
from vegan_lib._checks.images import (  # noqa: F401
    _check_finite_images,
    check_digit_images,
    check_digit_labels,
    check_features,
    check_flat_image_pair,
    check_flat_images,
    check_grey_images,
)
from vegan_lib._checks.models import (  # noqa: F401
    _expect_tensor,
    check_activation,
    check_activation_module,
    check_channels,
    check_checkpoint_payload,
    check_classifier,
    check_codes,
    check_critic_and_constraint,
    check_diag_gaussians,
    check_logits_or_scores,
    check_module,
    check_net_images,
    check_net_input,
    check_net_noise,
    check_output_shape,
    check_per_sample,
    check_query_codes,
    check_same_device,
    check_same_shape,
    check_scalar,
    check_state_dict_fits,
    check_widths,
)
from vegan_lib._checks.tensors import (  # noqa: F401
    _history_value,
    as_numpy,
    as_tensor,
    at_least_float32,
    check_batchable,
    check_cloud,
    check_cloud_pair,
    check_covariance,
    check_curve,
    check_decoded,
    check_decoded_fits_data,
    check_finite,
    check_float_tensor,
    check_gaussian,
    check_plane_array,
    check_plane_points,
    check_point_pair,
    check_points,
    check_same_dim,
    check_samples_1d,
    check_weights,
    common_dtype_device,
    float64_on,
    psd_sqrt,
)
from vegan_lib._checks.transport import (  # noqa: F401
    check_gaussian_pair,
    check_no_overflow,
    check_sinkhorn_reg,
    check_sinkhorn_result,
)
from vegan_lib._checks.values import (  # noqa: F401
    _real,
    check_betas,
    check_callable_or_none,
    check_checkpoint_path,
    check_choice,
    check_device,
    check_int_at_least,
    check_non_negative,
    check_p,
    check_positive,
    check_positive_int,
    check_range,
    check_scales,
    check_seed,
    check_sigma2,
)
