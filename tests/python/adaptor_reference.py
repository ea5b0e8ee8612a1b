"""Reference forward of the adaptor (pre-norm Transformer encoder layer with residuals), written
from its definition with python3-torch. Reads weights + input from a safetensors file written by the
C++ test, writes the output (and the input gradient of sum(out * w)) to another file."""
import sys

import numpy as np
import torch

import safetensors_np


def forward(p, x, heads, eps):
    c = x.shape[-1]
    hd = c // heads
    b, n, _ = x.shape
    y = torch.nn.functional.layer_norm(x, (c,), p["norm1.weight"], p["norm1.bias"], eps)
    qkv = torch.nn.functional.linear(y, p["attn.qkv.weight"], p["attn.qkv.bias"])
    qkv = qkv.reshape(b, n, 3, heads, hd).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]
    attn = (q @ k.transpose(-2, -1)) * hd ** -0.5
    attn = attn.softmax(dim=-1)
    ctx = (attn @ v).transpose(1, 2).reshape(b, n, c)
    x = x + torch.nn.functional.linear(ctx, p["attn.proj.weight"], p["attn.proj.bias"])
    y = torch.nn.functional.layer_norm(x, (c,), p["norm2.weight"], p["norm2.bias"], eps)
    h = torch.nn.functional.gelu(torch.nn.functional.linear(y, p["mlp.fc1.weight"], p["mlp.fc1.bias"]))
    return x + torch.nn.functional.linear(h, p["mlp.fc2.weight"], p["mlp.fc2.bias"])


def main():
    src, dst = sys.argv[1], sys.argv[2]
    t, meta = safetensors_np.load(src)
    heads = int(meta["heads"])
    eps = float(meta["eps"])
    p = {k[len("adaptor."):]: torch.from_numpy(v).double() for k, v in t.items()
         if k.startswith("adaptor.")}
    x = torch.from_numpy(t["input"]).double().requires_grad_(True)
    w = torch.from_numpy(t["weight"]).double()
    out = forward(p, x, heads, eps)
    (out * w).sum().backward()
    safetensors_np.save(dst, {"output": out.detach().float().numpy(),
                              "input_grad": x.grad.float().numpy()})


if __name__ == "__main__":
    main()
