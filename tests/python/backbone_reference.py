"""Reference forwards of the frozen backbones for the parity tests, written after the published model
definitions: DINO's vision_transformer.py (PatchEmbed, Attention, Mlp, Block, VisionTransformer with
interpolate_pos_encoding and get_intermediate_layers) and Point-MAE as M3DM uses it (Group with
farthest point sampling + kNN, Encoder, TransformerEncoder with fetch_idx, shared final norm).
The pointnet2 CUDA farthest point sampling is re-implemented here with the same rule (start at index
0, float32 squared distances, points with |p|^2 <= 1e-3 never picked afterwards)."""

import json
import math
import struct

import numpy as np
import torch
from torch import nn


# ---------------------------------------------------------------- files

def save_safetensors(path, tensors):
    """Writes a safetensors file by hand: 8-byte little-endian header length, JSON header, data."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        dtype = {torch.float32: "F32", torch.int64: "I64"}[t.dtype]
        raw = t.numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    head = json.dumps(header).encode()
    head += b" " * ((8 - len(head) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for b in blobs:
            f.write(b)


# ---------------------------------------------------------------- DINO ViT

class PatchEmbed(nn.Module):
    def __init__(self, patch_size, in_chans, embed_dim):
        super().__init__()
        self.patch_size = patch_size
        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Attention(nn.Module):
    def __init__(self, dim, num_heads, qkv_bias):
        super().__init__()
        self.num_heads = num_heads
        self.scale = (dim // num_heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.num_heads, c // self.num_heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = (q @ k.transpose(-2, -1)) * self.scale
        attn = attn.softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(b, n, c))


class Block(nn.Module):
    def __init__(self, dim, num_heads, hidden, qkv_bias, eps):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=eps)
        self.attn = Attention(dim, num_heads, qkv_bias)
        self.norm2 = nn.LayerNorm(dim, eps=eps)
        self.mlp = Mlp(dim, hidden)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class VisionTransformer(nn.Module):
    def __init__(self, img_size=224, patch_size=8, in_chans=3, embed_dim=768, depth=12,
                 num_heads=12, mlp_ratio=4.0):
        super().__init__()
        self.patch_embed = PatchEmbed(patch_size, in_chans, embed_dim)
        num_patches = (img_size // patch_size) ** 2
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, num_patches + 1, embed_dim))
        hidden = int(embed_dim * mlp_ratio)
        self.blocks = nn.ModuleList(
            [Block(embed_dim, num_heads, hidden, True, 1e-6) for _ in range(depth)])
        self.norm = nn.LayerNorm(embed_dim, eps=1e-6)

    def interpolate_pos_encoding(self, x, w, h):
        npatch = x.shape[1] - 1
        n = self.pos_embed.shape[1] - 1
        if npatch == n and w == h:
            return self.pos_embed
        class_pos_embed = self.pos_embed[:, 0]
        patch_pos_embed = self.pos_embed[:, 1:]
        dim = x.shape[-1]
        w0 = w // self.patch_embed.patch_size
        h0 = h // self.patch_embed.patch_size
        w0, h0 = w0 + 0.1, h0 + 0.1
        side = int(math.sqrt(n))
        patch_pos_embed = nn.functional.interpolate(
            patch_pos_embed.reshape(1, side, side, dim).permute(0, 3, 1, 2),
            scale_factor=(w0 / math.sqrt(n), h0 / math.sqrt(n)), mode="bicubic")
        assert int(w0) == patch_pos_embed.shape[-2] and int(h0) == patch_pos_embed.shape[-1]
        patch_pos_embed = patch_pos_embed.permute(0, 2, 3, 1).view(1, -1, dim)
        return torch.cat((class_pos_embed.unsqueeze(0), patch_pos_embed), dim=1)

    def prepare_tokens(self, x):
        b, _, w, h = x.shape
        x = self.patch_embed(x)
        x = torch.cat((self.cls_token.expand(b, -1, -1), x), dim=1)
        return x + self.interpolate_pos_encoding(x, w, h)

    def get_intermediate_layers(self, x, n=1):
        x = self.prepare_tokens(x)
        output = []
        for i, blk in enumerate(self.blocks):
            x = blk(x)
            if len(self.blocks) - i <= n:
                output.append(self.norm(x))
        return output

    def feature_map(self, x):
        """Last block's patch tokens after the final norm, CLS dropped, as [B, C, H/p, W/p]."""
        p = self.patch_embed.patch_size
        tokens = self.get_intermediate_layers(x, 1)[0][:, 1:, :]
        b, _, c = tokens.shape
        return tokens.transpose(1, 2).reshape(b, c, x.shape[2] // p, x.shape[3] // p)


# ---------------------------------------------------------------- Point-MAE (M3DM usage)

def farthest_point_sample(points, count):
    """pointnet2 furthest_point_sampling on one cloud, float32; ties go to the lower index."""
    pts = np.asarray(points, dtype=np.float32)
    x, y, z = pts[:, 0], pts[:, 1], pts[:, 2]
    mag = x * x + y * y + z * z
    candidate = mag > np.float32(1e-3)
    dist = np.full(len(pts), np.float32(1e10), dtype=np.float32)
    picks = [0]
    last = 0
    for _ in range(1, count):
        dx, dy, dz = x - x[last], y - y[last], z - z[last]
        d = dx * dx + dy * dy + dz * dz
        dist = np.where(candidate, np.minimum(dist, d), dist)
        masked = np.where(candidate, dist, np.float32(-1))
        last = int(np.argmax(masked)) if candidate.any() else 0
        picks.append(last)
    return np.array(picks, dtype=np.int64)


def knn(points, queries, k):
    """Indices of the k nearest points per query, ordered by (float32 squared distance, index)."""
    pts = np.asarray(points, dtype=np.float32)
    out = np.empty((len(queries), k), dtype=np.int64)
    for j, c in enumerate(np.asarray(queries, dtype=np.float32)):
        dx, dy, dz = pts[:, 0] - c[0], pts[:, 1] - c[1], pts[:, 2] - c[2]
        d = dx * dx + dy * dy + dz * dz
        out[j] = np.argsort(d, kind="stable")[:k]
    return out


class Group(nn.Module):
    def __init__(self, num_group, group_size):
        super().__init__()
        self.num_group = num_group
        self.group_size = group_size

    def forward(self, xyz):
        """xyz: [N, 3] valid points -> neighborhood [G, K, 3], center [G, 3], indices."""
        center_idx = farthest_point_sample(xyz.numpy(), self.num_group)
        center = xyz[torch.from_numpy(center_idx)]
        idx = torch.from_numpy(knn(xyz.numpy(), center.numpy(), self.group_size))
        neighborhood = xyz[idx.reshape(-1)].reshape(self.num_group, self.group_size, 3)
        return neighborhood - center.unsqueeze(1), center, center_idx, idx.numpy()


class Encoder(nn.Module):
    def __init__(self, encoder_channel):
        super().__init__()
        self.encoder_channel = encoder_channel
        self.first_conv = nn.Sequential(nn.Conv1d(3, 128, 1), nn.BatchNorm1d(128),
                                        nn.ReLU(inplace=True), nn.Conv1d(128, 256, 1))
        self.second_conv = nn.Sequential(nn.Conv1d(512, 512, 1), nn.BatchNorm1d(512),
                                         nn.ReLU(inplace=True), nn.Conv1d(512, encoder_channel, 1))

    def forward(self, point_groups):
        bs, g, n, _ = point_groups.shape
        point_groups = point_groups.reshape(bs * g, n, 3)
        feature = self.first_conv(point_groups.transpose(2, 1))
        feature_global = torch.max(feature, dim=2, keepdim=True)[0]
        feature = torch.cat([feature_global.expand(-1, -1, n), feature], dim=1)
        feature = self.second_conv(feature)
        feature_global = torch.max(feature, dim=2, keepdim=False)[0]
        return feature_global.reshape(bs, g, self.encoder_channel)


class TransformerEncoder(nn.Module):
    def __init__(self, embed_dim, depth, num_heads, fetch_idx):
        super().__init__()
        self.fetch_idx = fetch_idx
        self.blocks = nn.ModuleList(
            [Block(embed_dim, num_heads, embed_dim * 4, False, 1e-5) for _ in range(depth)])

    def forward(self, x, pos):
        feature_list = []
        for i, block in enumerate(self.blocks):
            x = block(x + pos)
            if i in self.fetch_idx:
                feature_list.append(x)
        return feature_list


class PointTransformer(nn.Module):
    def __init__(self, group_size, num_group, dim, depth, num_heads, fetch_idx):
        super().__init__()
        self.group_divider = Group(num_group, group_size)
        self.encoder = Encoder(dim)
        self.pos_embed = nn.Sequential(nn.Linear(3, 128), nn.GELU(), nn.Linear(128, dim))
        self.blocks = TransformerEncoder(dim, depth, num_heads, fetch_idx)
        self.norm = nn.LayerNorm(dim)

    def forward(self, valid_xyz):
        neighborhood, center, center_idx, idx = self.group_divider(valid_xyz)
        tokens = self.encoder(neighborhood.unsqueeze(0))
        pos = self.pos_embed(center.unsqueeze(0))
        feature_list = self.blocks(tokens, pos)
        feature_list = [self.norm(x).transpose(-1, -2).contiguous() for x in feature_list]
        x = torch.cat(feature_list, dim=1)  # [1, 3C, G]
        return x[0].t().contiguous(), center, center_idx, idx


def randomize(model, generator):
    """Non-trivial random values in every parameter and buffer, so each one matters in the test."""
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if t.dtype != torch.float32:
                continue
            if name.endswith("running_var"):
                t.copy_(torch.rand(t.shape, generator=generator) + 0.5)
            elif name.endswith(("norm1.weight", "norm2.weight", "norm.weight", ".1.weight")):
                t.copy_(1.0 + 0.2 * torch.randn(t.shape, generator=generator))
            else:
                t.copy_(0.05 * torch.randn(t.shape, generator=generator))
