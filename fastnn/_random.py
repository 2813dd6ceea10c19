"""fastnn's random generator: torch's CPU generator, bit for bit.

torch's CPU generator is a 32-bit Mersenne Twister (mt19937) seeded with the low 32 bits of
a 64-bit seed; ``random64()`` is two draws, the first as the high word. numpy's ``MT19937``
is the same engine: fastnn sets its state to what ``init_genrand(seed)`` gives and draws
whole arrays of 32-bit words through numpy, so the samplers in ``_sampling.py`` can apply
torch's transforms vectorised. The generator also keeps torch's cached second normal sample
(the scalar Box-Muller path caches ``r * sin(theta)`` for the next call).
"""
import operator
import os
import threading

import numpy as np

from ._torch_types import CPU

__all__ = ["Generator", "manual_seed", "initial_seed", "seed", "default_generator",
           "set_rng_state"]

# torch's default_rng_seed_val: the seed of a generator nobody has seeded
DEFAULT_SEED = 67280421310721
_MT_N = 624
_STATE_BYTES = 5056   # sizeof(torch's CPUGeneratorImplState)


def _init_genrand(seed32):
    """mt19937's 624-word state for a 32-bit seed (std::mt19937's seeding)."""
    key = np.empty(_MT_N, np.uint32)
    word = seed32
    key[0] = word
    for i in range(1, _MT_N):
        word = (1812433253 * (word ^ (word >> 30)) + i) & 0xFFFF_FFFF
        key[i] = word
    return key


def _seed_value(seed):
    """`seed` as torch's 64-bit seed: negatives wrap, out of range is an error."""
    if not -2**63 <= seed < 2**64:
        raise ValueError("Overflow when unpacking long long")
    return seed & 0xFFFF_FFFF_FFFF_FFFF


