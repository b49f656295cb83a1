"""INT8 inference: post-training static quantization of the folded network.

The API is torch's FX graph mode quantization (``torch.ao.quantization.quantize_fx``),
the one static-quantization path that ships inside torch 2.13 itself (PT2E moved to
the separate ``torchao`` package and needs ``torch.compile``; FX runs eagerly, so
it costs no compile time, only tracing, calibration and conversion at start-up:
1.4 + 4.7 + 0.6 s for b6c96 on a quiet 2-core Xeon, plus making the calibration
positions; ``goagent bench net`` reports it per run).  Kernels: the ``x86`` engine
(fbgemm and oneDNN, VNNI where the CPU has it).

What is quantized, and why (measured on KGS positions, see docs/BENCHMARKS.md):

- the residual blocks' convolutions only: 8-bit per-channel weights, 8-bit
  per-tensor activations (full range: VNNI needs no ``reduce_range``);
- the residual stream, each block's first BatchNorm, the input convolution and
  both heads stay float32: quantizing those moved the value by 0.06 on average;
- before quantizing, each channel is rescaled where the rescaling is exact
  (a positive per-channel factor moved through ReLU into the next layer's
  weights, cross-layer equalization after Nagel et al. 2019), so per-tensor
  activation scales fit every channel.

Calibration is the slow part (making the positions, then the histogram
observers).  ``cached_int8`` keeps the calibrated observers and the equalized
weights on disk, keyed by a hash of the network's weights, the calibration's
settings and torch's version: a later start only traces and converts.

Start reading at ``quantize_int8``.
"""

from __future__ import annotations

import hashlib
import io
import logging
import operator
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn

from goagent.fileio import atomic_write
from goagent.network import GlobalPoolBlock, PolicyValueNet, ResidualBlock

log = logging.getLogger(__name__)

EQUALIZE_ALPHA = 0.5  # how far toward equal channel ranges: 0 none, 1 fully (weights suffer)


class _Body(nn.Module):
    """The folded network's forward without the input check, as a plain tuple (traceable)."""

    def __init__(self, net: PolicyValueNet):
        super().__init__()
        self.net = net

    def forward(self, x):
        net = self.net
        h = net.input_conv(x)
        for block in net.blocks:
            h = block(h)
        t = torch.relu(net.trunk_bn(h))
        policy = net.policy_head(t)
        value, ownership, score = net.value_head(t)
        return policy, value, ownership, score


def _channel_ranges(net: PolicyValueNet, calibration: torch.Tensor) -> dict[str, torch.Tensor]:
    """Per-channel max |activation| at the inputs of each block's two convolutions."""
    ranges: dict[str, torch.Tensor] = {}
    hooks = []

    def record(name):
        def hook(_module, inputs, _output):
            x = inputs[0].detach().abs().amax(dim=(0, 2, 3))
            ranges[name] = torch.maximum(ranges[name], x) if name in ranges else x

        return hook

    for i, block in enumerate(net.blocks):
        hooks.append(block.conv1.register_forward_hook(record(f"{i}.conv1")))
        hooks.append(block.conv2.register_forward_hook(record(f"{i}.conv2")))

        def out_hook(_module, _inputs, output, i=i):  # conv1's own output, pre-ReLU
            x = output.detach().abs().amax(dim=(0, 2, 3))
            key = f"{i}.conv1_out"
            ranges[key] = torch.maximum(ranges[key], x) if key in ranges else x

        hooks.append(block.conv1.register_forward_hook(out_hook))
    try:
        with torch.no_grad():
            for chunk in calibration.split(64):
                net(chunk)
    finally:
        for h in hooks:
            h.remove()
    return ranges


def _factors(channel_max: torch.Tensor) -> torch.Tensor:
    """Positive per-channel factors that pull every channel's range toward the widest one."""
    live = channel_max > 1e-6 * channel_max.max().clamp_min(1e-12)
    target = channel_max.max()
    s = torch.ones_like(channel_max)
    s[live] = (target / channel_max[live]) ** EQUALIZE_ALPHA
    return s


