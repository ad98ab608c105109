"""ganlib: the library behind the GAN course.

Modules: :mod:`~ganlib.utils` (seeding, devices), :mod:`~ganlib.data` (toy distributions,
MNIST), :mod:`~ganlib.models` (MLP and DCGAN networks), :mod:`~ganlib.losses` (GAN losses,
gradient penalty), :mod:`~ganlib.train` (the training loop), :mod:`~ganlib.metrics`
(mode coverage), :mod:`~ganlib.viz` (figures).
"""

__version__ = "0.1.0"
