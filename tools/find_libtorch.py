#!/usr/bin/env python3
"""Locates the LibTorch that meson builds against and describes it from its own files.

Search order (the first that exists wins):
  1. an explicit folder (meson -Dlibtorch=PATH): an unpacked LibTorch zip or a Python `torch` package
     folder; both have the same layout (include/, lib/, share/cmake/Torch/TorchConfig.cmake);
  2. the `torch` package of the project-local virtual environment (.venv, made by tools/setup-deps.sh);
  3. Debian's libtorch-dev (/usr), also chosen explicitly by -Dlibtorch=system.

Prints `key<TAB>value` lines for meson: source, root, version, includes (';'-separated), libdir (empty for
the system linker path), libs (';'-separated, the libraries present among those LibTorch's CMake package
links), cuda (true/false), cxx_flags (TORCH_CXX_FLAGS from TorchConfig.cmake, i.e. the C++ ABI flag) and
cpp_std (the C++ standard LibTorch's CMake package asks of its users).
Exits 1 with a message naming the problem when nothing usable is found.
"""
import glob
import os
import re
import sys


def fail(message):
    print(f"find_libtorch: {message}", file=sys.stderr)
    sys.exit(1)


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def version_from_headers(include_dirs):
    # LibTorch >= 2.8 keeps the numbers in torch/headeronly/version.h; older ones in the C++ API header.
    for inc in include_dirs:
        for rel in ("torch/headeronly/version.h", "torch/csrc/api/include/torch/version.h",
                    "torch/version.h"):
            path = os.path.join(inc, rel)
            if os.path.isfile(path):
                text = read(path)
                parts = [re.search(rf"#define TORCH_VERSION_{k}\s+(\d+)", text) for k in
                         ("MAJOR", "MINOR", "PATCH")]
                if all(parts):
                    return ".".join(p.group(1) for p in parts)
    return None


def describe_folder(root, source):
    """An unpacked LibTorch or a torch package: the real layout, read from its CMake package."""
    root = os.path.realpath(root)
    config = os.path.join(root, "share", "cmake", "Torch", "TorchConfig.cmake")
    libdir = os.path.join(root, "lib")
    if not os.path.isfile(config):
        fail(f"{root} is not a LibTorch folder: share/cmake/Torch/TorchConfig.cmake is missing")
    text = read(config)
    includes = [os.path.join(root, "include"),
                os.path.join(root, "include", "torch", "csrc", "api", "include")]
    flags = re.search(r'set\(TORCH_CXX_FLAGS\s+"([^"]*)"\)', text)
    cxx_flags = flags.group(1) if flags else ""
    if not cxx_flags:
        # Older packages configure the flag from the ABI the library was built with.
        abi = re.search(r"_GLIBCXX_USE_CXX11_ABI=(\d)", text)
        cxx_flags = f"-D_GLIBCXX_USE_CXX11_ABI={abi.group(1)}" if abi else ""
    cpp_std = "c++20" if "cxx_std_20" in text else "c++17"
    libs = [name for name in ("torch", "torch_cpu", "c10", "torch_cuda", "c10_cuda")
            if os.path.isfile(os.path.join(libdir, f"lib{name}.so"))]
    for needed in ("torch", "torch_cpu", "c10"):
        if needed not in libs:
            fail(f"{libdir} has no lib{needed}.so")
    return dict(source=source, root=root, version=version_from_headers(includes) or "unknown",
                includes=";".join(includes), libdir=libdir, libs=";".join(libs),
                cuda="true" if "torch_cuda" in libs else "false", cxx_flags=cxx_flags,
                cpp_std=cpp_std)


def describe_debian():
    include = "/usr/include/torch/csrc/api/include"
    if not os.path.isdir(include):
        return None
    # Debian's CMake config omits libtorch_cpu, so the library list follows the real files.
    libdirs = glob.glob("/usr/lib/*-linux-gnu")
    libs = []
    for name in ("torch", "torch_cpu", "c10", "torch_cuda", "c10_cuda"):
        if any(os.path.exists(os.path.join(d, f"lib{name}.so")) for d in libdirs):
            libs.append(name)
    return dict(source="debian", root="/usr", version=version_from_headers(["/usr/include", include])
                or "unknown", includes=include, libdir="", libs=";".join(libs),
                cuda="true" if "torch_cuda" in libs else "false",
                cxx_flags="-D_GLIBCXX_USE_CXX11_ABI=1", cpp_std="c++17")


def venv_torch(source_root):
    # Without importing torch (seconds, and it may not load here): the package folder itself.
    for path in sorted(glob.glob(os.path.join(source_root, ".venv", "lib", "python3*",
                                              "site-packages", "torch"))):
        if os.path.isfile(os.path.join(path, "share", "cmake", "Torch", "TorchConfig.cmake")):
            return path
    return None


def main():
    if len(sys.argv) != 3:
        fail("usage: find_libtorch.py SOURCE_ROOT EXPLICIT_PATH_OR_EMPTY")
    source_root, explicit = sys.argv[1], sys.argv[2]
    if explicit == "system":
        info = describe_debian()
        if info is None:
            fail("-Dlibtorch=system: Debian's libtorch-dev is not installed")
    elif explicit:
        if not os.path.isdir(explicit):
            fail(f"-Dlibtorch={explicit}: no such folder")
        info = describe_folder(explicit, "option")
    elif venv_torch(source_root):
        info = describe_folder(venv_torch(source_root), "venv")
    else:
        info = describe_debian()
        if info is None:
            fail("no LibTorch found: pass -Dlibtorch=PATH, run tools/setup-deps.sh (PyTorch in .venv) "
                 "or install Debian's libtorch-dev")
    for key, value in info.items():
        print(f"{key}\t{value}")


if __name__ == "__main__":
    main()
