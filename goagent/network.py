"""The policy/value network: a pre-activation ResNet with global pooling, size-agnostic heads.

Conventions (ARCHITECTURE.md sections 2-3):

- Input ``(B, in_channels, n, n)`` float32 planes from ``goagent.features``; this
  module knows no Go rules and only checks the plane count.
- ``policy_logits`` is ``(B, n*n+1)``: ``action = row*n + col``, pass last.
- ``value`` ``(B,)`` is tanh in [-1, 1], ``ownership`` ``(B, n, n)`` tanh in
  [-1, 1] and ``score`` ``(B,)`` the lead in points, all from the side to move's view.
- Every head is fully convolutional or globally pooled, so one set of weights
  plays any board size. Global pooling appends a board-size term so the net
  knows n.

``prepare_for_inference`` folds BatchNorm where exact and sets channels_last
(optionally torch.compile), the fastest exact CPU path measured.  Saving and
loading live in ``goagent.checkpoint``.

Start reading at ``PolicyValueNet``.
"""

from __future__ import annotations

import copy
import math
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from goagent.config import ModelConfig

SCORE_SCALE = 20.0  # the score head's linear output is multiplied by this (points)


class NetOutput(NamedTuple):
    policy_logits: torch.Tensor  # (B, n*n+1), pass last
    value: torch.Tensor  # (B,) in [-1, 1], side to move
    ownership: torch.Tensor | None  # (B, n, n) in [-1, 1], side to move; None without the head
    score: torch.Tensor | None  # (B,) lead in points, side to move; None without the head


def global_pool(x: torch.Tensor) -> torch.Tensor:
    """Mean, size-scaled mean and max over the board: (B, C, n, n) -> (B, 3C).

    The size term ``(sqrt(area) - 14) / 10`` (KataGo) is 0.5 on 19x19, -0.5 on 9x9.
    """
    area = x.shape[2] * x.shape[3]
    mean = x.mean(dim=(2, 3))  # (B, C)
    size_term = (math.sqrt(area) - 14.0) / 10.0
    peak = x.amax(dim=(2, 3))  # (B, C)
    return torch.cat([mean, mean * size_term, peak], dim=1)  # (B, 3C)


# One opaque node when ``torch.fx`` traces the network for INT8 quantization
# (goagent.precision): its size term comes from the input's shape, and the pooled
# features stay float there.
torch.fx.wrap("global_pool")


def _conv(cin: int, cout: int, k: int, bias: bool = False) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, kernel_size=k, padding=k // 2, bias=bias)


class ResidualBlock(nn.Module):
    """x + conv(relu(bn(conv(relu(bn(x)))))), 3x3 convs."""

    def __init__(self, channels: int):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv1 = _conv(channels, channels, 3)
        self.bn2: nn.Module = nn.BatchNorm2d(channels)  # folded into conv1 for inference
        self.conv2 = _conv(channels, channels, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.relu(self.bn1(x)))  # (B, C, n, n)
        h = self.conv2(F.relu(self.bn2(h)))  # (B, C, n, n)
        return x + h


class GlobalPoolBlock(nn.Module):
    """A residual block whose first conv also feeds G pooled channels back as biases (KataGo).

    conv1 gives C-G "regular" channels and G pooling channels; the pooled
    (mean, size-mean, max) of the latter go through a linear layer and are added
    per channel to the former, so every point sees whole-board context.
    """

    def __init__(self, channels: int, pool_channels: int):
        super().__init__()
        self.regular = channels - pool_channels
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv1 = _conv(channels, channels, 3)  # first C-G regular, last G pooling channels
        self.bn_pool: nn.Module = nn.BatchNorm2d(pool_channels)  # folded for inference
        self.pool_fc = nn.Linear(3 * pool_channels, self.regular, bias=False)
        self.bn2: nn.Module = nn.BatchNorm2d(self.regular)  # folded for inference
        self.conv2 = _conv(self.regular, channels, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.relu(self.bn1(x)))  # (B, C, n, n)
        a, g = h[:, : self.regular], h[:, self.regular :]  # (B, C-G, n, n), (B, G, n, n)
        g = F.relu(self.bn_pool(g))
        a = a + self.pool_fc(global_pool(g))[:, :, None, None]  # (B, C-G, n, n)
        h = self.conv2(F.relu(self.bn2(a)))  # (B, C, n, n)
        return x + h


