"""Build the optional C accelerators (seamrec.model._speedups, the shape walk and checks;
seamrec.model._packer, payloads to msgpack; seamrec.runtime._seamcall, the plain-function
seam wrapper; seamrec.runtime._heapwalk, the referrers of many seams in one heap walk;
seamrec.cassette._scan, a cassette body's lists read by their bytes;
seamrec.runtime.adapters._sqltokens, a SQL statement's tokens;
seamrec.runtime.adapters._dbforward, the DB-API proxies' attribute forwarding);
everything else is in pyproject.toml. Without a compiler the build goes on and seamrec
runs in pure Python."""

from __future__ import annotations

import os
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class OptionalBuildExt(build_ext):
    """A build_ext whose failure leaves a working pure-Python install."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # no compiler, no headers: the pure path is the reference
            _skipped(exc)

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:
            _skipped(exc)


def _skipped(exc: Exception) -> None:
    if os.environ.get("SEAMREC_REQUIRE_ACCELERATOR") == "1":  # wheels: never a silent fallback
        raise exc
    print(f"seamrec: the C accelerator was not built ({exc}); using pure Python", file=sys.stderr)


speedups = Extension(
    "seamrec.model._speedups",
    sources=["src/seamrec/model/_speedups.c"],
    optional=True,
    extra_compile_args=[] if os.name == "nt" else ["-O2"],
)

seamcall = Extension(
    "seamrec.runtime._seamcall",
    sources=["src/seamrec/runtime/_seamcall.c"],
    optional=True,
    extra_compile_args=[] if os.name == "nt" else ["-O2"],
)

heapwalk = Extension(
    "seamrec.runtime._heapwalk",
    sources=["src/seamrec/runtime/_heapwalk.c"],
    optional=True,
    extra_compile_args=[] if os.name == "nt" else ["-O2"],
)

scan = Extension(
    "seamrec.cassette._scan",
    sources=["src/seamrec/cassette/_scan.c"],
    optional=True,
    extra_compile_args=[] if os.name == "nt" else ["-O2"],
)

sqltokens = Extension(
    "seamrec.runtime.adapters._sqltokens",
    sources=["src/seamrec/runtime/adapters/_sqltokens.c"],
    optional=True,
    extra_compile_args=[] if os.name == "nt" else ["-O2"],
)

dbforward = Extension(
    "seamrec.runtime.adapters._dbforward",
    sources=["src/seamrec/runtime/adapters/_dbforward.c"],
    optional=True,
    extra_compile_args=[] if os.name == "nt" else ["-O2"],
)

packer = Extension(
    "seamrec.model._packer",
    sources=["src/seamrec/model/_packer.c"],
    optional=True,
    extra_compile_args=[] if os.name == "nt" else ["-O2"],
)

setup(
    ext_modules=[speedups, seamcall, heapwalk, packer, scan, sqltokens, dbforward],
    cmdclass={"build_ext": OptionalBuildExt},
)
