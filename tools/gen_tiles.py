"""Generate the register tiles of fastnn's kernel families from one template each.

A register tile keeps its accumulators in vector registers only when every one of them is
a separate fixed-size stack buffer (or scalar) touched inside fully unrolled loops
(kernels/_stack.py), so a tile of B blocks x P positions is B*P accumulators written out
by name. Writing those by hand once per tile shape, per family and per epilogue
multiplied copies that differ only in counts; the templates (tools/tile_templates/, one
module per family) write them instead, for every shape `kernels._shapes` can choose and
every epilogue `kernels._epilogue` names ("none": bias and store; "relu": torch's relu on
the accumulators before the store).

    python tools/gen_tiles.py           # rewrite the generated files
    python tools/gen_tiles.py --check   # exit 1 if a generated file is stale (CI runs it)

The output is ordinary Python in `kernels/` (Numba's on-disk cache needs a real file).
"""
import argparse
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from tile_templates.blocked import blocked_module  # noqa: E402
from tile_templates.depthwise import depthwise_module  # noqa: E402
from tile_templates.direct import direct_module  # noqa: E402
from tile_templates.gemm import gemm_module  # noqa: E402
from tile_templates.gemm_packed import gemm_packed_module  # noqa: E402
from tile_templates.grouped import grouped_module  # noqa: E402
from tile_templates.pointwise import pointwise_module  # noqa: E402
from tile_templates.weight_grad import weight_grad_module  # noqa: E402

GENERATED = {"kernels/tiles_blocked.py": blocked_module,
             "kernels/tiles_depthwise.py": depthwise_module,
             "kernels/tiles_direct.py": direct_module,
             "kernels/tiles_gemm.py": gemm_module,
             "kernels/tiles_gemm_packed.py": gemm_packed_module,
             "kernels/tiles_grouped.py": grouped_module,
             "kernels/tiles_pointwise.py": pointwise_module,
             "kernels/tiles_weight_grad.py": weight_grad_module}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if a generated file differs from what the template makes")
    args = parser.parse_args(argv)
    stale = []
    for relative, make in GENERATED.items():
        path = ROOT / relative
        text = make()
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(relative)
        else:
            path.write_text(text)
    if stale:
        print("stale generated files (run python tools/gen_tiles.py): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
