"""GPU and parallel rules: ``gpu_build``, ``gpu_backends``, ``parallel_programming_libraries``.

* **GPU choice** — a string option whose name has a ``GPU``/``ACCELERATOR``/``DEVICE``/
  ``BACKEND``/``API`` token and at least one value naming a backend (``GMX_GPU``: ``OFF CUDA
  OpenCL SYCL``) gives one backend per value except the "no GPU" ones (``OFF``, ``NONE``...), flag
  ``-D<OPT>=<value>``; it is also the generic ``gpu_build`` switch (flag ``-D<OPT>``).
* **Backend switches** — a boolean option that is a switch (see :mod:`vocab`) for a backend in
  :data:`~vocab.BACKENDS` (``GGML_CUDA``, ``ENABLE_HIP``, ``GGML_CPU_KLEIDIAI``), or whose doc
  string says it enables "the <X> backend" where X is the name's last word (``GGML_ET``: "use ET
  backend"), flag ``-D<OPT>``.
* **Generic GPU switch** — else a boolean switch for ``GPU`` itself (``PKG_GPU``, ``ENABLE_GPU``)
  is ``gpu_build``; without one, ``gpu_build`` is ``{value: <any backend>, build_flag: null}``.
* **Parallel libraries** — boolean switches for MPI, thread-MPI, OpenMP, Pthreads, TBB, ...
  (:data:`~vocab.PARALLEL`); of several switches for one library the one with the fewest name
  tokens wins (``ENABLE_MPI`` over ``SUNDIALS_LOGGING_ENABLE_MPI``).

``used_as_default`` is the option's evaluated default natively; ``minimum_version`` comes from
:mod:`versions`.
"""

from __future__ import annotations

from typing import Any

from xaas_parsl.spec.cmake.facts import OptionFact
from xaas_parsl.spec.rules.project import Entry, Project, add_unique, flag
from xaas_parsl.spec.rules.versions import mentions, minimum_version, relates, under_option
from xaas_parsl.spec.rules.vocab import (
    BACKENDS,
    NO_CHOICE,
    PARALLEL,
    doc_backend,
    doc_spelling,
    match_switch,
    squash,
    tails,
    tokens,
)

_GPU_CHOICE_TOKENS = {"GPU", "ACCELERATOR", "ACCEL", "DEVICE", "DEVICES", "BACKEND", "API",
                      "OFFLOAD"}
_BACKEND_BY_SQUASH = {squash(k): v for k, v in BACKENDS.items()}
_LA = "linear_algebra_libraries"
#: Words that make a switch explicitly about using a library (``BUILD_OMP`` over ``PKG_OPENMP``).
_VERBS = {"ENABLE", "USE", "WITH", "BUILD"}


def gpu_choice_options(project: Project) -> list[OptionFact]:
    """String options choosing a GPU backend (rule "GPU choice")."""
    out = []
    for opt in project.string_options():
        if not _GPU_CHOICE_TOKENS & set(tokens(opt.name)) or "FFT" in squash(opt.name):
            continue
        values = project.values(opt)
        if any(squash(v.value) in _BACKEND_BY_SQUASH for v in values):
            out.append(opt)
    return out


def _backend(section: str, name: str, opt: OptionFact, flag_text: str, default: bool,
             version: str | None, rule: str) -> Entry:
    return Entry(section, name, {"used_as_default": default, "build_flag": flag_text,
                                 "minimum_version": version}, opt.where, rule)


