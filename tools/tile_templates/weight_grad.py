"""The gathered weight gradient's tiles (kernels/conv_weight_grad_gather.py)."""
from .common import _shapes, module, tuple_line


def weight_grad_tile(taps, groups):
    """`taps` input values broadcast x `groups` 16-lane groups of output channels; the
    accumulators' lanes are output channels (the loop: kernels/_fma_loop.py)."""
    acc = [[f"a{j}_{g}" for g in range(groups)] for j in range(taps)]
    out = ["@njit(fastmath=_FLAGS, _nrt=False)",
           f"def tile_{taps}x{groups}(xf, gf, part, offsets, j0, J, xb, step, gb, Kp, kb, "
           "count):",
           f'    """Taps j0..j0+{taps - 1} (clamped to J - 1; only real ones added) x output '
           f'channels kb..kb+{16 * groups - 1}:',
           "    part[j*Kp + k] += the sum over `count` positions of xf[xb + offsets[j] + "
           "q*step] *",
           '    gf[gb + q*Kp + k]."""']
    for row in acc:
        for name in row:
            out.append(f"    {name} = tile_pointer(gf.dtype)")
    out.append("    for v in range(LANES):")
    for row in acc:
        for name in row:
            out.append(f"        {name}[v] = 0.0")
    out += tuple_line("accumulators", [acc[j][g] for j in range(taps) for g in range(groups)])
    out += tuple_line("tap_at", [f"xb + _u(offsets[min(j0 + {j}, J - 1)])"
                                 for j in range(taps)])
    out.append("    fma_loop(accumulators, gf, gb + _u(kb), Kp, LANES, None, 1, xf, tap_at, "
               "step, count)")
    for j, row in enumerate(acc):
        out.append(f"    if j0 + {j} < J:")
        out.append(f"        at = _u((j0 + {j}) * Kp + kb)")
        for g, name in enumerate(row):
            out.append("        for v in range(LANES):")
            out.append(f"            part[at + _u({16 * g}) + _u(v)] += {name}[v]")
    return out


def weight_grad_module():
    doc = ("Register tiles of the gathered weight gradient: `tile_JxG` broadcasts J input "
           "values per\nposition against G groups of 16 output channels "
           "(kernels/conv_weight_grad_gather.py says\nhow they are used; kernels/_shapes.py "
           "which one a target gets).")
    imports = ["from ._fma_loop import fma_loop", "from ._stack import tile_pointer",
               "from ._target import njit",
               "from .conv_pad import _u", "", '_FLAGS = {"contract"}', "LANES = 16", ""]
    return module("weight_grad", doc, imports, _shapes.weight_grad_shapes(), weight_grad_tile,
                  lambda taps, groups: f"tile_{taps}x{groups}")