class PolicyHead(nn.Module):
    """1x1 conv to P board channels + P pooling channels; pooled biases; 1x1 conv to n*n logits.

    The pass logit comes from the pooled features, so it is size-agnostic too.
    """

    def __init__(self, channels: int, head_channels: int):
        super().__init__()
        self.head_channels = head_channels
        self.conv = _conv(channels, 2 * head_channels, 1)
        self.bn_pool: nn.Module = nn.BatchNorm2d(head_channels)
        self.pool_fc = nn.Linear(3 * head_channels, head_channels, bias=False)
        self.bn: nn.Module = nn.BatchNorm2d(head_channels)
        self.out = _conv(head_channels, 1, 1, bias=True)
        self.pass_fc = nn.Linear(3 * head_channels, 1)

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        h = self.conv(t)  # (B, 2P, n, n)
        p, g = h[:, : self.head_channels], h[:, self.head_channels :]  # (B, P, n, n) each
        pooled = global_pool(F.relu(self.bn_pool(g)))  # (B, 3P)
        p = p + self.pool_fc(pooled)[:, :, None, None]  # (B, P, n, n)
        board = self.out(F.relu(self.bn(p))).flatten(1)  # (B, n*n)
        return torch.cat([board, self.pass_fc(pooled)], dim=1)  # (B, n*n+1)


class ValueHead(nn.Module):
    """1x1 conv -> pooled MLP -> value (tanh) and score; ownership is a 1x1 conv on the same map."""

    def __init__(self, channels: int, head_channels: int, hidden: int, heads: tuple[str, ...]):
        super().__init__()
        self.conv = _conv(channels, head_channels, 1)
        self.bn: nn.Module = nn.BatchNorm2d(head_channels)
        self.fc = nn.Linear(3 * head_channels, hidden)
        self.value_out = nn.Linear(hidden, 1)
        self.score_out = nn.Linear(hidden, 1) if "score" in heads else None
        self.ownership_out = _conv(head_channels, 1, 1, bias=True) if "ownership" in heads else None

    def forward(self, t: torch.Tensor):
        v = F.relu(self.bn(self.conv(t)))  # (B, V, n, n)
        h = F.relu(self.fc(global_pool(v)))  # (B, hidden)
        value = torch.tanh(self.value_out(h)).squeeze(1)  # (B,)
        score = None if self.score_out is None else self.score_out(h).squeeze(1) * SCORE_SCALE  # (B,)
        ownership = None
        if self.ownership_out is not None:
            ownership = torch.tanh(self.ownership_out(v)).squeeze(1)  # (B, n, n)
        return value, ownership, score


def is_pool_block(index: int, every: int) -> bool:
    """Whether residual block ``index`` (0-based) is a global-pooling block: every k-th block."""
    return every > 0 and (index + 1) % every == 0


