"""The depthwise convolution's tiles (kernels/conv_depthwise.py)."""
from .common import EPILOGUE_IMPORT, _shapes, epilogue_lines, module


def tile_name(kind, rows, runs):
    return f"tile_rows_{rows}" if kind == "rows" else f"tile_{kind}_{rows}x{runs}"


def column_tile(kind, rows, runs):
    """`rows` consecutive output rows x `runs` registers of positions, for KH kernel rows
    at stride SH and dilation 1 along H (`kind` "hKH" or "hKHsSH"): each loaded input row
    feeds every output row that uses it. One run starts at s and stores nv positions; two
    runs (the last row group, when a few rows remain) start at s0 and s1 and store whole
    registers."""
    kh, _, sh = kind[1:].partition("s")
    kh, sh = int(kh), int(sh or 1)
    name = tile_name(kind, rows, runs)
    starts = "s, nv" if runs == 1 else "s0, s1"
    acc = [[f"{'ac'[run]}{r}" for r in range(rows)] for run in range(runs)]
    loads = "xy"
    out = ['@njit(fastmath=_FLAGS, forceinline=True)',
           f"def {name}(scratch, w, of, oh0, b, k, od, {starts}, sd, dd, KD, KW, Hp, Wp, "
           "taps,",
           "        oplane, ow_len, epilogue):",
           f'    """{rows} output rows from oh0 x {runs} register(s) of positions'
           f'{"" if sh == 1 else f" at stride {sh}"}, then `epilogue`."""',
           "    TW = tile_width(of.dtype)"]
    out += [f"    {n} = tile_buffer(of.dtype)" for run in acc for n in run]
    out.append("    for v in range(TW):")
    out += [f"        {n}[v] = b" for run in acc for n in run]
    out += ["    u_wp = _u(Wp)",
            "    for kd in range(KD):",
            f"        r0 = _u(((od * sd + kd * dd) * Hp + oh0{'' if sh == 1 else f' * {sh}'})"
            " * Wp" + (" + s)" if runs == 1 else ")")]
    inputs = (rows - 1) * sh + kh
    out += [f"        r{r} = r0 + u_wp" if r == 1 else f"        r{r} = r0 + _u({r}) * u_wp"
            for r in range(1, inputs)]
    out += ["        for kw in range(KW):"]
    out += [f"            q{h} = w[k, 0, kd, {h}, kw]" for h in range(kh)]
    out += ["            e = taps[kw]",
            "            for v in range(TW):"]
    offsets = ["j", "i"]
    if runs == 1:
        out.append("                j = _u(v) + e")
    else:
        out += [f"                {offsets[run]} = _u(v) + e + _u(s{run})" for run in range(2)]
    for run in range(runs):
        out += [f"                {loads[run]}{r} = scratch[r{r} + {offsets[run]}]"
                for r in range(inputs)]
    for h in range(kh):
        for run in range(runs):
            out += [f"                {acc[run][r]}[v] += q{h} * {loads[run]}{r * sh + h}"
                    for r in range(rows)]
    out += epilogue_lines([n for run in acc for n in run], "TW")
    if runs == 1:
        out.append("    ob = oplane + _u(s) + _u(oh0) * ow_len")
    else:
        out.append("    ob = oplane + _u(oh0) * ow_len")
    for run in range(runs):
        for r in range(rows):
            at = "ob" if r == 0 else "ob + ow_len" if r == 1 else f"ob + _u({r}) * ow_len"
            if runs == 1:
                out.append(f"    _store(of, {acc[run][r]}, {at}, nv, TW)")
            else:
                out.append(f"    _store(of, {acc[run][r]}, {at} + _u(s{run}), TW, TW)")
    return out


def rows_tile(rows):
    """`rows` output rows (any stride and dilation) x one register of positions from s."""
    name = f"tile_rows_{rows}"
    acc = [f"a{r}" for r in range(rows)]
    # inlined into Numba's IR: `rows` is the caller's stack buffer, which a compiled call
    # would keep in memory
    out = ['@njit(fastmath=_FLAGS, inline="always")',
           f"def {name}(scratch, w, of, rows, b, k, od, s, nv, sd, sh, dd, dh, KD, KH, KW, "
           "Hp, Wp,",
           "        taps, oplane, ow_len, epilogue):",
           f'    """{rows} output rows (`rows`) x TW positions from s, then '
           '`epilogue`."""',
           "    TW = tile_width(of.dtype)"]
    out += [f"    {n} = tile_buffer(of.dtype)" for n in acc]
    out.append("    for v in range(TW):")
    out += [f"        {n}[v] = b" for n in acc]
    out += ["    step = _u(sh) * _u(Wp)",
            "    for kd in range(KD):",
            "        for kh in range(KH):",
            "            base = _u(((od * sd + kd * dd) * Hp + kh * dh) * Wp + s)"]
    out += [f"            r{r} = base + rows[{r}] * step" for r in range(rows)]
    out += ["            for kw in range(KW):",
            "                q = w[k, 0, kd, kh, kw]",
            "                e = taps[kw]",
            "                for v in range(TW):",
            "                    j = _u(v) + e"]
    out += [f"                    {n}[v] += q * scratch[r{r} + j]" for r, n in enumerate(acc)]
    out += epilogue_lines(acc, "TW")
    out.append("    ob = oplane + _u(s)")
    out += [f"    _store(of, {n}, ob + rows[{r}] * ow_len, nv, TW)" for r, n in enumerate(acc)]
    return out


def depthwise_tile(kind, rows, runs):
    return rows_tile(rows) if kind == "rows" else column_tile(kind, rows, runs)


def depthwise_module():
    doc = ("Register tiles of the depthwise convolution: `tile_h3_RxN` runs R output rows "
           "x N registers\nof positions for 3 kernel rows at stride 1 and `tile_hKsS_Rx1` R "
           "rows x one register for\nK kernel rows at stride S (each input row loaded feeds "
           "every output row that uses it),\n`tile_rows_R` R output rows for any kernel "
           "(kernels/conv_depthwise.py says how they are\nused; kernels/_shapes.py which "
           "ones exist); each applies its `epilogue`\n(kernels/_epilogue.py) before the "
           "store.")
    imports = [EPILOGUE_IMPORT, "from ._stack import tile_buffer, tile_width",
               "from ._target import njit", "from .conv_pad import _u",
               "from .rows import store_run as _store", "",
               '_FLAGS = {"contract"}', ""]
    return module("depthwise", doc, imports, _shapes.depthwise_shapes(), depthwise_tile,
                  tile_name)
