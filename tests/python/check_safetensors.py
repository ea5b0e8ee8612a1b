"""Parses the safetensors file written by tests/io/test_checkpoints.cpp (CppWrittenFileReadByPython)
by hand (no safetensors package) and checks layout, metadata and every value exactly.

Usage: check_safetensors.py FILE. Prints OK and exits 0 when everything matches.
"""
import json
import struct
import sys

import numpy as np

NP_DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64,
             "I32": np.int32, "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_,
             "BF16": np.uint16}  # bf16 compared as raw bits
ITEMSIZE = {"F32": 4, "F16": 2, "BF16": 2, "F64": 8, "I64": 8, "I32": 4, "I16": 2, "I8": 1,
            "U8": 1, "BOOL": 1}


def expected_values():
    return {
        "f32t": ("F32", (np.arange(12, dtype=np.float32).reshape(3, 4).T * np.float32(0.5))),
        "f16": ("F16", np.arange(6, dtype=np.float16) / np.float16(4)),
        "bf16": ("BF16", np.array([0x3F80, 0xC020, 0x3E20], dtype=np.uint16)),
        "f64": ("F64", np.arange(5, dtype=np.float64) / 3.0),
        "i64": ("I64", np.array([-(1 << 40), 5], dtype=np.int64)),
        "i32": ("I32", np.array([[-7], [70000]], dtype=np.int32)),
        "i16": ("I16", np.array([-300], dtype=np.int16)),
        "i8": ("I8", np.array([-128, 127], dtype=np.int8)),
        "u8": ("U8", np.array([0, 200, 255], dtype=np.uint8)),
        "bool": ("BOOL", np.array([True, False, False, True])),
        "scalar": ("F32", np.array(7.0, dtype=np.float32)),
        "empty": ("F32", np.zeros((0, 3), dtype=np.float32)),
        "z.slice": ("I64", np.arange(20, dtype=np.int64).reshape(4, 5)[:, 1:3]),
    }


def fail(msg):
    print("MISMATCH:", msg)
    sys.exit(1)


def main():
    data = open(sys.argv[1], "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    if (8 + n) % 8 != 0:
        fail(f"header length {n} leaves the data unaligned")
    text = data[8:8 + n].decode("utf-8")
    padding = len(text) - len(text.rstrip(" "))
    if padding >= 8 or not text.rstrip(" ").endswith("}"):
        fail(f"header is not JSON followed by fewer than 8 spaces ({padding} spaces)")
    header = json.loads(text)
    keys = list(header.keys())
    if keys[0] != "__metadata__" or keys[1:] != sorted(keys[1:]):
        fail(f"header keys not __metadata__ then sorted: {keys}")
    meta = header.pop("__metadata__")
    want_meta = {"format": "lsfa", "unicode": "h\u00e9", "json": '{"a": [1]}'}
    if meta != want_meta:
        fail(f"metadata {meta} != {want_meta}")
    body = data[8 + n:]
    expected = expected_values()
    if set(header) != set(expected):
        fail(f"keys {sorted(header)} != {sorted(expected)}")
    spans = sorted((v["data_offsets"][0], v["data_offsets"][1]) for v in header.values())
    pos = 0
    for b, e in spans:
        if b != pos:
            fail(f"data not contiguous at {b}")
        pos = e
    if pos != len(body):
        fail("data does not end at the end of the file")
    for name, (dtype, want) in expected.items():
        info = header[name]
        if info["dtype"] != dtype:
            fail(f"{name}: dtype {info['dtype']} != {dtype}")
        if tuple(info["shape"]) != want.shape:
            fail(f"{name}: shape {info['shape']} != {want.shape}")
        b, e = info["data_offsets"]
        if b % ITEMSIZE[dtype] != 0:
            fail(f"{name}: offset {b} not aligned to {ITEMSIZE[dtype]}")
        got = np.frombuffer(body[b:e], dtype=np.dtype(NP_DTYPES[dtype]).newbyteorder("<"))
        got = got.reshape(want.shape)
        if got.tobytes() != np.ascontiguousarray(want.astype(NP_DTYPES[dtype])).tobytes():
            fail(f"{name}: values {got} != {want}")
    print("OK", len(expected), "tensors")


if __name__ == "__main__":
    main()
