"""Former name of :mod:`drrn_tf.matlab` (the MATLAB-compatible maths), kept so that existing imports
(``from drrn_tf.imaging import imresize``) keep working. New code imports :mod:`drrn_tf.matlab`."""

from .matlab import *  # noqa: F403
from .matlab import __all__  # noqa: F401
