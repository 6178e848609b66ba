#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Rewrites the NER model's 4-bit MatMulNBits nodes into plain ONNX.

Why: tract runs com.microsoft MatMulNBits ~3.5x slower than a plain MatMul.
The weights are exactly dequantized to float32 and then either kept as float32
(`--format fp32`, ~74 MB) or stored as per-output-column int8 followed by a
constant DequantizeLinear (`--format int8`, ~19 MB; tract folds the constant
dequantization into float32 weights when it optimizes the model, so inference
speed is that of fp32).

Only `onnx` and `numpy` are needed: this is graph surgery, not inference.
"""
import argparse
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper


def dequantize_nbits(b, scales, zero_points, k, n, bits, block_size):
    """Returns W with shape [K, N] such that Y = A @ W."""
    if bits != 4:
        raise SystemExit(f"only 4-bit MatMulNBits is handled (got {bits})")
    n_blocks = (k + block_size - 1) // block_size
    packed = b.reshape(n, n_blocks, block_size // 2)
    q = np.empty((n, n_blocks, block_size), dtype=np.int16)
    q[:, :, 0::2] = packed & 0x0F
    q[:, :, 1::2] = packed >> 4
    scales = scales.reshape(n, n_blocks).astype(np.float32)
    if zero_points is None:
        zp = np.full((n, n_blocks), 8, dtype=np.int16)
    else:
        zp_packed = zero_points.reshape(n, -1)
        zp = np.empty((n, zp_packed.shape[1] * 2), dtype=np.int16)
        zp[:, 0::2] = zp_packed & 0x0F
        zp[:, 1::2] = zp_packed >> 4
        zp = zp[:, :n_blocks]
    w_t = (q - zp[:, :, None]).astype(np.float32) * scales[:, :, None]
    w_t = w_t.reshape(n, n_blocks * block_size)[:, :k]
    return np.ascontiguousarray(w_t.T)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--format", choices=["int8", "fp32"], default="int8")
    args = parser.parse_args()

    model = onnx.load(args.input)
    graph = model.graph
    inits = {t.name: t for t in graph.initializer}
    used_by_nbits = set()
    new_nodes = []
    new_inits = []
    worst = 0.0
    for node in graph.node:
        if node.op_type != "MatMulNBits":
            new_nodes.append(node)
            continue
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        inputs = list(node.input) + [""] * (6 - len(node.input))
        a_name, b_name, s_name, zp_name, gidx_name, bias_name = inputs[:6]
        if gidx_name:
            raise SystemExit(f"{node.name}: g_idx is not handled")
        b = numpy_helper.to_array(inits[b_name])
        scales = numpy_helper.to_array(inits[s_name])
        zps = numpy_helper.to_array(inits[zp_name]) if zp_name else None
        w = dequantize_nbits(
            b, scales, zps, attrs["K"], attrs["N"], attrs.get("bits", 4),
            attrs["block_size"],
        )
        used_by_nbits.update(x for x in (b_name, s_name, zp_name) if x)
        base = node.output[0].replace("/", "_").strip("_")
        w_name = f"{base}_w"
        if args.format == "fp32":
            new_inits.append(numpy_helper.from_array(w, w_name))
        else:
            col_scale = np.abs(w).max(axis=0) / 127.0
            col_scale[col_scale == 0] = 1.0
            q = np.clip(np.rint(w / col_scale), -127, 127).astype(np.int8)
            err = np.abs(q.astype(np.float32) * col_scale - w).max() / max(np.abs(w).max(), 1e-12)
            worst = max(worst, float(err))
            new_inits += [
                numpy_helper.from_array(q, f"{w_name}_q"),
                numpy_helper.from_array(col_scale.astype(np.float32), f"{w_name}_scale"),
                numpy_helper.from_array(np.zeros_like(col_scale, dtype=np.int8), f"{w_name}_zp"),
            ]
            new_nodes.append(helper.make_node(
                "DequantizeLinear", [f"{w_name}_q", f"{w_name}_scale", f"{w_name}_zp"],
                [w_name], axis=1, name=f"{base}_dequant"))
        out = node.output[0]
        if bias_name:
            mm_out = f"{base}_nobias"
            new_nodes.append(helper.make_node("MatMul", [a_name, w_name], [mm_out], name=f"{base}_matmul"))
            new_nodes.append(helper.make_node("Add", [mm_out, bias_name], [out], name=f"{base}_bias"))
        else:
            new_nodes.append(helper.make_node("MatMul", [a_name, w_name], [out], name=f"{base}_matmul"))

    still_used = {i for n in new_nodes for i in n.input}
    kept = [t for t in graph.initializer if t.name not in used_by_nbits or t.name in still_used]
    del graph.initializer[:]
    graph.initializer.extend(kept + new_inits)
    del graph.node[:]
    graph.node.extend(new_nodes)
    if not any(n.domain == "com.microsoft" for n in graph.node):
        ops = [o for o in model.opset_import if o.domain != "com.microsoft"]
        del model.opset_import[:]
        model.opset_import.extend(ops)
    onnx.checker.check_model(model)
    onnx.save(model, args.output)
    if args.format == "int8":
        print(f"ner-dequantize: worst int8 requantization error {worst:.4%} of the largest weight", file=sys.stderr)


if __name__ == "__main__":
    main()
