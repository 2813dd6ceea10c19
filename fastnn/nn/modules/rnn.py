"""nn.RNN, nn.LSTM, nn.GRU and their cells, as torch's (same arguments, parameter names,
initialisation, checks and messages).

The forward is a composition of door ops, so autograd and tracing come free: per layer and
direction one ``linear`` projects the input of every time step at once, then each step
adds the hidden projection (one more ``linear``) and applies the gates.
PackedSequence inputs are not supported (NotImplementedError).
"""
import math
import numbers
import warnings

import numpy as np

from ... import _creation
from .. import functional as F
from .. import init
from .._utils import checked_empty, factory_dtype
from ..parameter import Parameter
from .module import Module

__all__ = ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}
_TYPE_NAMES = {"float64": "Double", "float32": "Float", "float16": "Half"}


def _fastnn():
    import fastnn
    return fastnn


def _as_tensor(value):
    """`value` as a fastnn Tensor (numpy arrays and torch CPU tensors are viewed)."""
    fastnn = _fastnn()
    return value if isinstance(value, fastnn.Tensor) else fastnn.as_tensor(np.asarray(value))


def _refuse_packed(input):
    if type(input).__name__ == "PackedSequence":
        raise NotImplementedError("fastnn's recurrent layers do not support PackedSequence "
                                  "inputs; pass a padded (L, N, H_in) tensor instead")


# ------------------------------------------------------------------ one step of each cell

def _rnn_step(gi, h, w_hh, b_hh, relu):
    pre = gi + F.linear(h, w_hh, b_hh)
    return F.relu(pre) if relu else _fastnn().tanh(pre)


def _lstm_step(gi, h, c, w_hh, b_hh, w_hr):
    fastnn = _fastnn()
    gates = gi + F.linear(h, w_hh, b_hh)
    i, f, g, o = gates.chunk(4, 1)
    c = fastnn.sigmoid(f) * c + fastnn.sigmoid(i) * fastnn.tanh(g)
    h = fastnn.sigmoid(o) * fastnn.tanh(c)
    if w_hr is not None:
        h = F.linear(h, w_hr)
    return h, c


def _gru_step(gi, h, w_hh, b_hh):
    fastnn = _fastnn()
    gh = F.linear(h, w_hh, b_hh)
    i_r, i_z, i_n = gi.chunk(3, 1)
    h_r, h_z, h_n = gh.chunk(3, 1)
    r = fastnn.sigmoid(i_r + h_r)
    z = fastnn.sigmoid(i_z + h_z)
    n = fastnn.tanh(i_n + r * h_n)
    return (h - n) * z + n


def _direction(mode, x, h, c, w_ih, w_hh, b_ih, b_hh, w_hr, reverse):
    """One layer in one direction over x (L, N, H_in): (outputs (L, N, H_out), h, c)."""
    gi = F.linear(x, w_ih, b_ih)             # every time step's input projection at once
    steps = range(x.shape[0] - 1, -1, -1) if reverse else range(x.shape[0])
    outputs = []
    for t in steps:
        if mode == "LSTM":
            h, c = _lstm_step(gi[t], h, c, w_hh, b_hh, w_hr)
        elif mode == "GRU":
            h = _gru_step(gi[t], h, w_hh, b_hh)
        else:
            h = _rnn_step(gi[t], h, w_hh, b_hh, mode == "RNN_RELU")
        outputs.append(h)
    if reverse:
        outputs.reverse()
    return _fastnn().stack(outputs, 0), h, c


# ------------------------------------------------------------------ the multi-layer modules

