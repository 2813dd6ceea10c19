"""fastnn.Tensor: a numpy.ndarray subclass with the torch methods CNN code uses."""
import numpy as np


class Tensor(np.ndarray):
    pass
