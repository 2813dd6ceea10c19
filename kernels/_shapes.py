"""Register-tile shapes for a codegen target (kernels/_target.py).

An accumulator is a 16-lane stack buffer (kernels/_stack.py), so it fills
16 * itemsize * 8 / vector_bits registers: one zmm of float32, two ymm of float32, four
ymm of float64. A tile's accumulators plus the weights and the broadcast value of one step
must fit in the register file, or LLVM spills accumulators to the stack inside the inner
loop, which runs far slower (the 2x8 'blocked' tile of 32 ymm halves on AVX2: docs/PERF.md).

Pure Python without Numba, so tools/gen_tiles.py can generate every shape this can pick.
"""
LANES = 16
BITS = (128, 256, 512)
ITEMSIZES = (4, 8)


def registers_per_accumulator(vector_bits, itemsize):
    return max(1, LANES * itemsize * 8 // vector_bits)


def register_count(vector_bits):
    return 32 if vector_bits == 512 else 16


def blocked_shape(vector_bits, itemsize):
    """(blocks of 16 output channels, positions) of the 'blocked' convolution's tile.

    Per input channel the tile holds its weight vectors, the accumulators and one
    broadcast position at a time (kernels/_fma_loop.py uses each broadcast at once), so
    blocks*per + 1 + blocks*positions*per <= registers. Two blocks (each broadcast feeds
    two weight vectors) where that leaves at least four positions, else one; at most eight
    positions. AVX2 float32 gets 1x6 (12 accumulators; the tiles written as Python loops
    loaded every broadcast first and spilled beyond 1x4)."""
    per = registers_per_accumulator(vector_bits, itemsize)
    registers = register_count(vector_bits)
    for blocks in (2, 1):
        pixels = min(8, (registers - blocks * per - 1) // (blocks * per))
        if pixels >= (4 if blocks == 2 else 1):
            return blocks, pixels
    return 1, 1


def blocked_shapes():
    """Every shape `blocked_shape` can choose."""
    return {blocked_shape(bits, size) for bits in BITS for size in ITEMSIZES}


def pointwise_shape(vector_bits, itemsize):
    """(output channels, runs of 16 positions) of the 'pointwise' convolution's tile. Per
    input channel and tap it holds the input runs, the accumulators and one broadcast
    weight at a time (kernels/_fma_loop.py uses each broadcast at once):
    channels*runs*per + runs*per + 1 <= registers. Two runs of positions where that leaves
    eight channels, else one run and as many channels as fit (at most eight). AVX2 float32
    gets 6x16 (12 accumulators; the tiles written as Python loops loaded every weight
    first and spilled beyond 4x16)."""
    per = registers_per_accumulator(vector_bits, itemsize)
    registers = register_count(vector_bits)
    for runs in (2, 1):
        channels = min(8, (registers - runs * per - 1) // (runs * per))
        if channels >= (8 if runs == 2 else 1):
            return channels, runs
    return 1, 1


def pointwise_shapes():
    """Every shape `pointwise_shape` can choose, and the 8x16 tile that planes of 16..31
    positions take on targets whose shape is 8x32."""
    shapes = {pointwise_shape(bits, size) for bits in BITS for size in ITEMSIZES}
    return shapes | {(channels, 1) for channels, runs in shapes if runs == 2}


def grouped_shape(vector_bits, itemsize):
    """(output channels, output rows) of the 'grouped_h3' convolution's tile, whose
    accumulators are one register each. AVX-512 FMAs broadcast their weight from memory,
    so only the accumulators and the rows + 2 input rows count there: 4x4. With 16
    registers every weight is a register too: 2x4 keeps its 8 accumulators in registers
    (tests/codegen_probe.py)."""
    return (4, 4) if vector_bits == 512 else (2, 4)


GROUPED_ROW_STRIDES = (1, 2)    # 'grouped_h3' has a tile for each stride along H


def grouped_shapes():
    """Every shape `grouped_shape` can choose, with each stride along H it is generated
    for: (channels, rows, stride)."""
    return {grouped_shape(bits, size) + (stride,) for bits in BITS for size in ITEMSIZES
            for stride in GROUPED_ROW_STRIDES}


DIRECT_NARROW = 4


def direct_shape(vector_bits, itemsize):
    """(output channels, output rows) of the 'direct' convolution's widest tile, whose
    accumulators are one register each. Per tap it holds the two rows' input vectors, the
    accumulators and one broadcast weight at a time (kernels/_fma_loop.py
    `fma_loop_vector`): channels*2 + 2 + 1 <= registers, at most 8 channels (16
    accumulators: faster than 4 x 2 on dense 3x3 with 32 registers, and two rows faster
    than one). AVX2 gets 6 x 2 (the tile written as Python loops loaded every weight
    first and took 4 x 2). Blocks of at most DIRECT_NARROW channels take the narrow tile
    on every target."""
    return min(8, (register_count(vector_bits) - 3) // 2), 2


def direct_shapes():
    """Every shape `direct_shape` can choose, and the narrow tile."""
    return {direct_shape(bits, size) for bits in BITS for size in ITEMSIZES} | {
        (DIRECT_NARROW, 2)}


DEPTHWISE_ROWS = 8
DEPTHWISE_S2_ROWS = 4


def depthwise_shapes():
    """The depthwise convolution's tiles, the same on every target: ("h3", rows, runs) for 3
    kernel rows at stride 1 (DEPTHWISE_ROWS rows x one register; the last row group, when
    1-4 rows remain, half of them x two registers), ("h5s2", rows, 1) for 5 kernel rows at
    stride 2 (DEPTHWISE_S2_ROWS rows), and ("rows", rows, 1) for any kernel. Eight
    accumulators at stride 1: with four, each waits on the FMA latency, which was slower."""
    return {("h3", DEPTHWISE_ROWS, 1), ("h3", DEPTHWISE_ROWS // 2, 2),
            ("h5s2", DEPTHWISE_S2_ROWS, 1), ("rows", DEPTHWISE_ROWS, 1)}


def gemm_shape(vector_bits, itemsize):
    """(rows of the input, weight rows) of the Linear GEMM's tile; each accumulator becomes
    one vector register along K. 4 x 4 with 32 registers; with 16, 2 x 4: 8 accumulators and
    6 loads per step (4 x 4's 16 + 8 spilled)."""
    return (4, 4) if register_count(vector_bits) == 32 else (2, 4)


def gemm_shapes():
    """Every shape `gemm_shape` can choose, and the one-row tile for the rows left over."""
    return {gemm_shape(bits, size) for bits in BITS for size in ITEMSIZES} | {(1, 4)}


def gemm_packed_shape(vector_bits, itemsize):
    """(rows of the input, runs of 16 output columns) of the packed GEMM's tile
    (kernels/gemm_packed.py). Per step it loads the weight panel's runs and broadcasts one
    input value per row, used at once (kernels/_fma_loop.py), at most 12 rows. Two runs
    where an accumulator is one register (float32 on AVX-512): rows*runs + runs + 1 <=
    registers; else one run, rows*per + per + 1 <= registers (AVX2 float32: 6x16)."""
    per = registers_per_accumulator(vector_bits, itemsize)
    registers = register_count(vector_bits)
    if per == 1:
        return min(12, (registers - 3) // 2), 2
    return max(1, min(12, (registers - per - 1) // per)), 1


def gemm_packed_shapes():
    """Every shape `gemm_packed_shape` can choose."""
    return {gemm_packed_shape(bits, size) for bits in BITS for size in ITEMSIZES}


def weight_grad_shape(vector_bits, itemsize):
    """(input values broadcast, groups of 16 output channels) of the gathered weight
    gradient's tile (kernels/conv_weight_grad_gather.py): per position it loads the groups'
    output-gradient vectors and broadcasts one input value per tap, used at once
    (kernels/_fma_loop.py), against broadcasts x groups accumulators, so
    broadcasts*groups*per + groups*per + 1 <= registers. The most accumulators, then the
    fewest groups (output channels are padded to whole groups); at most four groups and
    eight broadcasts. AVX-512 float32 gets 6x4, AVX2 float32 6x1 (tests/codegen_probe.py
    checks neither spills)."""
    per = registers_per_accumulator(vector_bits, itemsize)
    registers = register_count(vector_bits)
    best = (1, 1)
    for groups in (1, 2, 4):
        taps = min(8, (registers - groups * per - 1) // (groups * per))
        if taps >= 1 and taps * groups > best[0] * best[1]:
            best = (taps, groups)
    return best


def weight_grad_shapes():
    """Every shape `weight_grad_shape` can choose."""
    return {weight_grad_shape(bits, size) for bits in BITS for size in ITEMSIZES}
