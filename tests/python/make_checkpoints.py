"""Writes checkpoint fixtures with the real writer (torch.save) for tests/io/test_checkpoints.cpp.

Usage: make_checkpoints.py OUTDIR [MARKER_PATH]

For every tensor the C++ reader should find, the expected values go to a safetensors file written
here by hand (JSON header + raw bytes), named after the checkpoint: X.pth -> X.expected.safetensors,
with keys "<path>" where path joins dict keys / list indices with '/'.
"""
import argparse
import collections
import json
import os
import struct
import sys

import torch

DTYPE_NAMES = {
    torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
    torch.uint8: "U8", torch.bool: "BOOL",
}


def raw_bytes(t):
    t = t.detach().contiguous()
    return t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""


def write_safetensors_by_hand(path, tensors, metadata=None):
    """The safetensors layout, written without the safetensors package."""
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name]
        data = raw_bytes(t)
        header[name] = {"dtype": DTYPE_NAMES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def collect_tensors(value, prefix, out):
    if isinstance(value, torch.Tensor):
        out[prefix] = value
    elif isinstance(value, dict):
        for k, v in value.items():
            collect_tensors(v, f"{prefix}/{k}" if prefix else str(k), out)
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            collect_tensors(v, f"{prefix}/{i}" if prefix else str(i), out)


def save_with_expected(outdir, name, obj):
    torch.save(obj, os.path.join(outdir, name + ".pth"))
    expected = {}
    collect_tensors(obj, "", expected)
    write_safetensors_by_hand(os.path.join(outdir, name + ".expected.safetensors"), expected)


class TinyAttention(torch.nn.Module):
    def __init__(self, dim, qkv_bias):
        super().__init__()
        self.qkv = torch.nn.Linear(dim, 3 * dim, bias=qkv_bias)
        self.proj = torch.nn.Linear(dim, dim)


class TinyMlp(torch.nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.fc1 = torch.nn.Linear(dim, 4 * dim)
        self.fc2 = torch.nn.Linear(4 * dim, dim)


class TinyBlock(torch.nn.Module):
    def __init__(self, dim, qkv_bias):
        super().__init__()
        self.norm1 = torch.nn.LayerNorm(dim)
        self.attn = TinyAttention(dim, qkv_bias)
        self.norm2 = torch.nn.LayerNorm(dim)
        self.mlp = TinyMlp(dim)


class TinyPatchEmbed(torch.nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.proj = torch.nn.Conv2d(3, dim, 8, 8)


class TinyDino(torch.nn.Module):
    """DINO ViT key layout with small sizes: dim 16, 2 blocks, 2 x 2 patches."""

    def __init__(self, dim=16, depth=2):
        super().__init__()
        self.cls_token = torch.nn.Parameter(torch.randn(1, 1, dim))
        self.pos_embed = torch.nn.Parameter(torch.randn(1, 5, dim))
        self.patch_embed = TinyPatchEmbed(dim)
        self.blocks = torch.nn.ModuleList([TinyBlock(dim, True) for _ in range(depth)])
        self.norm = torch.nn.LayerNorm(dim)


class TinyPointEncoder(torch.nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.first_conv = torch.nn.Sequential(torch.nn.Conv1d(3, 8, 1), torch.nn.BatchNorm1d(8),
                                              torch.nn.ReLU(), torch.nn.Conv1d(8, 16, 1))
        self.second_conv = torch.nn.Sequential(torch.nn.Conv1d(32, 32, 1),
                                               torch.nn.BatchNorm1d(32), torch.nn.ReLU(),
                                               torch.nn.Conv1d(32, dim, 1))


class TinyBlocks(torch.nn.Module):
    def __init__(self, dim, depth):
        super().__init__()
        self.blocks = torch.nn.ModuleList([TinyBlock(dim, False) for _ in range(depth)])


class TinyMaeEncoder(torch.nn.Module):
    def __init__(self, dim=12, depth=2):
        super().__init__()
        self.encoder = TinyPointEncoder(dim)
        self.pos_embed = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.GELU(),
                                             torch.nn.Linear(8, dim))
        self.blocks = TinyBlocks(dim, depth)
        self.norm = torch.nn.LayerNorm(dim)


class TinyPointMae(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.MAE_encoder = TinyMaeEncoder()
        self.MAE_decoder = TinyBlocks(12, 1)
        self.mask_token = torch.nn.Parameter(torch.zeros(1, 1, 12))


class Wrapped(torch.nn.Module):
    """What torch.nn.DataParallel adds: a `module.` prefix."""

    def __init__(self, inner):
        super().__init__()
        self.module = inner


class Evil:
    """Pickles as a call of os.system; a safe reader must never make that call."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, ("touch " + self.marker,))


class FakeStorage:
    """Stands for a storage; written as a persistent id of our choosing."""

    def __init__(self, key, numel):
        self.key = key
        self.numel = numel


class FakeTensor:
    """Pickles as torch's tensor rebuild call with arbitrary (possibly hostile) arguments."""

    def __init__(self, storage, offset, size, stride):
        self.args = (storage, offset, size, stride, False, collections.OrderedDict())

    def __reduce__(self):
        return (torch._utils._rebuild_tensor_v2, self.args)


def write_torch_like_zip(path, obj, storages):
    """A zip laid out like torch.save's, with a pickle and storage entries chosen by the caller."""
    import io
    import pickle
    import zipfile

    class Pickler(pickle.Pickler):
        def persistent_id(self, o):
            if isinstance(o, FakeStorage):
                return ("storage", torch.FloatStorage, o.key, "cpu", o.numel)
            return None

    buf = io.BytesIO()
    Pickler(buf, protocol=2).dump(obj)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", buf.getvalue())
        z.writestr("archive/version", "3\n")
        for key, data in storages.items():
            z.writestr("archive/data/" + key, data)


def write_hostile_zips(outdir):
    four_floats = struct.pack("<4f", 1, 2, 3, 4)
    cases = {
        # A well-formed control case: the reader must accept it.
        "crafted_ok": ({"w": FakeTensor(FakeStorage("0", 4), 1, (2,), (2,))}, {"0": four_floats}),
        "huge_numel": ({"w": FakeTensor(FakeStorage("0", 1 << 40), 0, (4,), (1,))},
                       {"0": four_floats}),
        "offset_beyond": ({"w": FakeTensor(FakeStorage("0", 4), 9, (1,), (1,))},
                          {"0": four_floats}),
        "view_beyond": ({"w": FakeTensor(FakeStorage("0", 4), 0, (3, 2), (2, 1))},
                        {"0": four_floats}),
        "missing_entry": ({"w": FakeTensor(FakeStorage("7", 4), 0, (4,), (1,))},
                          {"0": four_floats}),
        "path_key": ({"w": FakeTensor(FakeStorage("../0", 4), 0, (4,), (1,))},
                     {"0": four_floats}),
        "negative_stride": ({"w": FakeTensor(FakeStorage("0", 4), 3, (4,), (-1,))},
                            {"0": four_floats}),
    }
    for name, (obj, storages) in cases.items():
        write_torch_like_zip(os.path.join(outdir, name + ".pth"), obj, storages)


def main():
    outdir = sys.argv[1]
    marker = sys.argv[2] if len(sys.argv) > 2 else os.path.join(outdir, "pwned")
    torch.manual_seed(0)

    # 1. The official DINO file layout: a plain OrderedDict state dict (with _metadata).
    dino = TinyDino()
    sd = dino.state_dict()
    assert isinstance(sd, collections.OrderedDict) and hasattr(sd, "_metadata")
    save_with_expected(outdir, "dino", sd)

    # 2. The Point-MAE pretrain.pth layout.
    mae = Wrapped(TinyPointMae())
    for m in mae.modules():
        if isinstance(m, torch.nn.BatchNorm1d):
            m.running_mean.uniform_(-1, 1)
            m.running_var.uniform_(0.5, 2)
            m.num_batches_tracked.fill_(1234)
    opt = torch.optim.AdamW(mae.parameters(), lr=1e-3)
    loss = sum((p * p).sum() for p in mae.parameters())
    loss.backward()
    opt.step()
    save_with_expected(outdir, "pointmae", {
        "base_model": mae.state_dict(),
        "optimizer": opt.state_dict(),
        "epoch": 300,
        "metrics": {"acc": 0.0},
        "best_metrics": {"acc": 91.5},
    })

    # 3. Every dtype, and a 0-d tensor.
    save_with_expected(outdir, "dtypes", collections.OrderedDict([
        ("f16", torch.randn(3, 4).half()),
        ("bf16", torch.randn(5).bfloat16()),
        ("f64", torch.randn(2, 3, dtype=torch.float64)),
        ("i64", torch.tensor([-(2 ** 62), -1, 0, 7, 2 ** 62])),
        ("i32", torch.tensor([-5, 70000], dtype=torch.int32)),
        ("i16", torch.tensor([-300, 300], dtype=torch.int16)),
        ("i8", torch.tensor([-128, 127], dtype=torch.int8)),
        ("u8", torch.tensor([0, 255], dtype=torch.uint8)),
        ("bool", torch.tensor([True, False, True])),
        ("scalar", torch.tensor(3.25)),
        ("empty", torch.zeros(0, 4)),
    ]))

    # 4. Views: transposes, slices with storage offsets, storages shared between entries.
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    shared = torch.arange(10, dtype=torch.int64)
    views = collections.OrderedDict([
        ("base", base),
        ("transposed", base.t()),
        ("slice", base[1:, 2:5]),
        ("column", base[:, 3]),
        ("shared_a", shared[:4]),
        ("shared_b", shared[4:]),
        ("expanded", torch.tensor([1.5, 2.5]).expand(3, 2)),
    ])
    save_with_expected(outdir, "views", views)

    # 5. Nested plain data and an opaque object.
    ns = argparse.Namespace(lr=0.1, name="run", layers=[1, 2])
    save_with_expected(outdir, "nested", {
        "list": [1, -2, 2.5, "text", None, True, False, (3, "tuple"), [torch.ones(2)]],
        "big": 2 ** 70,
        "neg_big": -(2 ** 40),
        "bytes": b"\x00\xffabc",
        "unicode": "h\u00e9llo \u4e16\u754c",
        "args": ns,
        "int_keys": {1: "one", 2: "two"},
        "empty_dict": {},
        "empty_tuple": (),
        "untyped_storage": torch.arange(4, dtype=torch.float32).storage().untyped(),
        "long_storage": torch.arange(3).storage(),
        "defaultdict": collections.defaultdict(list, {"a": [1]}),
    })

    # 6. A hostile file: unpickling it with pickle would run os.system.
    torch.save({"evil": Evil(marker), "weight": torch.ones(2, 2)},
               os.path.join(outdir, "evil.pth"))

    # 6b. Torch-like zips whose pickle asks for impossible storages or views.
    write_hostile_zips(outdir)

    # 7. A safetensors file with metadata, for the safetensors reader.
    st = collections.OrderedDict([
        ("a.weight", torch.randn(3, 5)),
        ("a.bias", torch.randn(5).double()),
        ("half", torch.randn(2, 2).half()),
        ("bf", torch.randn(3).bfloat16()),
        ("ids", torch.tensor([1, -2, 3], dtype=torch.int64)),
        ("mask", torch.tensor([[True, False], [False, True]])),
        ("bytes", torch.tensor([1, 2, 250], dtype=torch.uint8)),
        ("i8", torch.tensor([-1, 1], dtype=torch.int8)),
        ("i16", torch.tensor([-1000], dtype=torch.int16)),
        ("i32", torch.tensor([123456], dtype=torch.int32)),
        ("scalar", torch.tensor(1.5)),
        ("empty", torch.zeros(0)),
    ])
    write_safetensors_by_hand(os.path.join(outdir, "python.safetensors"), st,
                              {"format": "pt", "note": "written by hand"})
    # The same values as a torch.save file so C++ can compare both readers.
    torch.save(st, os.path.join(outdir, "python_st.pth"))


if __name__ == "__main__":
    main()
