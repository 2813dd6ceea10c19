"""Classes and functions pickled into checkpoints by torch.save in the tests and found
again by fastnn.load (both import this module by the same name)."""

calls = []      # what the pickled code ran while a checkpoint was loading


class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y


def make_point(x, y):
    calls.append(("make_point", x))
    return Point(x, y)


class Recorded:
    """Unpickles by calling `make_point`: a file holding it runs code when loaded."""

    def __init__(self, x):
        self.x = x

    def __reduce__(self):
        return make_point, (self.x, None)
