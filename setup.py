"""Declares the optional native OTLP decoder; all other metadata lives in pyproject.toml.

``optional=True`` lets genlens install on a machine without a C compiler: the
pure-Python (upb) decode path is used when the extension is missing.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "genlens.pipeline._fastotlp",
            sources=["src/genlens/pipeline/_fastotlp.c"],
            extra_compile_args=["-O2", "-Wall"],
            optional=True,
        )
    ]
)
