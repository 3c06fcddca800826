"""Data and FLOP helpers shared by the MLP reference scripts (mlp_l0.py, feasible.py).

The problem file either embeds the data (`train.x` f32 [n, d], `train.y` i64 [n], `test.x`,
`test.y`: the digits) or names the MNIST directory (meta `mnist_dir`), whose IDX files are read
here exactly as rein_nn::Mnist reads them: pixels (uint8) / 255 in float32, labels as int64.
"""

import gzip
import os
import struct

import numpy as np
import torch


def _open(path):
    if os.path.isfile(path):
        return open(path, "rb")
    if os.path.isfile(path + ".gz"):
        return gzip.open(path + ".gz", "rb")
    raise SystemExit(f"missing MNIST file {path}[.gz] (run `rein data fetch mnist`)")


def read_idx(path, expected_dims):
    """An IDX file (unsigned bytes) as a numpy uint8 array of the stored shape."""
    with _open(path) as f:
        raw = f.read()
    zero, dtype, dims = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype != 0x08 or dims != expected_dims:
        raise SystemExit(f"{path}: not an unsigned-byte IDX file with {expected_dims} dimensions")
    shape = struct.unpack(f">{dims}I", raw[4 : 4 + 4 * dims])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims)
    if data.size != int(np.prod(shape)):
        raise SystemExit(f"{path}: header says {shape}, file holds {data.size} values")
    return data.reshape(shape)


def _mnist_part(directory, prefix):
    images = read_idx(os.path.join(directory, f"{prefix}-images-idx3-ubyte"), 3)
    labels = read_idx(os.path.join(directory, f"{prefix}-labels-idx1-ubyte"), 1)
    if images.shape[0] != labels.shape[0]:
        raise SystemExit(f"{directory}: {images.shape[0]} {prefix} images but {labels.shape[0]} labels")
    x = images.reshape(images.shape[0], -1).astype(np.float32) / np.float32(255.0)
    return torch.from_numpy(x), torch.from_numpy(labels.astype(np.int64))


def load_data(problem):
    """((x_train, y_train), (x_test, y_test)) as float32 / int64 torch tensors."""
    meta = problem.meta
    if meta["data"] == "mnist":
        train = _mnist_part(meta["mnist_dir"], "train")
        test = _mnist_part(meta["mnist_dir"], "t10k")
    elif meta["data"] == "digits":
        part = lambda n: (
            torch.from_numpy(problem.tensor(f"{n}.x")),
            torch.from_numpy(problem.tensor(f"{n}.y")),
        )
        train, test = part("train"), part("test")
    else:
        raise SystemExit(f"{problem.path}: unknown data {meta['data']!r}")
    for key, (x, _) in (("n_train", train), ("n_test", test)):
        if x.shape[0] != meta[key]:
            raise SystemExit(f"{problem.path}: meta {key} = {meta[key]}, the data has {x.shape[0]} rows")
    return train, test


def mlp_step_flops(sizes, batch):
    """6 B sum(in out): forward 2 B in out per layer, backward twice that (same count as rein)."""
    return float(sum(6 * batch * i * o for i, o in zip(sizes[:-1], sizes[1:])))
