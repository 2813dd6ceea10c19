"""The 'pointwise' convolution's tiles (kernels/conv_pointwise.py)."""
from .common import EPILOGUE_IMPORT, _shapes, epilogue_lines, module, tuple_line


def pointwise_tile(channels, halves):
    """`channels` output channels x `halves` runs of 16 positions: per input channel and
    tap, the runs of the input row times each channel's weight (kernels/_fma_loop.py)."""
    name = f"tile_{channels}x{halves * 16}"
    acc = [[f"a{k}_{h}" for h in range(halves)] for k in range(channels)]
    out = ["@njit(fastmath=_FLAGS)",
           f"def {name}(xf, wf, of, bias, has_bias, K, k0, kn, xrow, R, C, taps, T, orow, P, "
           "p0,",
           "        epilogue):",
           f'    """{halves * 16} positions p0.. of output channels k0..k0+{channels - 1} '
           f'(kn real), then `epilogue`."""']
    for k in range(channels):
        out.append(f"    c{k} = _bias(bias, has_bias, k0 + {k}, K)")
    for row in acc:
        for name_ in row:
            out.append(f"    {name_} = tile_pointer(of.dtype)")
    # a GEMM's bias runs along the positions (linear on these tiles, conv_pointwise.py)
    out += ["    along = has_bias == ALONG_POSITIONS",
            "    for v in range(LANES):"]
    for h in range(halves):
        out.append(f"        q{h} = bias[_u(p0) + _u({16 * h}) + _u(v)] if along else 0.0")
    for k, row in enumerate(acc):
        for h, name_ in enumerate(row):
            out.append(f"        {name_}[v] = q{h} if along else c{k}")
    out.append("    cs = _u(C * T)")
    for k in range(channels):
        out.append(f"    r{k} = _u(min(k0 + {k}, K - 1)) * cs")
    out += tuple_line("accumulators", [n for row in acc for n in row])
    out += tuple_line("weight_rows", [f"r{k}" for k in range(channels)])
    out += ["    fma_loop(accumulators, xf, xrow + _u(p0), R, LANES, taps, T, wf, weight_rows, T,"
            " C)"]
    out += epilogue_lines([n for row in acc for n in row], "LANES")
    out.append("    o = orow + _u(p0)")
    for k in range(channels):
        out.append(f"    if {k} < kn:")
        for h in range(halves):
            out.append(f"        store_tile(of, o + _u({k}) * _u(P) + _u({16 * h}), "
                       f"{acc[k][h]})")
    return out


def pointwise_module():
    doc = ("Register tiles of the 'pointwise' convolution: `tile_KxW` runs K output "
           "channels over W\npositions (kernels/conv_pointwise.py says how they are used; "
           "kernels/_shapes.py which\none a target gets); each applies its `epilogue` "
           "(kernels/_epilogue.py) before the store.")
    imports = [EPILOGUE_IMPORT, "from ._fma_loop import fma_loop",
               "from ._stack import store_tile, tile_pointer",
               "from ._target import njit", "from .conv_pad import _u", "",
               '_FLAGS = {"contract"}', "LANES = 16",
               "# has_bias: 0 none, 1 (True) one per output channel, 2 one per position",
               "ALONG_POSITIONS = 2", "", "",
               '@njit(inline="always")', "def _bias(bias, has_bias, k, K):",
               "    return bias[k] if has_bias == 1 and k < K else 0.0", ""]
    return module("pointwise", doc, imports, _shapes.pointwise_shapes(), pointwise_tile,
                  lambda k, h: f"tile_{k}x{h * 16}")
