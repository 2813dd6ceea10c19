"""Functional ops, as ``torch.nn.functional``: validate, allocate the output, run a kernel."""
from ._conv import *            # noqa: F401,F403
from ._padding import *         # noqa: F401,F403
from ._pooling import *         # noqa: F401,F403
from ._pool_more import *       # noqa: F401,F403
from ._linear import *          # noqa: F401,F403
from ._bilinear import *        # noqa: F401,F403
from ._normalization import *   # noqa: F401,F403
from ._group_norms import *     # noqa: F401,F403
from ._local_response_norm import *  # noqa: F401,F403
from ._dropout import *         # noqa: F401,F403
from ._alpha_dropout import *   # noqa: F401,F403
from ._activation import *      # noqa: F401,F403
from ._activation_more import *  # noqa: F401,F403
from ._shrink import *          # noqa: F401,F403
from ._resample import *        # noqa: F401,F403
from ._grid_sample import *     # noqa: F401,F403  (grid_sample, affine_grid)
from ._shuffle import *         # noqa: F401,F403
from ._encoding import *         # noqa: F401,F403
from ._conv_transpose import *  # noqa: F401,F403
from . import _conv_grad          # noqa: F401  (backward of conv and conv_transpose)
from . import _pool_grad, _resample_grad  # noqa: F401  (pools, pad, interpolate, shuffles)
from . import _norm_grad, _embedding_grad  # noqa: F401  (backward of the norms, embedding)
from ._attention import *       # noqa: F401,F403
from ._embedding import *       # noqa: F401,F403
from ._embedding_bag import *   # noqa: F401,F403
from . import _embedding_bag_grad  # noqa: F401  (backward of embedding_bag)
from ._multi_head_attention import *  # noqa: F401,F403
from ._loss import *            # noqa: F401,F403
from ._cross_entropy import *   # noqa: F401,F403
from ._fold import *            # noqa: F401,F403
from ._rms_norm import *        # noqa: F401,F403
from ._distances import *       # noqa: F401,F403
from ._margin_losses import *   # noqa: F401,F403
from ._likelihood_losses import *  # noqa: F401,F403
