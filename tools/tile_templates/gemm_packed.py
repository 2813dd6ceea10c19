"""The packed GEMM's tiles (kernels/gemm_packed.py): R rows of a packed input block
against one packed weight panel of 16 or 32 columns, a stack accumulator per row and run."""
from .common import EPILOGUE_IMPORT, _shapes, epilogue_lines, module, tuple_line


def gemm_packed_tile(rows, runs):
    """`rows` x `runs` accumulators of 16 lanes; per step `runs` panel loads, then one
    broadcast per row, used at once (kernels/_fma_loop.py)."""
    width = 16 * runs
    acc = [[f"s{r}_{h}" for h in range(runs)] for r in range(rows)]
    out = ["@njit(fastmath=_FLAGS)",
           f"def tile_{rows}x{width}(af, wf, of, bias, has_bias, ao, wo, K, "
           "oo, N, c0, rn,\n        epilogue):",
           f'    """Output rows oo / N.. (the first rn stored), columns c0..c0+{width - 1}: '
           f"the input block\n    at af[ao..] ({rows} rows per step) times the weight panel "
           f'at wf[wo..] ({width} columns per\n    step) over K steps, then `epilogue`."""']
    out += [f"    {name} = tile_pointer(of.dtype)" for row in acc for name in row]
    out.append("    for v in range(LANES):")
    out += [f"        q{h} = bias[_u(c0) + _u({16 * h}) + _u(v)] if has_bias else 0.0"
            for h in range(runs)]
    out += [f"        {acc[r][h]}[v] = q{h}" for r in range(rows) for h in range(runs)]
    out += tuple_line("accumulators", [n for row in acc for n in row])
    out.append("    at = _u(ao)")
    out += tuple_line("rows_at", [f"at + _u({r})" for r in range(rows)])
    out += [f"    fma_loop(accumulators, wf, _u(wo), {width}, LANES, None, 1, af, rows_at, "
            f"{rows}, K)"]
    out += epilogue_lines([n for row in acc for n in row], "LANES")
    for r in range(rows):
        out += [f"    if {r} < rn:",
                f"        o = _u(oo) + _u({r}) * _u(N) + _u(c0)"]
        out += [f"        store_tile(of, o + _u({16 * h}), {acc[r][h]})" for h in range(runs)]
    return out


def gemm_packed_module():
    doc = ("Register tiles of the packed GEMM: `tile_RxW` runs R rows of a packed input "
           "block against a\npacked weight panel of W columns (kernels/gemm_packed.py says "
           "how they are used;\nkernels/_shapes.py which one a target gets); each applies its "
           "`epilogue`\n(kernels/_epilogue.py) before the store.")
    imports = [EPILOGUE_IMPORT, "from ._fma_loop import fma_loop",
               "from ._stack import store_tile, tile_pointer",
               "from ._target import njit", "from .conv_pad import _u", "",
               "# as kernels/gemm_packed.py: FMA only, NaN and inf propagate as in torch",
               '_FLAGS = {"contract"}', "LANES = 16", ""]
    return module("gemm_packed", doc, imports, _shapes.gemm_packed_shapes(),
                  gemm_packed_tile, lambda rows, runs: f"tile_{rows}x{runs * 16}")