class RNNBase(Module):
    r"""What RNN, LSTM and GRU share: the arguments (checked with torch's messages), the
    parameters ``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}``,
    ``weight_hr_l{k}`` (LSTM with ``proj_size``), ``..._reverse`` for the backward
    direction, in torch's order, and torch's initialisation
    :math:`\mathcal{U}(-1/\sqrt{\text{hidden\_size}}, 1/\sqrt{\text{hidden\_size}})`."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, proj_size=0,
                 device=None, dtype=None):
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        num_directions = 2 if bidirectional else 1
        if (not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1
                or isinstance(dropout, bool)):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, "
                          "so non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=3)
        if not isinstance(bias, bool):
            raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
        if not isinstance(batch_first, bool):
            raise TypeError("batch_first should be of type bool, got: "
                            f"{type(batch_first).__name__}")
        if not isinstance(input_size, int):
            raise TypeError(f"input_size should be of type int, got: "
                            f"{type(input_size).__name__}")
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: "
                            f"{type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError(
                "proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        gate_size = _GATES[mode] * hidden_size
        dtype = factory_dtype(device, dtype)
        real_hidden_size = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_input_size = input_size if layer == 0 \
                    else real_hidden_size * num_directions
                shapes = [(gate_size, layer_input_size), (gate_size, real_hidden_size)]
                names = ["weight_ih_l{}{}", "weight_hh_l{}{}"]
                if bias:
                    shapes += [(gate_size,), (gate_size,)]
                    names += ["bias_ih_l{}{}", "bias_hh_l{}{}"]
                if proj_size > 0:
                    shapes.append((proj_size, hidden_size))
                    names.append("weight_hr_l{}{}")
                suffix = "_reverse" if direction == 1 else ""
                names = [name.format(layer, suffix) for name in names]
                for name, shape in zip(names, shapes):
                    setattr(self, name, Parameter(checked_empty(shape, dtype)))
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def flatten_parameters(self):
        """A no-op kept for torch compatibility (no cuDNN buffer to compact)."""

    @property
    def _flat_weights(self):
        return [getattr(self, name, None) for name in self._flat_weights_names]

    @property
    def all_weights(self):
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    # ---- torch's checks, same order and words

    def check_input(self, input, batch_sizes=None):
        weight_dtype = self._flat_weights[0].dtype
        if input.dtype != weight_dtype:
            raise ValueError(
                f"RNN input dtype (torch.{input.dtype.name}) does not match weight dtype "
                f"(torch.{weight_dtype.name}). Convert input: input.to(torch."
                f"{weight_dtype.name}), or convert model: model.to(torch.{input.dtype.name})")
        if input.ndim != 3:
            raise RuntimeError(f"input must have 3 dimensions, got {input.ndim}")
        if self.input_size != input.shape[-1]:
            raise RuntimeError("input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.shape[-1]}")

    def get_expected_hidden_size(self, input, batch_sizes=None):
        mini_batch = input.shape[0] if self.batch_first else input.shape[1]
        num_directions = 2 if self.bidirectional else 1
        size = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (self.num_layers * num_directions, mini_batch, size)

    def check_hidden_size(self, hx, expected_hidden_size,
                          msg="Expected hidden size {}, got {}"):
        if tuple(hx.shape) != expected_hidden_size:
            raise RuntimeError(msg.format(expected_hidden_size, list(hx.shape)))

    def check_forward_args(self, input, hidden, batch_sizes=None):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    # ---- the computation

    def _zeros(self, input, size):
        num_directions = 2 if self.bidirectional else 1
        batch = input.shape[0] if self.batch_first else input.shape[1]
        return _creation.zeros(self.num_layers * num_directions, batch, size,
                               dtype=input.dtype)

    def _run(self, input, hx, cx):
        """The layers over a batched (L, N, H_in) / (N, L, H_in) input: (output, h_n, c_n)."""
        fastnn = _fastnn()
        x = input.transpose(0, 1) if self.batch_first else input
        num_directions = 2 if self.bidirectional else 1
        has_proj = self.proj_size > 0
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(num_directions):
                index = layer * num_directions + direction
                names = self._all_weights[index]
                weights = [getattr(self, name) for name in names]
                w_ih, w_hh = weights[:2]
                b_ih, b_hh = weights[2:4] if self.bias else (None, None)
                w_hr = weights[-1] if has_proj else None
                out, h, c = _direction(self.mode, x, hx[index],
                                       None if cx is None else cx[index],
                                       w_ih, w_hh, b_ih, b_hh, w_hr, direction == 1)
                outputs.append(out)
                h_n.append(h)
                c_n.append(c)
            x = outputs[0] if num_directions == 1 else fastnn.cat(outputs, 2)
            if self.dropout != 0 and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, training=True)
        output = x.transpose(0, 1) if self.batch_first else x
        return (output, fastnn.stack(h_n, 0),
                None if cx is None else fastnn.stack(c_n, 0))

    def _forward_single_state(self, input, hx, name):
        """RNN's and GRU's forward (one state tensor), torch's checks in torch's order."""
        _refuse_packed(input)
        input = _as_tensor(input)
        if input.ndim not in (2, 3):
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.ndim}D"
                             f"{' tensor' if name == 'RNN' else ''} instead")
        is_batched = input.ndim == 3
        batch_dim = 0 if self.batch_first else 1
        if not is_batched:
            input = input.unsqueeze(batch_dim)
            if hx is not None:
                hx = _as_tensor(hx)
                if hx.ndim != 2:
                    raise RuntimeError("For unbatched 2-D input, hx should also be 2-D but "
                                       f"got {hx.ndim}-D tensor")
                hx = hx.unsqueeze(1)
        elif hx is not None:
            hx = _as_tensor(hx)
            if hx.ndim != 3:
                raise RuntimeError("For batched 3-D input, hx should also be 3-D but got "
                                   f"{hx.ndim}-D tensor")
        if hx is None:
            hx = self._zeros(input, self.hidden_size)
        self.check_forward_args(input, hx)
        output, hidden, _ = self._run(input, hx, None)
        if not is_batched:
            output = output.squeeze(batch_dim)
            hidden = hidden.squeeze(1)
        return output, hidden


class RNN(RNNBase):
    r"""A multi-layer Elman RNN, :math:`h_t = \tanh(x_t W_{ih}^T + b_{ih} + h_{t-1}
    W_{hh}^T + b_{hh})` (``nonlinearity='relu'``: ReLU), as ``torch.nn.RNN``.

    Args:
        input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
        batch_first=False, dropout=0.0 (on every layer's output but the last, in training),
        bidirectional=False, device=None, dtype=None

    forward(input, hx=None) -> (output, h_n): input (L, N, H_in) ((N, L, H_in) with
    batch_first) or unbatched (L, H_in); hx (num_layers * num_directions, N, H_out) or
    zeros; output (L, N, num_directions * H_out).

    Example::
        >>> rnn = nn.RNN(10, 20, 2)
        >>> output, hn = rnn(fastnn.randn(5, 3, 10), fastnn.randn(2, 3, 20))
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from "
                             "'tanh' or 'relu'.")
        super().__init__(mode, *args, **kwargs)

    def forward(self, input, hx=None):
        return self._forward_single_state(input, hx, "RNN")


