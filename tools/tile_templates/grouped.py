"""The 'grouped_h3' convolution's tiles (kernels/conv_grouped.py)."""
from .common import EPILOGUE_IMPORT, _shapes, epilogue_lines, module


def tile_name(channels, rows, stride):
    """`tile_CxR`, with `_sS` for a stride S along H other than 1."""
    return f"tile_{channels}x{rows}" + (f"_s{stride}" if stride != 1 else "")


def grouped_tile(channels, rows, stride):
    """`channels` output channels x `rows` output rows (`stride` input rows apart) x one
    register of positions, for 3 kernel rows: each input row loaded feeds every output
    row and channel that uses it."""
    name = tile_name(channels, rows, stride)
    reads = (rows - 1) * stride + 3
    acc = [[f"a{k}{r}" for r in range(rows)] for k in range(channels)]
    out = ["@njit(fastmath=_FLAGS)",
           f"def {name}(xf, wf, of, bias, k0, has_bias, xb, wb, ob, T, xoffs, woffs, KW, xh, "
           "wk,",
           "        ostep, ow_len, nv, stride, epilogue):",
           f'    """Channels k0..k0+{channels - 1} (weights from wf[wb], k apart by wk), output '
           'rows ob,',
           "    ob + ow_len, .. (channels ostep apart), nv positions. The T taps t = (c, kd, "
           "kw) run as",
           "    one loop: input row r of tap t starts at xf[xb + xoffs[t] + r*xh], the "
           "weight of its",
           "    kernel row h is wf[wb + woffs[t] + h*KW]; output row i reads rows "
           f"{stride}i..{stride}i + 2.",
           '    All offsets unsigned. Then `epilogue`."""',
           "    TW = tile_width(of.dtype)"]
    for k in range(channels):
        out.append(f"    b{k} = bias[k0 + {k}] if has_bias else 0.0")
    for row in acc:
        for name_ in row:
            out.append(f"    {name_} = tile_buffer(of.dtype)")
    out.append("    for v in range(TW):")
    for k, row in enumerate(acc):
        for name_ in row:
            out.append(f"        {name_}[v] = b{k}")
    out += ["    for t in range(T):",
            "        wr = wb + woffs[t]"]
    for k in range(channels):
        for h in range(3):
            out.append(f"        q{k}{h} = wf[wr + _u({k}) * wk + _u({h}) * KW]")
    out += ["        e = xb + xoffs[t]",
            "        for v in range(TW):"]
    for r in range(reads):
        out.append(f"            x{r} = xf[e + _u({r}) * xh + _u(v)]")
    for h in range(3):
        for k in range(channels):
            for r in range(rows):
                out.append(f"            {acc[k][r]}[v] += q{k}{h} * x{r * stride + h}")
    out += epilogue_lines([n for row in acc for n in row], "TW")
    for k, row in enumerate(acc):
        for r, name_ in enumerate(row):
            out.append(f"    _store(of, {name_}, ob + _u({k}) * ostep + _u({r}) * ow_len, nv, "
                       "TW)")
    return out


def grouped_module():
    doc = ("Register tiles of the 'grouped_h3' convolution: `tile_CxR` runs C output "
           "channels over R\noutput rows of one register of positions, `tile_CxR_s2` "
           "over R output rows of stride 2\nalong H (kernels/conv_grouped.py says how "
           "they are used; kernels/_shapes.py which one a\ntarget gets); each applies its "
           "`epilogue` (kernels/_epilogue.py) before the store.")
    imports = [EPILOGUE_IMPORT, "from ._stack import tile_buffer, tile_width",
               "from ._target import njit", "from .conv_pad import _u",
               "from .rows import store_run as _store", "",
               '_FLAGS = {"contract"}', ""]
    return module("grouped_h3", doc, imports, _shapes.grouped_shapes(), grouped_tile,
                  tile_name)