@torch.no_grad()
def equalize(net: PolicyValueNet, calibration: torch.Tensor) -> PolicyValueNet:
    """Rescale, in place and exactly, the channels entering each block's convolutions.

    ``relu(s*y) = s*relu(y)`` for ``s > 0``, so multiplying a channel before a ReLU
    by ``s`` and the next convolution's weights for that input channel by ``1/s``
    leaves the output unchanged (up to float rounding).  Where a pooled bias is
    added (global-pooling blocks), the linear layer making it is scaled too.
    """
    ranges = _channel_ranges(net, calibration)
    for i, block in enumerate(net.blocks):
        # 1) relu(bn1(x)) -> conv1: scale bn1's affine output.
        s = _factors(ranges[f"{i}.conv1"])
        block.bn1.weight.mul_(s)
        block.bn1.bias.mul_(s)
        block.conv1.weight.div_(s[None, :, None, None])
        # 2) conv1 -> relu -> conv2 (and, in pooling blocks, the pooled channels).
        out = ranges[f"{i}.conv1_out"]
        if isinstance(block, ResidualBlock):
            s = _factors(out)
            block.conv1.weight.mul_(s[:, None, None, None])
            block.conv1.bias.mul_(s)
            block.conv2.weight.div_(s[None, :, None, None])
        elif isinstance(block, GlobalPoolBlock):
            r = block.regular
            s = _factors(out)
            block.conv1.weight.mul_(s[:, None, None, None])
            block.conv1.bias.mul_(s)
            sa, sg = s[:r], s[r:]
            block.pool_fc.weight.mul_(sa[:, None])  # the bias it adds scales with its channel
            block.pool_fc.weight.div_(sg.repeat(3)[None, :])  # mean, size-mean, max: homogeneous
            block.conv2.weight.div_(sa[None, :, None, None])
    return net


def _drop_identities(graph_module: torch.fx.GraphModule) -> torch.fx.GraphModule:
    """Remove the ``nn.Identity`` left by BatchNorm folding, so conv + ReLU fuse."""
    modules = dict(graph_module.named_modules())
    for node in list(graph_module.graph.nodes):
        if node.op == "call_module" and isinstance(modules.get(node.target), nn.Identity):
            node.replace_all_uses_with(node.args[0])
            graph_module.graph.erase_node(node)
    graph_module.graph.lint()
    graph_module.recompile()
    return graph_module


def _qconfig_mapping(net: PolicyValueNet):
    from torch.ao.quantization import QConfig, QConfigMapping
    from torch.ao.quantization.observer import HistogramObserver, PerChannelMinMaxObserver

    qconfig = QConfig(
        activation=HistogramObserver.with_args(reduce_range=False),
        weight=PerChannelMinMaxObserver.with_args(dtype=torch.qint8, qscheme=torch.per_channel_symmetric),
    )
    mapping = QConfigMapping().set_global(None)
    mapping.set_object_type(operator.add, None).set_object_type(torch.add, None)
    for i in range(len(net.blocks)):
        mapping.set_module_name(f"net.blocks.{i}", qconfig)
        mapping.set_module_name(f"net.blocks.{i}.bn1", None)
        mapping.set_module_name(f"net.blocks.{i}.pool_fc", None)  # pooled biases: few, and sensitive
    return mapping


class Int8Model(nn.Module):
    """The quantized body behind the float network's interface (``NetOutput``)."""

    def __init__(self, body: nn.Module, config, seconds: dict[str, float]):
        super().__init__()
        self.body = body
        self.config = config
        self.prepare_seconds = seconds  # tracing, calibration, conversion

    def forward(self, x: torch.Tensor):
        from goagent.network import NetOutput

        return NetOutput(*self.body(x.contiguous()))


def _prepared(net: PolicyValueNet, example: torch.Tensor):
    """The traced network with observers (``prepare_fx``) for ``net`` as it is."""
    from torch.ao.quantization.quantize_fx import prepare_fx

    traced = _drop_identities(torch.fx.symbolic_trace(_Body(net)))
    return prepare_fx(traced, _qconfig_mapping(net), example_inputs=(example,))