class GRU(RNNBase):
    r"""A multi-layer gated recurrent unit (gates r, z, n in torch's order), as
    ``torch.nn.GRU``: :math:`n_t = \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} +
    b_{hn}))`, :math:`h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}`.

    Arguments, forward and returns as :class:`RNN` (no ``nonlinearity``).

    Example::
        >>> gru = nn.GRU(10, 20, 2)
        >>> output, hn = gru(fastnn.randn(5, 3, 10))
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input, hx=None):
        return self._forward_single_state(input, hx, "GRU")


class LSTM(RNNBase):
    r"""A multi-layer long short-term memory RNN (gates i, f, g, o in torch's order), as
    ``torch.nn.LSTM``; with ``proj_size > 0`` the hidden state is projected by
    ``weight_hr_l{k}`` to ``proj_size`` features.

    Args:
        input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
        bidirectional=False, proj_size=0, device=None, dtype=None

    forward(input, (h_0, c_0)=None) -> (output, (h_n, c_n)); h has ``proj_size`` features
    when projecting, c always ``hidden_size``.

    Example::
        >>> lstm = nn.LSTM(10, 20, 2)
        >>> output, (hn, cn) = lstm(fastnn.randn(5, 3, 10))
    """

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    def get_expected_cell_size(self, input, batch_sizes=None):
        mini_batch = input.shape[0] if self.batch_first else input.shape[1]
        num_directions = 2 if self.bidirectional else 1
        return (self.num_layers * num_directions, mini_batch, self.hidden_size)

    def check_forward_args(self, input, hidden, batch_sizes=None):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden[0], self.get_expected_hidden_size(input, batch_sizes),
                               "Expected hidden[0] size {}, got {}")
        self.check_hidden_size(hidden[1], self.get_expected_cell_size(input, batch_sizes),
                               "Expected hidden[1] size {}, got {}")

    def forward(self, input, hx=None):
        _refuse_packed(input)
        input = _as_tensor(input)
        if input.ndim not in (2, 3):
            raise ValueError(f"LSTM: Expected input to be 2D or 3D, got {input.ndim}D instead")
        is_batched = input.ndim == 3
        batch_dim = 0 if self.batch_first else 1
        if not is_batched:
            input = input.unsqueeze(batch_dim)
        if hx is None:
            size = self.proj_size if self.proj_size > 0 else self.hidden_size
            hx = (self._zeros(input, size), self._zeros(input, self.hidden_size))
        else:
            hx = (_as_tensor(hx[0]), _as_tensor(hx[1]))
            dims = f"({hx[0].ndim}-D, {hx[1].ndim}-D)"
            if is_batched:
                if hx[0].ndim != 3 or hx[1].ndim != 3:
                    raise RuntimeError("For batched 3-D input, hx and cx should also be 3-D "
                                       f"but got {dims} tensors")
            else:
                if hx[0].ndim != 2 or hx[1].ndim != 2:
                    raise RuntimeError("For unbatched 2-D input, hx and cx should also be "
                                       f"2-D but got {dims} tensors")
                hx = (hx[0].unsqueeze(1), hx[1].unsqueeze(1))
        self.check_forward_args(input, hx)
        output, h_n, c_n = self._run(input, hx[0], hx[1])
        if not is_batched:
            output = output.squeeze(batch_dim)
            h_n, c_n = h_n.squeeze(1), c_n.squeeze(1)
        return output, (h_n, c_n)


# ------------------------------------------------------------------ the cells

class RNNCellBase(Module):
    """What the cells share: ``weight_ih`` (num_chunks * hidden_size, input_size),
    ``weight_hh`` (num_chunks * hidden_size, hidden_size), ``bias_ih``, ``bias_hh``, and
    torch's initialisation."""

    __constants__ = ["input_size", "hidden_size", "bias"]

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        dtype = factory_dtype(device, dtype)
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(checked_empty((num_chunks * hidden_size, input_size),
                                                 dtype))
        self.weight_hh = Parameter(checked_empty((num_chunks * hidden_size, hidden_size),
                                                 dtype))
        if bias:
            self.bias_ih = Parameter(checked_empty((num_chunks * hidden_size,), dtype))
            self.bias_hh = Parameter(checked_empty((num_chunks * hidden_size,), dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _prepare(self, input, states, name, what):
        """torch's dimension checks; the batched input and states (zeros when absent), the
        C++ size checks (input size, then each state's batch and size)."""
        input = _as_tensor(input)
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D "
                             "instead")
        if states is not None:
            states = [_as_tensor(s) for s in states]
            for idx, value in enumerate(states):
                if value.ndim not in (1, 2):
                    label = what if what else f"hx[{idx}]"
                    raise ValueError(f"{name}: Expected {label} to be 1D or 2D, got "
                                     f"{value.ndim}D instead")
        is_batched = input.ndim == 2
        if not is_batched:
            input = input.unsqueeze(0)
        if states is None:
            zeros = _creation.zeros(input.shape[0], self.hidden_size, dtype=input.dtype)
            states = [zeros] * (1 if what else 2)
        elif not is_batched:
            states = [s.unsqueeze(0) for s in states]
        if input.shape[1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[1]} "
                               f"expected {self.input_size}")
        for label, s in enumerate(states):
            if input.shape[0] != s.shape[0]:
                raise RuntimeError(f"Input batch size {input.shape[0]} doesn't match "
                                   f"hidden{label} batch size {s.shape[0]}")
            if s.ndim < 2:
                raise IndexError("Dimension out of range (expected to be in range of [-1, 0], "
                                 "but got 1)")
            if s.shape[1] != self.hidden_size:
                raise RuntimeError(f"hidden{label} has inconsistent hidden_size: got "
                                   f"{s.shape[1]}, expected {self.hidden_size}")
        weight = self.weight_ih.dtype
        for value in (input, *states):
            if value.dtype != weight:
                raise RuntimeError("mat1 and mat2 must have the same dtype, but got "
                                   f"{_TYPE_NAMES.get(value.dtype.name, value.dtype.name)} "
                                   f"and {_TYPE_NAMES.get(weight.name, weight.name)}")
        return input, states, is_batched


class RNNCell(RNNCellBase):
    r"""An Elman RNN cell, :math:`h' = \tanh(W_{ih} x + b_{ih} + W_{hh} h + b_{hh})`
    (``nonlinearity='relu'``: ReLU), as ``torch.nn.RNNCell``.

    forward(input, hx=None) -> h': input (N, H_in) or (H_in); hx (N, H) or (H), or zeros.

    Example::
        >>> cell = nn.RNNCell(10, 20)
        >>> h = cell(fastnn.randn(3, 10))
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device,
                         dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        input, (hx,), is_batched = self._prepare(input, None if hx is None else (hx,),
                                                 "RNNCell", "hidden")
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        gi = F.linear(input, self.weight_ih, self.bias_ih)
        h = _rnn_step(gi, hx, self.weight_hh, self.bias_hh, self.nonlinearity == "relu")
        return h if is_batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    r"""A long short-term memory cell (gates i, f, g, o), as ``torch.nn.LSTMCell``.

    forward(input, (h, c)=None) -> (h', c').

    Example::
        >>> cell = nn.LSTMCell(10, 20)
        >>> h, c = cell(fastnn.randn(3, 10))
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device,
                         dtype=dtype)

    def forward(self, input, hx=None):
        input, (h, c), is_batched = self._prepare(input, hx, "LSTMCell", None)
        gi = F.linear(input, self.weight_ih, self.bias_ih)
        h, c = _lstm_step(gi, h, c, self.weight_hh, self.bias_hh, None)
        return (h, c) if is_batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    r"""A gated recurrent unit cell (gates r, z, n), as ``torch.nn.GRUCell``.

    forward(input, hx=None) -> h'.

    Example::
        >>> cell = nn.GRUCell(10, 20)
        >>> h = cell(fastnn.randn(3, 10))
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device,
                         dtype=dtype)

    def forward(self, input, hx=None):
        input, (hx,), is_batched = self._prepare(input, None if hx is None else (hx,),
                                                 "GRUCell", "hidden")
        gi = F.linear(input, self.weight_ih, self.bias_ih)
        h = _gru_step(gi, hx, self.weight_hh, self.bias_hh)
        return h if is_batched else h.squeeze(0)