class PolicyValueNet(nn.Module):
    """Pre-activation residual tower with global-pooling blocks and size-agnostic heads."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        if config.in_channels < 1:
            raise ValueError(
                "ModelConfig.in_channels is 0: set it to the feature encoder's plane count "
                "(e.g. model_preset(name, in_channels=...))"
            )
        self.config = config
        self.folded = False  # True after BatchNorm folding: such a model is for inference only
        c = config.channels
        pool_channels = max(1, c // 4)
        self.input_conv = _conv(config.in_channels, c, 3)
        self.blocks = nn.ModuleList(
            GlobalPoolBlock(c, pool_channels)
            if is_pool_block(i, config.global_pool_every)
            else ResidualBlock(c)
            for i in range(config.blocks)
        )
        self.trunk_bn = nn.BatchNorm2d(c)
        self.policy_head = PolicyHead(c, config.head_channels)
        self.value_head = ValueHead(c, config.head_channels, config.value_hidden, config.heads)
        self._init_weights()

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
        # Scale the residual branches down so the stream stays O(1) at init in deep towers.
        for block in self.blocks:
            with torch.no_grad():
                block.conv2.weight.mul_(1.0 / math.sqrt(max(1, len(self.blocks))))

    def forward(self, x: torch.Tensor) -> NetOutput:
        if x.dim() != 4 or x.shape[1] != self.config.in_channels:
            raise ValueError(
                f"expected input (B, {self.config.in_channels}, n, n), got {tuple(x.shape)}: "
                "the feature encoder and the model config disagree on the plane count"
            )
        h = self.input_conv(x)  # (B, C, n, n)
        for block in self.blocks:
            h = block(h)  # (B, C, n, n)
        t = F.relu(self.trunk_bn(h))  # (B, C, n, n)
        policy = self.policy_head(t)  # (B, n*n+1)
        value, ownership, score = self.value_head(t)  # (B,), (B, n, n), (B,)
        return NetOutput(policy, value, ownership, score)


def build_model(config: ModelConfig) -> PolicyValueNet:
    """A freshly initialised network for ``config``."""
    return PolicyValueNet(config)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def unwrap_model(model: nn.Module) -> nn.Module:
    """The bare network inside torch.compile (``_orig_mod``) and DataParallel/DDP (``module``)."""
    while True:
        inner = getattr(model, "_orig_mod", None)
        if inner is None and isinstance(getattr(model, "module", None), nn.Module):
            inner = model.module
        if not isinstance(inner, nn.Module):
            return model
        model = inner


# -------------------------------------------------------------------- inference


def _bn_affine(bn: nn.BatchNorm2d) -> tuple[torch.Tensor, torch.Tensor]:
    """Eval-mode BatchNorm as y = x * scale + shift."""
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)  # (C,)
    return scale, bn.bias - bn.running_mean * scale


def _fold_conv(conv: nn.Conv2d, parts: list[tuple[int, nn.BatchNorm2d]]) -> nn.Conv2d:
    """A conv with bias equal to ``conv`` followed by the BatchNorms of consecutive output slices."""
    scales, shifts = zip(*(_bn_affine(bn) for _, bn in parts))
    scale, shift = torch.cat(scales), torch.cat(shifts)  # (Cout,)
    w = conv.weight
    folded = nn.Conv2d(
        conv.in_channels,
        conv.out_channels,
        conv.kernel_size,
        padding=conv.padding,
        device=w.device,
        dtype=w.dtype,
    )
    bias = conv.bias if conv.bias is not None else torch.zeros_like(scale)
    folded.weight.copy_(conv.weight * scale[:, None, None, None])
    folded.bias.copy_(bias * scale + shift)
    return folded


@torch.no_grad()
def fold_batchnorm(model: PolicyValueNet) -> PolicyValueNet:
    """Fold, in place, every BatchNorm that directly follows a conv (exact in eval mode).

    In a pre-activation block, bn1 follows the residual sum and cannot be folded;
    bn2 follows conv1 and can. Where a pooled bias is added between the conv and
    the BatchNorm, the linear layer making that bias is scaled too.
    """
    for block in model.blocks:
        if isinstance(block, ResidualBlock):
            block.conv1 = _fold_conv(block.conv1, [(0, block.bn2)])
        else:
            scale, _ = _bn_affine(block.bn2)
            block.conv1 = _fold_conv(block.conv1, [(0, block.bn2), (block.regular, block.bn_pool)])
            block.pool_fc.weight.mul_(scale[:, None])
            block.bn_pool = nn.Identity()
        block.bn2 = nn.Identity()
    head = model.policy_head
    scale, _ = _bn_affine(head.bn)
    head.conv = _fold_conv(head.conv, [(0, head.bn), (head.head_channels, head.bn_pool)])
    head.pool_fc.weight.mul_(scale[:, None])
    head.bn, head.bn_pool = nn.Identity(), nn.Identity()
    value = model.value_head
    value.conv = _fold_conv(value.conv, [(0, value.bn)])
    value.bn = nn.Identity()
    model.folded = True
    return model


def prepare_for_inference(model: nn.Module, *, compile_model: bool = False) -> nn.Module:
    """A copy of ``model`` for fast inference: eval mode, BatchNorm folded, channels_last.

    Outputs equal the eval-mode model's within float32 rounding (~1e-5). Call it
    under ``torch.inference_mode()``; the copy has no gradients and cannot be saved.

    ``compile_model=True`` also wraps it in ``torch.compile`` with inductor weight
    freezing: about 35% more positions/s on CPU for b6c64, but each new input
    shape (batch size, board size) compiles first, 10-30 s on 2 cores, and needs
    a C++ compiler. Worth it for long runs that feed fixed-size batches.
    """
    net = unwrap_model(model)
    if not isinstance(net, PolicyValueNet):
        raise TypeError(f"prepare_for_inference needs a PolicyValueNet, got {type(net).__name__}")
    net = copy.deepcopy(net).eval()
    if not net.folded:
        fold_batchnorm(net)
    net.requires_grad_(False)
    net = net.to(memory_format=torch.channels_last)
    if compile_model:
        return torch.compile(net, dynamic=False, options={"freezing": True})
    return net