def gpu_entries(project: Project) -> tuple[list[Entry], dict[str, Any], str | None]:
    """Backends, the ``gpu_build`` object and its provenance."""
    entries: list[Entry] = []
    gpu_build: dict[str, Any] = {"value": False, "build_flag": None}
    where: str | None = None
    for opt in gpu_choice_options(project):
        for choice in project.values(opt):
            if choice.value.upper() in NO_CHOICE:
                continue
            name = _BACKEND_BY_SQUASH.get(squash(choice.value)) or choice.value
            version = minimum_version(project, name, [choice.value, opt.name])
            add_unique(entries, _backend(
                "gpu_backends", name, opt, project.choice_flag(opt, choice.value),
                project.is_default(opt, choice.value), version,
                f"GPU choice {opt.name}"))
        if where is None:
            switch = project.enabling_switch(opt) or opt
            gpu_build, where = {"value": True, "build_flag": flag(switch.name)}, switch.where
    switches: list[tuple[OptionFact, str, str, str]] = []
    for opt in project.bool_options():
        hit = match_switch(opt.name, BACKENDS)
        if hit is not None:
            key, name = hit
            rule = f"backend switch {opt.name}"
        else:
            word = doc_backend(opt.name, opt.doc)
            if word is None:
                continue
            key, name, rule = word, word, f"backend switch {opt.name} (doc: {word} backend)"
        if name == key and key.upper() == key:
            name = doc_spelling(key, opt.doc)
        switches.append((opt, key, name, rule))
    # Two switches for one backend (whisper's WHISPER_OPENVINO and ggml's GGML_OPENVINO): the
    # namespace with the most backend switches owns the name, the other is suffixed.
    weight: dict[str, int] = {}
    for opt, *_ in switches:
        weight[tokens(opt.name)[0]] = weight.get(tokens(opt.name)[0], 0) + 1
    taken = {e.name for e in entries}
    ranked = sorted(enumerate(switches), key=lambda it: (-weight[tokens(it[1][0].name)[0]], it[0]))
    named: list[tuple[int, Entry]] = []
    for index, (opt, key, name, rule) in ranked:
        if name in taken:
            if any(e.data["build_flag"] == flag(opt.name) for _i, e in named):
                continue
            name = f"{name}_{tokens(opt.name)[0].lower()}"
        taken.add(name)
        version = minimum_version(project, key, [opt.name])
        named.append((index, _backend("gpu_backends", name, opt, flag(opt.name),
                                      project.default_on(opt), version, rule)))
    for _index, entry in sorted(named, key=lambda it: it[0]):
        add_unique(entries, entry)
    if where is None:
        generic = [o for o in project.bool_options()
                   if any(tail == "GPU" for tail, _ in tails(o.name))]
        if generic:
            opt = min(generic, key=lambda o: len(tokens(o.name)))
            gpu_build, where = {"value": True, "build_flag": flag(opt.name)}, opt.where
            for entry in _toolkits_under(project, opt):
                add_unique(entries, entry)
        else:
            gpu_build = {"value": bool(entries), "build_flag": None}
    return entries, gpu_build, where


def _toolkits_under(project: Project, switch: OptionFact) -> list[Entry]:
    """Backends a generic GPU switch turns on: the GPU toolkits found under it.

    ``option(FAISS_ENABLE_GPU ...)`` + ``if(FAISS_ENABLE_GPU) find_package(CUDAToolkit)``: the
    switch is the CUDA backend's switch.
    """
    out: list[Entry] = []
    for pkg in project.packages():
        if not mentions(pkg.conditions, [switch.name]):
            continue
        for key, name in BACKENDS.items():
            if relates(pkg.name, key) and not any(e.name == name for e in out):
                out.append(_backend("gpu_backends", name, switch, flag(switch.name),
                                    project.default_on(switch), pkg.version,
                                    f"generic GPU switch {switch.name} finds {pkg.name}"))
    return out


def mandatory_entries(
    project: Project, section: str, vocab: dict[str, str], present: set[str]
) -> list[Entry]:
    """Libraries the build always requires (``find_package(X REQUIRED)`` natively, under no
    project option): no flag, used by default."""
    out: list[Entry] = []
    for pkg in project.packages():
        if not (pkg.required and pkg.native) or under_option(project, pkg.conditions):
            continue
        for key, name in vocab.items():
            if relates(pkg.name, key) and name not in present:
                present.add(name)
                out.append(Entry(section, name, {
                    "used_as_default": True, "build_flag": None,
                    **({"minimum_version": pkg.version} if section != _LA else {"condition": None}),
                }, pkg.where, f"required dependency find_package({pkg.name} REQUIRED)"))
    return out


def parallel_entries(project: Project) -> list[Entry]:
    best: dict[str, tuple[tuple[int, int, int, int], OptionFact, str]] = {}
    for order, opt in enumerate(project.bool_options()):
        hit = match_switch(opt.name, PARALLEL)
        if hit is None:
            continue
        key, name = hit
        verb = 0 if _VERBS & set(tokens(opt.name)) else 1
        rank = (len(tokens(opt.name)), verb, 0 if opt.native else 1, order)
        if name not in best or rank < best[name][0]:
            best[name] = (rank, opt, key)
    entries: list[Entry] = []
    for name, (_rank, opt, key) in sorted(best.items(), key=lambda kv: kv[1][0][3]):
        version = minimum_version(project, key, [opt.name])
        entries.append(_backend("parallel_programming_libraries", name, opt, flag(opt.name),
                                project.default_on(opt), version, f"parallel switch {opt.name}"))
    present = {e.name for e in entries}
    return entries + mandatory_entries(project, "parallel_programming_libraries", PARALLEL,
                                       present)
