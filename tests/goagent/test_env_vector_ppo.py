"""A MaskablePPO-style loop over GoVectorEnv on a 5x5 board: masked sampling, GAE, clipped updates."""

from __future__ import annotations

import gymnasium
import pytest

import goagent.env  # noqa: F401  (registers the ids)

torch = pytest.importorskip("torch")


class TinyPolicy(torch.nn.Module):
    def __init__(self, planes: int, size: int):
        super().__init__()
        self.body = torch.nn.Sequential(
            torch.nn.Conv2d(planes, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.Flatten()
        )
        self.policy = torch.nn.Linear(8 * size * size, size * size + 1)
        self.value = torch.nn.Linear(8 * size * size, 1)

    def forward(self, obs, mask):
        h = self.body(obs)  # (B, 8*n*n)
        logits = self.policy(h).masked_fill(~mask, float("-inf"))  # illegal moves get probability 0
        return torch.distributions.Categorical(logits=logits), self.value(h).squeeze(-1)


def test_masked_ppo_loop_runs_on_the_vector_env():
    torch.manual_seed(0)
    envs = gymnasium.make_vec(
        "goagent/Go-v0", num_envs=8, vectorization_mode="vector_entry_point", size=5, opponent="random"
    )
    net = TinyPolicy(envs.single_observation_space.shape[0], 5)
    before = [p.detach().clone() for p in net.parameters()]
    optimizer = torch.optim.Adam(net.parameters(), lr=3e-3)
    obs, info = envs.reset(seed=0)
    steps, gamma, lam, clip = 24, 0.99, 0.95, 0.2
    episodes = 0
    for _update in range(3):
        batch = {k: [] for k in ("obs", "mask", "action", "logp", "value", "reward", "done")}
        with torch.no_grad():
            for _ in range(steps):
                o = torch.as_tensor(obs)
                m = torch.as_tensor(info["action_mask"], dtype=torch.bool)
                dist, value = net(o, m)
                action = dist.sample()
                assert m.gather(1, action[:, None]).all()  # the mask keeps every sample legal
                obs, reward, term, trunc, info = envs.step(action.numpy())
                for key, item in zip(batch, (o, m, action, dist.log_prob(action), value)):
                    batch[key].append(item)
                batch["reward"].append(torch.as_tensor(reward, dtype=torch.float32))
                batch["done"].append(torch.as_tensor(term | trunc, dtype=torch.float32))
                episodes += int((term | trunc).sum())
            _, last_value = net(torch.as_tensor(obs), torch.as_tensor(info["action_mask"], dtype=torch.bool))
        data = {k: torch.stack(v) for k, v in batch.items()}  # (T, N, ...)
        # Generalized advantage estimation; with NEXT_STEP autoreset the step after a
        # done is a reset whose reward is 0, so a done cuts the bootstrap.
        advantages = torch.zeros_like(data["reward"])
        gae = torch.zeros(envs.num_envs)
        for t in reversed(range(steps)):
            next_value = last_value if t == steps - 1 else data["value"][t + 1]
            delta = data["reward"][t] + gamma * next_value * (1 - data["done"][t]) - data["value"][t]
            gae = delta + gamma * lam * (1 - data["done"][t]) * gae
            advantages[t] = gae
        returns = advantages + data["value"]
        flat = {k: v.reshape(steps * envs.num_envs, *v.shape[2:]) for k, v in data.items()}
        adv, ret = advantages.reshape(-1), returns.reshape(-1)
        adv = (adv - adv.mean()) / (adv.std() + 1e-8)
        for _epoch in range(2):
            dist, value = net(flat["obs"], flat["mask"])
            ratio = torch.exp(dist.log_prob(flat["action"]) - flat["logp"])
            policy_loss = -torch.min(ratio * adv, ratio.clamp(1 - clip, 1 + clip) * adv).mean()
            loss = policy_loss + 0.5 * ((value - ret) ** 2).mean() - 0.01 * dist.entropy().mean()
            assert torch.isfinite(loss)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        # Illegal actions keep probability zero under the updated policy.
        assert torch.all(dist.probs[~flat["mask"]] == 0)
    assert episodes > 0  # some games ended, and autoreset carried on
    assert any(not torch.equal(a, b) for a, b in zip(before, net.parameters()))