class Generator:
    """torch.Generator for the CPU: mt19937 with torch's seeding and transforms.

    ``fastnn.Generator().manual_seed(s)`` gives the same numbers as
    ``torch.Generator().manual_seed(s)`` in every fastnn sampler that takes ``generator=``.

    Examples::

        >>> g = fastnn.Generator().manual_seed(0)
        >>> fastnn.rand(2, generator=g)
        tensor([0.4963, 0.7682])
    """

    def __init__(self, device="cpu"):
        if str(device) != "cpu":
            raise RuntimeError(f"Cannot get {str(device).upper()} generator: fastnn runs on "
                               f"the CPU only")
        self.device = CPU
        # held for a whole sampler call, as torch holds its generator's mutex per kernel
        self.lock = threading.RLock()
        self._engine = np.random.MT19937()
        self._words = np.random.Generator(self._engine)
        self.manual_seed(DEFAULT_SEED)

    def manual_seed(self, seed):
        """Seeds the generator (an int in [-2**63, 2**64)); returns the generator."""
        if isinstance(seed, (bool, np.bool_)) or not hasattr(seed, "__index__"):
            raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
        with self.lock:
            self._seed = _seed_value(operator.index(seed))
            self._reset_engine()
        return self

    def _reset_engine(self):
        self._engine.state = {"bit_generator": "MT19937",
                              "state": {"key": _init_genrand(self._seed & 0xFFFF_FFFF),
                                        "pos": _MT_N}}
        self._fresh = True
        self.next_double_normal = None

    def initial_seed(self):
        """The seed last given to ``manual_seed`` (or ``seed``)."""
        return self._seed

    def seed(self):
        """Seeds from the operating system's entropy and returns the 64-bit seed used."""
        value = int.from_bytes(os.urandom(8), "little")
        self.manual_seed(value)
        return value

    def get_state(self):
        """The state as a uint8 array in torch's layout (``CPUGeneratorImplState``)."""
        state = self._engine.state["state"]
        pos = int(state["pos"])
        raw = np.zeros(_STATE_BYTES, np.uint8)
        raw[0:8].view(np.uint64)[0] = self._seed
        # at::mt19937 counts `left` down to a twist; a fresh seed is left=1, next=0
        fresh = pos == _MT_N and self._fresh
        raw[8:16].view(np.int32)[:] = (1 if fresh else _MT_N + 1 - pos, 1)
        raw[16:24].view(np.uint64)[0] = 0 if fresh else pos
        raw[24:24 + 8 * _MT_N].view(np.uint64)[:] = state["key"]
        normal_at = 24 + 8 * _MT_N
        if self.next_double_normal is not None:
            raw[normal_at + 8:normal_at + 16].view(np.float64)[0] = self.next_double_normal
            raw[normal_at + 24:normal_at + 28].view(np.int32)[0] = 1
        return raw

    def set_state(self, new_state):
        """Restores a state from ``get_state`` (or torch's ``get_rng_state()``)."""
        raw = np.ascontiguousarray(np.asarray(new_state))
        if raw.dtype != np.uint8:
            raise TypeError("RNG state must be a torch.ByteTensor")
        if raw.size != _STATE_BYTES:
            raise RuntimeError(f"Expected a CPUGeneratorImplState of size {_STATE_BYTES} but "
                               f"found the input RNG state size to be {raw.size}")
        raw = raw.reshape(-1)
        left = int(raw[8:12].view(np.int32)[0])
        key = raw[24:24 + 8 * _MT_N].view(np.uint64).astype(np.uint32)
        normal_at = 24 + 8 * _MT_N
        valid = raw[normal_at + 24:normal_at + 28].view(np.int32)[0]
        with self.lock:
            self._seed = int(raw[0:8].view(np.uint64)[0])
            self._engine.state = {"bit_generator": "MT19937",
                                  "state": {"key": key, "pos": _MT_N + 1 - left}}
            self._fresh = left == 1 and int(raw[16:24].view(np.uint64)[0]) == 0
            self.next_double_normal = (
                float(raw[normal_at + 8:normal_at + 16].view(np.float64)[0]) if valid else None)
        return self

    def random32(self, n):
        """The next `n` 32-bit outputs of mt19937 as uint32 (torch's ``random()``)."""
        self._fresh = self._fresh and n == 0
        return self._words.integers(0, 0xFFFF_FFFF, size=n, dtype=np.uint32, endpoint=True)

    def random64(self, n):
        """The next `n` 64-bit draws (torch's ``random64()``): two 32-bit outputs each, the
        first as the high word."""
        pairs = self.random32(2 * n).reshape(n, 2)
        if np.little_endian:
            pairs = pairs[:, ::-1]
        return np.ascontiguousarray(pairs).view(np.uint64).reshape(n)

    def __repr__(self):
        return "<fastnn.Generator object>"


default_generator = Generator()


def resolve(generator):
    """The generator to draw from: `generator`, or the default one when None.

    A numpy ``np.random.Generator`` is accepted too (a fastnn extension): it is then used
    through numpy's own samplers, and the values are not torch's.
    """
    if generator is None:
        return default_generator
    if isinstance(generator, (Generator, np.random.Generator)):
        return generator
    raise TypeError(f"expected a fastnn.Generator (or a numpy Generator) as generator, got "
                    f"{type(generator).__name__}")


def manual_seed(seed):
    """Seeds the default generator as ``torch.manual_seed`` does; returns it.

    After ``fastnn.manual_seed(s)`` the samplers (``rand``, ``randn``, ``randint``,
    ``randperm``, ``Tensor.uniform_/normal_``, ``nn.init``, the layers' initialisation)
    give the values torch gives after ``torch.manual_seed(s)`` for the same calls.
    """
    return default_generator.manual_seed(_seed_value(int(seed)))


def initial_seed():
    """The default generator's seed (``torch.initial_seed``)."""
    return default_generator.initial_seed()


def seed():
    """Seeds the default generator non-deterministically; returns the seed (``torch.seed``)."""
    return default_generator.seed()


def set_rng_state(new_state):
    """Restores a state from ``get_rng_state``."""
    default_generator.set_state(new_state)


def generator():
    """The default generator (kept for code that called ``fastnn._random.generator()``)."""
    return default_generator
