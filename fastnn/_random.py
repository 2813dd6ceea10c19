"""fastnn's random generator, used by the factories, nn.init and dropout."""
import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed):
    """Seed fastnn's generator (like ``torch.manual_seed``; the streams differ from torch's)."""
    global _generator
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"manual_seed expected an int, got {type(seed).__name__}")
    _generator = np.random.default_rng(int(seed) & 0xFFFF_FFFF_FFFF_FFFF)
    return _generator


def generator():
    """The numpy Generator fastnn draws from."""
    return _generator
