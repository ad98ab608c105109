"""ganlib: the library behind the GAN course.

Modules, one job each:

- :mod:`~ganlib.utils` — seeding, device choice, argument checks.
- :mod:`~ganlib.data` — toy distributions (1-D and 2-D mixtures), MNIST and Fashion-MNIST
  with an offline fallback.
- :mod:`~ganlib.folder` — images from a folder (e.g. CelebA) for 64-px DCGANs.
- :mod:`~ganlib.models` — MLP and DCGAN generators, discriminators and critics.
- :mod:`~ganlib.losses` — GAN losses on logits, the WGAN-GP gradient penalty, R1.
- :mod:`~ganlib.steps` — the GAN update: one discriminator step, one generator step.
- :mod:`~ganlib.train` — :class:`~ganlib.train.Trainer`, the loop around the two steps.
- :mod:`~ganlib.conditional` — conditional GANs: a generator asked for a class, three
  discriminators (concatenated label, projection, AC-GAN) and their update.
- :mod:`~ganlib.history` — the training record, one row per logged step.
- :mod:`~ganlib.batches` — endless real batches with a position a checkpoint can hold.
- :mod:`~ganlib.interrupts` — Ctrl-C that waits for the end of a training step.
- :mod:`~ganlib.checkpoint` — atomic saves and safe, checked loads.
- :mod:`~ganlib.remedies` — against mode collapse: packing, minibatch standard deviation.
- :mod:`~ganlib.toy_benchmark` — the 2-D mode-collapse benchmark (PacGAN's ring and grid).
- :mod:`~ganlib.metrics` — mode coverage and reverse KL on 2-D mixtures.
- :mod:`~ganlib.evaluation` — KID, precision and recall, density and coverage from features.
- :mod:`~ganlib.classifier` — the shipped MNIST classifier and the scores built on it.
- :mod:`~ganlib.stacked` — Stacked MNIST, 1,000 modes.
- :mod:`~ganlib.latent` — walking a generator's latent space.
- :mod:`~ganlib.viz` — figures, with the same colours in every chapter.
- :mod:`ganlib.checks` — the exercise notebooks' checks, one module per chapter.
- :mod:`~ganlib.i18n` — the checks' messages in the language ``GANLIB_LANG`` chooses.
"""

__version__ = "0.1.0"
