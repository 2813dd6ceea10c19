"""The 'direct' convolution's tiles (kernels/conv.py `conv3d_direct`)."""
from .common import EPILOGUE_IMPORT, _shapes, epilogue_lines, module, tuple_line


def direct_tile(channels, rows):
    """`channels` output channels x 2 output rows (`rows`; the second may be a second tile
    of the first row) x one register of positions. A tile of more than
    `_shapes.DIRECT_NARROW` channels serves only blocks with more channels than that (the
    narrow tile takes the others), so it stores those unconditionally."""
    assert rows == 2, "the direct tile's rows are its two input and output bases"
    name = f"tile_{channels}x{rows}"
    least = _shapes.DIRECT_NARROW + 1 if channels > _shapes.DIRECT_NARROW else 1
    a = [f"a{k}" for k in range(channels)]
    b = [f"b{k}" for k in range(channels)]
    out = ["@njit(fastmath=_FLAGS, _nrt=False)",
           f"def {name}(xf, wf, of, bias8, xb, xb2, wb, ob, ob2, wstep, ostep, kn, nv, T, "
           "offs,",
           "        epilogue):",
           '    """Positions ob..ob+nv-1 (nv <= TW) of output rows ob and ob2, channels '
           "k0..k0+kn-1",
           f"    ({least} <= kn <= {channels}), then `epilogue`; all offsets unsigned. "
           "Two rows share each",
           "    weight load.",
           "",
           "    The T taps t = (c, kd, kh, kw) in the weight's order run as one loop: x "
           "element of",
           "    (t, v) is xf[xb + offs[t] + v] (xb2 for the second row), weight (r, t) "
           "wf[wb + wstep[r] + t].",
           "    Rows of a partial block repeat the block's last channel (wstep) and are not "
           "stored.",
           '    """',
           "    TW = tile_width(of.dtype)"]
    out += [f"    {n} = tile_pointer(of.dtype)" for n in a + b]
    out.append("    for v in range(TW):")
    for k in range(channels):
        out += [f"        a{k}[v] = bias8[{k}]", f"        b{k}[v] = bias8[{k}]"]
    # fma_loop_vector's order: channels (the broadcast weights) outer, the two rows inner
    out += tuple_line("accumulators", [n for k in range(channels) for n in (a[k], b[k])])
    out += tuple_line("bases", ["wb"] + [f"wb + wstep[{k}]" for k in range(1, channels)])
    out.append("    fma_loop_vector(accumulators, xf, xb, 0, xb2 - xb, offs, T, wf, bases, 0, 1)")
    out += epilogue_lines(a + b, "TW")
    for k in range(channels):
        step = "" if k == 0 else " + ostep" if k == 1 else f" + _u({k}) * ostep"
        indent = "    "
        if k >= least:
            out.append(f"    if kn > {k}:")
            indent = "        "
        out += [f"{indent}_store(of, a{k}, ob{step}, nv, TW)",
                f"{indent}_store(of, b{k}, ob2{step}, nv, TW)"]
    return out


def direct_module():
    doc = ("Register tiles of the 'direct' convolution: `tile_Cx2` runs C output channels "
           "over two\noutput rows of one register of positions (kernels/conv.py says how "
           "they are used;\nkernels/_shapes.py which one a target gets); each applies its "
           "`epilogue`\n(kernels/_epilogue.py) before the store.")
    imports = [EPILOGUE_IMPORT, "from ._fma_loop import fma_loop_vector",
               "from ._stack import tile_pointer, tile_width",
               "from ._target import njit", "from .conv_pad import _u",
               "from .rows import store_run as _store", "",
               '_FLAGS = {"contract"}', ""]
    return module("direct", doc, imports, _shapes.direct_shapes(), direct_tile,
                  lambda c, r: f"tile_{c}x{r}")
