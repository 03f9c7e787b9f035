"""Tests for vegan_lib.nets: shapes, output ranges, no batch norm, clear shape errors."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from vegan_lib.nets import (
    MLP,
    AVBDiscriminator,
    ConvCritic,
    ConvDecoder,
    ConvEncoder,
    Critic,
    DigitClassifier,
    GaussianConvEncoder,
    GaussianMLPEncoder,
    LatentDiscriminator,
    MLPDecoder,
    MLPEncoder,
    NoisyConvEncoder,
    NoisyMLPEncoder,
)

ALL_NETS = [
    lambda: MLP(3, 2),
    lambda: MLPEncoder(2, 2),
    lambda: MLPDecoder(2, 2),
    lambda: LatentDiscriminator(8),
    lambda: ConvEncoder(8),
    lambda: ConvDecoder(8),
]


def test_mlp_maps_n_by_in_dim_to_n_by_out_dim():
    assert MLP(3, 5, hidden=(7, 6))(torch.zeros(4, 3)).shape == (4, 5)


def test_mlp_layer_widths_follow_hidden_and_activation_sits_between_layers():
    net = MLP(3, 5, hidden=(7, 6), activation=nn.Tanh)
    linears = [m for m in net.modules() if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(3, 7), (7, 6), (6, 5)]
    assert sum(isinstance(m, nn.Tanh) for m in net.modules()) == 2
    assert not isinstance(list(net.net)[-1], nn.Tanh), "no activation after the last layer"


def test_mlp_with_no_hidden_layer_is_affine():
    torch.manual_seed(0)
    net = MLP(2, 2, hidden=())
    a, b = torch.randn(1, 2), torch.randn(1, 2)
    # f(a) + f(b) - f(0) = f(a + b) for an affine map
    lhs = net(a) + net(b) - net(torch.zeros(1, 2))
    torch.testing.assert_close(lhs, net(a + b))


def test_mlp_encoder_decoder_and_discriminator_shapes():
    assert MLPEncoder(2, 3, hidden=(8,))(torch.zeros(5, 2)).shape == (5, 3)
    assert MLPDecoder(3, 2, hidden=(8,))(torch.zeros(5, 3)).shape == (5, 2)
    assert LatentDiscriminator(3, hidden=(8,))(torch.zeros(5, 3)).shape == (5,)


def test_conv_encoder_maps_images_to_codes_through_14_and_7_pixel_maps():
    enc = ConvEncoder(8, channels=(4, 6))
    x = torch.zeros(3, 1, 28, 28)
    assert enc.features[:2](x).shape == (3, 4, 14, 14)
    assert enc.features[:4](x).shape == (3, 6, 7, 7)
    assert enc(x).shape == (3, 8)


def test_conv_decoder_outputs_images_with_pixels_strictly_between_0_and_1():
    torch.manual_seed(0)
    images = ConvDecoder(8)(torch.randn(6, 8))
    assert images.shape == (6, 1, 28, 28)
    assert images.min().item() > 0 and images.max().item() < 1, (images.min(), images.max())


@pytest.mark.parametrize("make", ALL_NETS)
def test_nets_have_float32_parameters_and_no_batch_norm(make):
    net = make()
    assert all(p.dtype == torch.float32 for p in net.parameters())
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in net.modules())


def test_networks_depend_on_each_sample_alone():
    # No batch coupling: the output for a sample does not change with its batch mates.
    torch.manual_seed(0)
    enc = ConvEncoder(4, channels=(4, 4))
    x = torch.rand(5, 1, 28, 28)
    torch.testing.assert_close(enc(x)[:1], enc(x[:1]))


def test_conv_encoder_on_flat_images_says_to_reshape():
    with pytest.raises(ValueError, match=r"reshape\(-1, 1, 28, 28\)"):
        ConvEncoder(8)(torch.zeros(4, 784))


def test_conv_encoder_rejects_wrong_image_size():
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        ConvEncoder(8)(torch.zeros(4, 3, 32, 32))


def test_conv_decoder_rejects_codes_of_the_wrong_size():
    with pytest.raises(ValueError, match=r"\(N, 8\)"):
        ConvDecoder(8)(torch.zeros(4, 5))


def test_mlp_on_images_says_to_flatten():
    with pytest.raises(ValueError, match=r"flatten"):
        MLP(4, 2)(torch.zeros(3, 1, 2, 2))


@pytest.mark.parametrize("bad", [torch.zeros(3, 5), torch.zeros(3), torch.zeros(2, 3, 2)])
def test_mlp_rejects_wrong_input_shape(bad):
    with pytest.raises(ValueError, match=r"expects input of shape \(N, 2\)"):
        MLPEncoder(2, 1)(bad)


def test_nets_reject_non_tensor_input():
    with pytest.raises(ValueError, match="torch.Tensor"):
        LatentDiscriminator(2)([[0.0, 0.0]])


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: MLP(0, 2), "in_dim"),
        (lambda: MLP(2, 2, hidden=(8, 0)), "hidden"),
        (lambda: MLP(2, 2, hidden=8), "sequence"),
        (lambda: ConvEncoder(0), "z_dim"),
        (lambda: ConvEncoder(4, channels=(8, 8, 8)), "two widths"),
        (lambda: ConvDecoder(4, channels=(8,)), "two widths"),
    ],
)
def test_nets_reject_bad_sizes(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_conv_nets_run_on_cuda():
    enc, dec = ConvEncoder(8).cuda(), ConvDecoder(8).cuda()
    out = dec(enc(torch.rand(4, 1, 28, 28, device="cuda")))
    assert out.device.type == "cuda" and out.shape == (4, 1, 28, 28)


# --------------------------------------------------------------------------- moved validators
@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: MLP(2, -1), r"out_dim must be a positive integer.*out_dim="),
        (lambda: MLPEncoder(2.0, 1), "x_dim must be a positive integer"),
        (lambda: GaussianMLPEncoder(0, 2), "x_dim must be a positive integer"),
        (lambda: GaussianConvEncoder(True), "z_dim must be a positive integer"),
        (lambda: NoisyConvEncoder(2, noise_dim=-3), "noise_dim must be a positive integer"),
        (lambda: DigitClassifier(feature_dim=0), "feature_dim must be a positive integer"),
        (lambda: Critic(2, hidden=(4, -1)), r"every entry of hidden .*hidden=\(128, 128\)"),
        (lambda: AVBDiscriminator(2, hidden=None), r"hidden must be a sequence.*hidden="),
        (lambda: AVBDiscriminator(2, hidden=()), "hidden must hold at least one width"),
        (lambda: ConvCritic(channels=(4,)), r"channels must hold exactly two.*channels="),
        (lambda: DigitClassifier(channels=(4, 0)), "every entry of channels"),
    ],
)
def test_constructors_name_the_bad_size_and_the_fix(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: GaussianConvEncoder(2)(torch.zeros(2, 784)), r"GaussianConvEncoder .*reshape"),
        (lambda: GaussianMLPEncoder(2, 1)(torch.zeros(3, 1, 2)), r"GaussianMLPEncoder .*flatten"),
        (lambda: ConvDecoder(3)([[0.0] * 3]), r"ConvDecoder expects a torch\.Tensor"),
        (lambda: ConvDecoder(3)(torch.zeros(2, 4)), r"ConvDecoder expects codes of shape \(N, 3\)"),
        (lambda: DigitClassifier().features(torch.zeros(2, 3, 28, 28)), r"DigitClassifier .*28"),
        (lambda: NoisyMLPEncoder(2, 1, 3)(torch.zeros(4, 2), [0.0]), "NoisyMLPEncoder expects a"),
        (
            lambda: NoisyConvEncoder(2, 3, (2, 2))(torch.zeros(1, 1, 28, 28), torch.zeros(2, 3)),
            r"noise of shape \(1, 3\).*noise=None",
        ),
        (lambda: Critic(3)(torch.zeros(2, 2)), r"Critic expects input of shape \(N, 3\)"),
        (
            lambda: AVBDiscriminator(2, x_dim=3)(torch.zeros(2, 4), torch.zeros(2, 2)),
            r"data x of shape \(N, 3\)",
        ),
    ],
)
def test_forward_names_the_network_the_expected_shape_and_the_fix(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --------------------------------------------------------------------------- weights
@pytest.mark.parametrize(
    ("make", "weights"),
    [
        (lambda: GaussianMLPEncoder(2, 3, hidden=(4,)), ["net.net.0", "net.net.2"]),
        (lambda: GaussianConvEncoder(2, channels=(2, 4)), ["features.0", "features.2", "head"]),
        (
            lambda: NoisyConvEncoder(2, 2, channels=(2, 4), hidden=(4,)),
            ["features.0", "features.2", "head.net.0", "head.net.2"],
        ),
        (
            lambda: AVBDiscriminator(2, hidden=(4,), channels=(2, 4)),
            ["features.0", "features.2", "z_features.0.net.0", "z_features.0.net.2",
             "joint.net.0", "joint.net.2"],
        ),
        (lambda: ConvCritic(channels=(2, 4)), ["net.0", "net.2", "net.5"]),
        (lambda: DigitClassifier(4, channels=(2, 4)), ["body.0.0", "body.0.2", "body.1", "head"]),
        (lambda: ConvDecoder(2, channels=(4, 2)), ["head.0", "body.0", "body.2"]),
    ],
)
def test_state_dict_keys_stay_those_of_saved_checkpoints(make, weights):
    # Checkpoints and reference runs load by these names, in this creation order.
    keys = [k for k in make().state_dict() if k.endswith("weight")]
    assert keys == [f"{w}.weight" for w in weights]


def test_gaussian_conv_encoder_starts_from_the_conv_encoder_weights_with_twice_the_outputs():
    # Same stack, same creation order: under one seed the first layers are equal.
    torch.manual_seed(0)
    gauss = GaussianConvEncoder(3, channels=(2, 4))
    torch.manual_seed(0)
    plain = ConvEncoder(6, channels=(2, 4))
    for key, value in plain.state_dict().items():
        torch.testing.assert_close(gauss.state_dict()[key], value, rtol=0, atol=0)
    mean, logvar = gauss(torch.rand(2, 1, 28, 28))
    assert mean.shape == logvar.shape == (2, 3)


# --------------------------------------------------------------------------- bad input (issue 16)
_FORWARDS = {
    "MLP": (lambda: MLP(3, 2, hidden=(4,)), lambda dt: (torch.zeros(5, 3, dtype=dt),)),
    "ConvEncoder": (lambda: ConvEncoder(4, channels=(4, 8)),
                    lambda dt: (torch.zeros(2, 1, 28, 28, dtype=dt),)),
    "ConvDecoder": (lambda: ConvDecoder(4, channels=(8, 4)),
                    lambda dt: (torch.zeros(2, 4, dtype=dt),)),
    "Critic": (lambda: Critic(3, hidden=(4,)), lambda dt: (torch.zeros(5, 3, dtype=dt),)),
    "ConvCritic": (lambda: ConvCritic(channels=(4, 8)),
                   lambda dt: (torch.zeros(2, 1, 28, 28, dtype=dt),)),
    "DigitClassifier": (lambda: DigitClassifier(8, channels=(4, 8)),
                        lambda dt: (torch.zeros(2, 1, 28, 28, dtype=dt),)),
    "NoisyMLPEncoder": (lambda: NoisyMLPEncoder(2, 3, noise_dim=4, hidden=(8,)),
                        lambda dt: (torch.zeros(5, 2, dtype=dt),)),
    "AVBDiscriminator": (lambda: AVBDiscriminator(3, 2, hidden=(8,)),
                         lambda dt: (torch.zeros(5, 2, dtype=dt), torch.zeros(5, 3, dtype=dt))),
}


@pytest.mark.parametrize("dtype", [torch.int64, torch.uint8, torch.float64])
@pytest.mark.parametrize("name", sorted(_FORWARDS))
def test_forward_names_a_batch_dtype_unlike_the_weights_and_the_fix(name, dtype):
    make, batch = _FORWARDS[name]
    integer = dtype in (torch.int64, torch.uint8)
    fix = r"x\.float\(\) / 255" if integer else r"x\.to\(torch.float32\)"
    with pytest.raises(ValueError, match=rf"{name} expects .*\.float32 .* got {dtype}; .*{fix}"):
        make()(*batch(dtype))
    # A network moved to float64 (chapter 4) takes float64 batches, and only those.
    net = make().to(torch.float64)
    assert net(*batch(torch.float64)).dtype == torch.float64
    if dtype != torch.float64:
        with pytest.raises(ValueError, match=rf"expects .* torch.float64 .* got {dtype}"):
            net(*batch(dtype))


def test_noisy_encoder_names_noise_of_another_dtype():
    enc = NoisyMLPEncoder(2, 3, noise_dim=4, hidden=(8,))
    with pytest.raises(ValueError, match=r"noise of dtype torch.float32.*noise\.to"):
        enc(torch.zeros(5, 2), torch.zeros(5, 4, dtype=torch.float64))


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: MLPEncoder(2, 0), "z_dim must be a positive integer"),
        (lambda: MLPDecoder(2, "a"), "x_dim must be a positive integer"),
        (lambda: LatentDiscriminator(0), "z_dim must be a positive integer"),
        (lambda: Critic(0), "x_dim must be a positive integer"),
        (lambda: MLP(2, 2, hidden=(10**30,)), r"every entry of hidden=.* is too large.*2\*\*63"),
        (lambda: MLP(2, 2, activation=nn.ReLU()), "activation must be a class.*not an instance"),
        (lambda: Critic(2, activation="relu"), "activation must be a class.*got str"),
        (lambda: MLP(2, 2, hidden=(4,), activation=lambda: 3), r"activation\(\) must return an"),
    ],
)
def test_constructors_name_the_callers_argument(make, match):
    # Before: the inner MLP's names (in_dim, out_dim) or a TypeError from torch.
    with pytest.raises(ValueError, match=match):
        make()
