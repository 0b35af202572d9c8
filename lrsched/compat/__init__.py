"""Each peer library's schedules, exactly, as lrsched schedules.

One module per peer: ``lrsched.compat.torch``, ``.optax``, ``.transformers``, ``.keras``,
``.timm``, ``.fairseq``, ``.sklearn``. Each function keeps the peer's own parameter names and
defaults and returns a :class:`lrsched.Schedule` whose values equal the peer's. None of these
modules imports the peer library: they are compositions of lrsched's primitives and combinators.
"""
