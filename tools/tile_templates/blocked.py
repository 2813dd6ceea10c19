"""The 'blocked' convolution's tiles (kernels/conv_blocked.py)."""
from .common import EPILOGUE_IMPORT, _shapes, epilogue_lines, module, tuple_line


def blocked_tile(blocks, pixels):
    """`blocks` 16-channel output blocks (1 or 2) x `pixels` output positions; the
    accumulators' lanes are output channels."""
    name = f"tile_{blocks}x{pixels}"
    acc = [[f"a{b}_{p}" for p in range(pixels)] for b in range(blocks)]
    bias = ["bias16", "bias16b"]
    out = ["@njit(fastmath=_FLAGS)",
           f"def {name}(xf, wf, of, bias16, bias16b, xrow, wbase, wstep, orow, ostep, "
           "ostride, kn, kn2,",
           " " * len(f"def {name}(")
           + "first, P, OW, CW, col0, shxh, sw, CB, KD, KH, KW, kd0, kd1, kh0, kh1, kw0, kw1,",
           " " * len(f"def {name}(") + "xcb, xd, xh, xw, epilogue):",
           f'    """{blocks} block(s) of 16 output channels x {pixels} positions: '
           f'{blocks * pixels} accumulators, then `epilogue`."""']
    for row in acc:
        for name_ in row:
            out.append(f"    {name_} = tile_pointer(of.dtype)")
    out.append("    for v in range(BLOCK):")
    for b, row in enumerate(acc):
        for name_ in row:
            out.append(f"        {name_}[v] = {bias[b]}[v]")
    out.append("    last = P - 1")
    for p in range(pixels):
        out.append(f"    r{p} = min(first + {p}, last)")
        out.append(f"    f{p} = (r{p} // CW) * OW + col0 + r{p} % CW")
        out.append(f"    p{p} = _u((r{p} // CW) * shxh + (col0 + r{p} % CW) * sw * BLOCK)")
    # fma_loop's order: the broadcasts (positions) outer, the weight vectors (blocks) inner
    out += tuple_line("accumulators", [acc[b][p] for p in range(pixels) for b in range(blocks)])
    out += ["    for cb in range(CB):",
            "        for kd in range(kd0, kd1):",
            "            for kh in range(kh0, kh1):",
            "                xr = xrow + cb * xcb + kd * xd + kh * xh",
            "                wo = wbase + (((cb * KD + kd) * KH + kh) * KW + kw0) * "
            "_u(BLOCK * BLOCK)",
            "                for kw in range(kw0, kw1):",
            "                    xo = xr + kw * xw"]
    out += tuple_line("at", [f"xo + p{p}" for p in range(pixels)], indent=" " * 20)
    out += ["                    fma_loop(accumulators, wf, wo, BLOCK, wstep, None, 1, xf, at,"
            " 1, BLOCK)",
            "                    wo += _u(BLOCK * BLOCK)"]
    out += epilogue_lines([n for row in acc for n in row], "BLOCK")
    kns = ["kn", "kn2"]
    for b, row in enumerate(acc):
        base = "orow" if b == 0 else "orow + ostep"
        for p, name_ in enumerate(row):
            out.append(f"    store(of, {name_}, {base} + _u(f{p}), ostride, {kns[b]})")
    return out


def blocked_module():
    doc = ("Register tiles of the 'blocked' convolution: `tile_BxP` runs B blocks of 16 "
           "output channels\nover P output positions (kernels/conv_blocked.py says how they "
           "are used; kernels/_shapes.py\nwhich one a target gets); each applies its "
           "`epilogue` (kernels/_epilogue.py) before the store.")
    imports = [EPILOGUE_IMPORT, "from ._fma_loop import fma_loop",
               "from ._stack import tile_pointer",
               "from ._target import njit", "from .conv_pad import _u",
               "from .rows import store_lanes as store", "",
               '_FLAGS = {"contract"}', "BLOCK = 16", ""]
    return module("blocked", doc, imports, _shapes.blocked_shapes(), blocked_tile,
                  lambda b, p: f"tile_{b}x{p}")