def _checked_net(net: PolicyValueNet) -> PolicyValueNet:
    import copy

    if not getattr(net, "folded", False):
        raise ValueError("quantize_int8 needs a BatchNorm-folded network (network.prepare_for_inference)")
    if "x86" not in torch.backends.quantized.supported_engines:
        raise RuntimeError(
            "this torch build has no x86 quantized engine: use --precision fp32 "
            f"(engines: {torch.backends.quantized.supported_engines})"
        )
    torch.backends.quantized.engine = "x86"
    return copy.deepcopy(net).to(memory_format=torch.contiguous_format).eval()


def quantize_int8(net: PolicyValueNet, calibration: np.ndarray | torch.Tensor) -> Int8Model:
    """An INT8 copy of the folded, eval-mode ``net``, calibrated on ``calibration`` planes.

    ``calibration``: (N, C, n, n) float32 planes of real positions (a few hundred do).
    """
    return _calibrate(net, calibration)[0]


def _calibrate(net: PolicyValueNet, calibration) -> tuple[Int8Model, dict]:
    """The INT8 model and the calibrated state (equalized weights, observers) it came from."""
    from torch.ao.quantization.quantize_fx import convert_fx

    net = _checked_net(net)
    calibration = torch.as_tensor(calibration, dtype=torch.float32).contiguous()
    seconds = {}
    start = time.perf_counter()
    equalize(net, calibration)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao.quantization's deprecation notices
        prepared = _prepared(net, calibration[:2])
        seconds["prepare"] = time.perf_counter() - start
        start = time.perf_counter()
        with torch.no_grad():
            for chunk in calibration.split(64):
                prepared(chunk)
        seconds["calibrate"] = time.perf_counter() - start
        state = {k: v.detach().clone() for k, v in prepared.state_dict().items()}
        start = time.perf_counter()
        body = convert_fx(prepared)
    seconds["convert"] = time.perf_counter() - start
    return Int8Model(body, net.config, seconds).eval(), state


def network_digest(net: PolicyValueNet, *settings) -> str:
    """A hash of ``net``'s weights and of ``settings`` (what a calibration depends on)."""
    digest = hashlib.sha256(repr((torch.__version__, *settings)).encode())
    for name, tensor in net.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:24]


def cached_int8(
    net: PolicyValueNet, make_calibration: Callable[[], np.ndarray], key: str, folder: Path
) -> Int8Model:
    """``quantize_int8`` with the calibrated state kept in ``folder/int8-KEY.pt``: read back
    when there (loaded with ``weights_only=True``), else calibrated on ``make_calibration()``
    and saved.  A file that does not load is calibrated afresh and replaced."""
    from torch.ao.quantization.quantize_fx import convert_fx

    path = Path(folder) / f"int8-{key}.pt"
    if path.exists():
        start = time.perf_counter()
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
            copy = _checked_net(net)
            example = state["example"]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                prepared = _prepared(copy, torch.zeros(tuple(int(d) for d in example)))
                prepared.load_state_dict(state["prepared"])
                body = convert_fx(prepared)
            model = Int8Model(body, net.config, {"load": time.perf_counter() - start}).eval()
            log.info("INT8 calibration read from %s (%.1f s)", path, time.perf_counter() - start)
            return model
        except Exception as err:  # a corrupt or foreign file: calibrate again, never fail the run
            log.warning("INT8 calibration cache %s unusable (%s): calibrating again", path, err)
    calibration = make_calibration()
    model, prepared_state = _calibrate(net, calibration)
    example = torch.tensor([2, *np.shape(calibration)[1:]])
    buffer = io.BytesIO()
    torch.save({"prepared": prepared_state, "example": example}, buffer)
    try:
        atomic_write(path, buffer.getvalue())
    except OSError as err:  # a read-only home must not stop play
        log.warning("could not cache the INT8 calibration in %s: %s", path, err)
    return model
