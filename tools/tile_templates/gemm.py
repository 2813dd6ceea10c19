"""The Linear GEMM's tiles (kernels/gemm.py): scalar accumulators that LLVM vectorises
along K (`reassoc`), one per output element of the tile."""
from .common import EPILOGUE_IMPORT, _shapes, module


def store_row():
    """The helper that writes one tile row: bias, then the epilogue, then the store."""
    cs = ["c0", "c1", "c2", "c3"]
    out = ['@njit(inline="always")',
           "def store_row(out, i, j0, n, c0, c1, c2, c3, bias, has_bias, epilogue):",
           '    """Write the up to 4 valid columns of one tile row, adding the bias there '
           '(fused), then\n    `epilogue`."""',
           "    if has_bias:",
           "        c0 += bias[j0]"]
    for j in range(1, 4):
        out += [f"        if j0 + {j} < n:", f"            c{j} += bias[j0 + {j}]"]
    out += ["    if epilogue != NONE:", "        hi = ceiling(epilogue, out.dtype)"]
    out += [f"        {c} = clamp({c}, hi)" for c in cs]
    out.append("    out[i, j0] = c0")
    for j in range(1, 4):
        out += [f"    if j0 + {j} < n:", f"        out[i, j0 + {j}] = c{j}"]
    return out


def gemm_tile(rows, cols):
    """`rows` rows of `a` x `cols` (4) weight rows: rows*cols accumulators."""
    assert cols == 4, "store_row writes 4 columns"
    name = f"tile_{rows}x{cols}"
    out = ['@njit(inline="always", fastmath=_FASTMATH)',
           f"def {name}(a, w, bias, has_bias, out, i0, j0, n, k_size, epilogue):",
           f'    """Rows i0..i0+{rows - 1} x columns j0..j0+3 of `out` (columns past n are '
           f'computed from\n    row n-1 of `w` and not stored), then `epilogue`."""']
    out += [f"    j{j} = min(j0 + {j}, n - 1)" for j in range(1, cols)]
    out.append("    zero = a.dtype.type(0)")
    names = [[f"c{r}{j}" if rows > 1 else f"c{j}" for j in range(cols)] for r in range(rows)]
    flat = [n for row in names for n in row]
    for at in range(0, len(flat), 8):
        out.append("    " + " = ".join(flat[at:at + 8]) + " = zero")
    out.append("    for k in range(k_size):")
    if rows == 1:
        out.append("        ai = a[i0, k]")
        out += [f"        {names[0][j]} += ai * w[j{j}, k]" for j in range(cols)]
    else:
        out += [f"        a{r} = a[i0 + {r}, k]" if r else "        a0 = a[i0, k]"
                for r in range(rows)]
        out += [f"        w{j} = w[j{j}, k]" for j in range(cols)]
        out += [f"        {names[r][j]} += a{r} * w{j}" for r in range(rows)
                for j in range(cols)]
    for r in range(rows):
        row = "i0" if r == 0 else f"i0 + {r}"
        out.append(f"    store_row(out, {row}, j0, n, {', '.join(names[r])}, bias, "
                   "has_bias, epilogue)")
    return out


def gemm_module():
    doc = ("Register tiles of the Linear GEMM: `tile_Rx4` runs R rows of the input against "
           "4 weight\nrows (kernels/gemm.py says how they are used; kernels/_shapes.py which "
           "one a target gets);\neach applies its `epilogue` (kernels/_epilogue.py) after the "
           "bias.")
    imports = [EPILOGUE_IMPORT, "from ._target import njit", "",
               "# as kernels/gemm.py: no nnan/ninf, NaN and inf propagate as in torch",
               '_FASTMATH = {"contract", "reassoc", "nsz", "arcp"}', ""]
    return module("gemm", doc, imports, _shapes.gemm_shapes(), gemm_tile,
                  lambda r, c: f"tile_{r}x{c}",
                  prelude=[store_row()])
