"""Memoised argument checks: a repeated call with the same shapes and arguments skips them.

A functional op's checks and output geometry depend only on its inputs' shapes and dtypes
and on its scalar arguments. `args_key` makes a hashable key of the scalar arguments that
tells apart every two values torch's argument parser tells apart (1, 1.0, True and "1" all
differ; a list and a tuple of the same ints parse alike), or None when a value is of any
other type, which then goes through the full checks on every call. Only successful checks
are remembered, so every error is still raised by the checking code, in torch's words.

Measured on LeNet batch 1 (2 threads): the checks were ~60% of the forward's time.
"""
MAX_PLANS = 1024


def args_key(*values):
    """`values` as a hashable key, or None when one is not an int, str, None, bool, or a
    tuple or list of ints."""
    key = []
    for value in values:
        kind = type(value)
        if kind is int or kind is str or value is None:
            key.append(value)
        elif kind is tuple or kind is list:
            for item in value:
                if type(item) is not int:
                    return None
            key.append(tuple(value))
        elif kind is bool:
            key.append((bool, value))   # True == 1, but torch refuses a bool for an int
        else:
            return None
    return tuple(key)


class Plans(dict):
    """Checked geometry by key, emptied when it reaches MAX_PLANS entries."""

    def plan(self, key, check, *args):
        """The plan remembered for `key`, else ``check(*args)`` (remembered unless `key`
        is None; an exception it raises is not)."""
        plan = self.get(key) if key is not None else None
        if plan is None:
            plan = check(*args)
            if key is not None:
                if len(self) >= MAX_PLANS:
                    self.clear()
                self[key] = plan
        return plan
