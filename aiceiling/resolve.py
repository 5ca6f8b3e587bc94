"""Profile + catalog → the concrete model, hardware and place a profile names.

Catalog ids are checked here (with did-you-mean); inline definitions are taken as given.
Everything a later step needs from the catalog is copied into plain dataclasses with the
references of the figures used.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from aiceiling.catalog import Catalog, Entry, Figure, figure
from aiceiling.errors import Diagnostic
from aiceiling.physics import layout as layout_physics
from aiceiling.physics.memory import ParamCount, transformer_params
from aiceiling.profile.model import InlineHardware, InlineModel, Profile
from aiceiling.profile.yamlsource import Document, Path


class ModelSpec(NamedTuple):
    """A model's architecture facts, wherever they came from."""

    id: str
    name: str
    kind: str                          # llm | vision | speech
    params: float                      # total parameters
    active_params: float               # per token
    counts: ParamCount | None          # by part, when the architecture is known
    layers: int | None = None
    hidden: int | None = None
    heads: int | None = None
    kv_heads: int | None = None
    head_dim: int | None = None
    vocab: int | None = None
    max_context: int | None = None
    experts: int = 1
    experts_active: int = 1
    expert_params: float = 0.0         # parameters of one routed expert over all MoE layers
    mla: dict[str, int] | None = None
    sliding_window: int | None = None
    window_fraction: float = 0.0
    flops_per_request: Figure | None = None
    references: tuple[str, ...] = ()

    @property
    def is_llm(self) -> bool:
        return self.kind == "llm"

    @property
    def has_attention_shape(self) -> bool:
        return None not in (self.layers, self.hidden, self.heads, self.head_dim) and \
            (self.kv_heads is not None or self.mla is not None)


class HardwareSpec(NamedTuple):
    """An accelerator's figures; absent ones are None."""

    id: str
    name: str
    memory: Figure | None
    bandwidth: Figure | None
    peak: dict[str, Figure]
    tdp: Figure | None = None
    interconnect: Figure | None = None
    host_link: Figure | None = None
    lead_time: Figure | None = None
    node_size: int | None = None
    system_name: str | None = None
    inline: bool = False
    system_power: Figure | None = None
    hw_class: str = "datacenter"
    price: Figure | None = None
    export: dict[str, Any] | None = None
    fabric: str | None = None              # scale-up link: nvlink, infinity-fabric, pcie, ...
    scale_up_domain: Figure | None = None  # accelerators one scale-up link joins
    system_rack_units: int | None = None   # height of one system, in rack units (U)


class Resolved(NamedTuple):
    model: ModelSpec
    hardware: HardwareSpec | None
    country: str | None
    region: Entry | None
    errors: list[Diagnostic]


def _id_error(document: Document, path: Path, what: str, name: str,
              suggestions: list[str]) -> Diagnostic:
    hint = f"; did you mean {', '.join(repr(s) for s in suggestions)}?" if suggestions else \
        f"; see `aiceiling catalog {what}`"
    return document.diagnostic(path, f"unknown {what[:-1] if what != 'hardware' else what} "
                                     f"id {name!r}{hint}")


def model_from_entry(entry: Entry) -> ModelSpec:
    """Build a ModelSpec from a catalog entry, counting parameters from the architecture."""
    refs = [entry["source"].cite()] if "source" in entry else []
    kind = str(entry.get("kind", "llm"))
    layers = entry.get("layers")
    hidden = entry.get("hidden")
    experts = int(entry.get("experts", 1) or 1)
    experts_active = int(entry.get("experts_active", 1) or 1)
    shared = int(entry.get("shared_experts", 0) or 0)
    mla = entry.get("mla")
    counts: ParamCount | None = None
    arch = ("layers", "hidden", "heads", "kv_heads", "head_dim", "ffn", "vocab")
    if kind == "llm" and all(entry.get(k) for k in arch) and not mla and \
            not entry.get("first_dense_layers"):
        counts = transformer_params(
            entry["layers"], entry["hidden"], entry["heads"], entry["kv_heads"],
            entry["head_dim"], entry["ffn"], entry["vocab"],
            tied_embeddings=bool(entry.get("tied_embeddings", False)),
            gated_mlp=bool(entry.get("gated_mlp", True)), experts=experts,
            experts_active=experts_active, shared_experts=shared,
            attention_bias=bool(entry.get("attention_bias", False)))
    params = float(entry["params"]) if entry.get("params") else (counts.total if counts else 0.0)
    if entry.get("params_source"):
        refs.append(f"parameter count: {entry['params_source'].cite()}")
    expert_params = 0.0
    if experts > 1 and layers and hidden and entry.get("ffn"):
        moe_layers = layers - int(entry.get("first_dense_layers", 0) or 0)
        expert_params = float(moe_layers * 3 * hidden * entry["ffn"])
    if entry.get("active_params"):
        active = float(entry["active_params"])
    elif counts is not None:
        active = counts.active
    elif experts > 1:
        active = params - (experts - experts_active) * expert_params
    else:
        active = params
    if counts is None and kind == "llm" and hidden and entry.get("vocab"):
        # Architecture not countable by the generic formula (MLA, mixed dense/MoE layers):
        # keep the official totals, split off the embedding and output layer.
        embedding = float(entry["vocab"] * hidden)
        lm_head = 0.0 if entry.get("tied_embeddings") else embedding
        counts = ParamCount(embedding=embedding, lm_head=lm_head,
                            blocks=params - embedding - lm_head,
                            blocks_active=active - embedding - lm_head)
    window = entry.get("sliding_window")
    window_layers = entry.get("sliding_window_layers")
    fraction = (window_layers / layers) if window and window_layers and layers else 0.0
    return ModelSpec(
        id=entry["id"], name=str(entry.get("name", entry["id"])), kind=kind, params=params,
        active_params=active, counts=counts, layers=layers, hidden=hidden,
        heads=entry.get("heads"), kv_heads=entry.get("kv_heads"),
        head_dim=entry.get("head_dim"), vocab=entry.get("vocab"),
        max_context=entry.get("max_context"), experts=experts,
        experts_active=experts_active, expert_params=expert_params,
        mla=dict(mla) if mla else None, sliding_window=window, window_fraction=fraction,
        flops_per_request=entry.get("flops_per_request"), references=tuple(refs))


def model_from_inline(model: InlineModel) -> ModelSpec:
    kind = "llm" if model.layers else ("vision" if model.flops_per_request else "llm")
    experts = model.experts or 1
    counts = None
    if None not in (model.layers, model.hidden, model.vocab):
        assert model.hidden is not None and model.vocab is not None
        embedding = float(model.vocab * model.hidden)
        active = model.active_params or model.params
        counts = ParamCount(embedding=embedding, lm_head=embedding,
                            blocks=model.params - 2 * embedding,
                            blocks_active=active - 2 * embedding)
    flops = None
    if model.flops_per_request is not None:
        from aiceiling.catalog import Source
        flops = Figure(model.flops_per_request, f"{model.flops_per_request:g} FLOP",
                       Source("profile", "profile (inline model)", "", "user"), "profile")
    return ModelSpec(
        id=model.name, name=model.name, kind=kind, params=model.params,
        active_params=model.active_params or model.params, counts=counts,
        layers=model.layers, hidden=model.hidden, heads=model.heads,
        kv_heads=model.kv_heads, head_dim=model.head_dim, vocab=model.vocab,
        max_context=model.max_context, experts=experts,
        experts_active=model.experts_active or 1, flops_per_request=flops,
        references=("profile: inline model",))


def hardware_from_entry(entry: Entry) -> HardwareSpec:
    system = entry.get("system") or {}
    return HardwareSpec(
        id=entry["id"], name=str(entry.get("name", entry["id"])),
        memory=figure(entry, "memory"), bandwidth=figure(entry, "bandwidth"),
        peak={k: v for k, v in (entry.get("peak") or {}).items() if isinstance(v, Figure)},
        tdp=figure(entry, "tdp"), interconnect=figure(entry, "interconnect"),
        host_link=figure(entry, "host_link"), lead_time=figure(entry, "lead_time"),
        node_size=system.get("accelerators"), system_name=system.get("name"),
        system_power=figure(entry, "system", "power"),
        system_rack_units=system.get("rack_units"),
        hw_class=str(entry.get("class", "datacenter")), price=figure(entry, "price"),
        export=entry.get("export"), fabric=entry.get("fabric"),
        scale_up_domain=figure(entry, "scale_up_domain"))


def hardware_from_inline(hw: InlineHardware) -> HardwareSpec:
    from aiceiling.catalog import Source

    source = Source("profile", "profile (inline hardware)", "", "user")

    def fig(value: float | None, text: str) -> Figure | None:
        return None if value is None else Figure(value, text, source, "profile")

    return HardwareSpec(
        id=hw.name, name=hw.name, memory=fig(hw.memory, "memory"),
        bandwidth=fig(hw.bandwidth, "bandwidth"),
        peak={k: Figure(v, k, source, "profile") for k, v in hw.peak.items()},
        tdp=fig(hw.power, "power"), lead_time=fig(hw.lead_time, "lead time"), inline=True)


def _section(data: Any, name: str) -> dict[str, Any]:
    value = data.get(name) if isinstance(data, dict) else None
    return value if isinstance(value, dict) else {}


def check_ids(document: Document, catalog: Catalog) -> list[Diagnostic]:
    """Every unknown catalog id in the raw document, with the closest ids.

    Works on the raw data, so that unknown ids are reported together with schema errors.
    """
    errors: list[Diagnostic] = []
    workload = _section(document.data, "workload")
    deployment = _section(document.data, "deployment")
    for path, section, what, name in (
            (("workload", "model"), "models", "models", workload.get("model")),
            (("deployment", "hardware"), "accelerators", "hardware", deployment.get("hardware")),
            (("deployment", "region"), "regions", "regions", deployment.get("region"))):
        if isinstance(name, str) and catalog.resolve(section, name) is None:
            errors.append(_id_error(document, path, what, name, catalog.suggest(section, name)))
    governance = _section(document.data, "governance")
    for key in ("requires", "provides"):
        names = governance.get(key)
        for index, name in enumerate(names if isinstance(names, list) else []):
            if isinstance(name, str) and catalog.resolve("controls", name) is None:
                close = catalog.suggest("controls", name)
                hint = f"did you mean {', '.join(repr(c) for c in close)}?" if close else \
                    "see `aiceiling catalog governance`"
                errors.append(document.diagnostic(
                    ("governance", key, index), f"unknown control {name!r}; {hint}"))
    country = deployment.get("country")
    region = catalog.get("regions", deployment["region"]) \
        if isinstance(deployment.get("region"), str) else None
    if isinstance(country, str):
        if catalog.resolve("countries", country) is None:
            close = catalog.suggest("countries", country)
            errors.append(document.diagnostic(
                ("deployment", "country"),
                f"unknown country {country!r}; use an ISO 3166 alpha-2 code such as 'DE'"
                + (f" (did you mean {', '.join(close)}?)" if close else "")))
        elif region is not None and \
                catalog.resolve("countries", country) != region.get("country"):
            errors.append(document.diagnostic(
                ("deployment", "country"),
                f"region {region['id']!r} is in {region.get('country')}, not {country}"))
    return errors


def resolve(profile: Profile, catalog: Catalog) -> Resolved:
    """The model, hardware and place a valid profile names (ids checked by check_ids)."""
    model_ref = profile.workload.model
    if isinstance(model_ref, str):
        entry = catalog.get("models", model_ref)
        model = model_from_entry(entry) if entry is not None else \
            ModelSpec(model_ref, model_ref, "llm", 0.0, 0.0, None)
    else:
        model = model_from_inline(model_ref)
    hardware: HardwareSpec | None = None
    hw_ref = profile.deployment.hardware
    if isinstance(hw_ref, str):
        entry = catalog.get("accelerators", hw_ref)
        hardware = hardware_from_entry(entry) if entry is not None else None
    elif hw_ref is not None:
        hardware = hardware_from_inline(hw_ref)
    region = catalog.get("regions", profile.deployment.region) \
        if profile.deployment.region else None
    country = profile.deployment.country
    if country is None and region is not None:
        country = str(region.get("country"))
    if country is not None:
        country = catalog.resolve("countries", country) or country
    return Resolved(model=model, hardware=hardware, country=country, region=region,
                    errors=[])


def scale_up_domain(hw: HardwareSpec) -> int | None:
    """Accelerators one scale-up link joins: the catalog's figure, else the system's."""
    if hw.scale_up_domain is not None:
        return int(hw.scale_up_domain.value)
    return hw.node_size


def _given(profile: Profile) -> tuple[int | None, int | None, int | None, bool | None]:
    d = profile.deployment
    return d.tensor_parallel, d.pipeline_parallel, d.expert_parallel, \
        d.attention_data_parallel


def profile_layout_errors(profile: Profile, model: ModelSpec,
                          hw: HardwareSpec | None) -> list[tuple[tuple[str, ...], str]]:
    """Why the layout the profile fixes cannot run, as (field path, message) pairs."""
    tp, pp, ep, adp = _given(profile)
    if not tp and not pp and not ep and adp is None:
        return []
    if not model.heads or not model.layers:
        return []
    if adp and not model.mla:
        return [(("deployment", "attention_data_parallel"),
                 "data-parallel attention is for multi-head latent attention models; "
                 f"{model.name} has none")]
    tp = tp or 1
    layout = layout_physics.Layout(tp=tp, pp=pp or 1, ep=ep or 1, attention_dp=bool(adp))
    shape = layout_physics.ModelShape(
        model.layers, model.heads, None if model.mla else model.kv_heads, model.experts,
        0.0, 0.0, 0.0, 0.0, 0.0, bool(model.mla))
    domain = scale_up_domain(hw) if hw is not None else None
    field = {"attention": "tensor_parallel", "KV heads": "tensor_parallel",
             "pipeline": "pipeline_parallel", "expert parallelism": "expert_parallel",
             "data-parallel": "attention_data_parallel", "scale-up": "tensor_parallel"}
    out: list[tuple[tuple[str, ...], str]] = []
    for problem in layout_physics.layout_problems(layout, shape, domain,
                                       profile.deployment.tensor_parallel_across_nodes):
        key = next((v for k, v in field.items() if k in problem), "tensor_parallel")
        hint = "; set deployment.tensor_parallel_across_nodes: true to allow it" \
            if "scale-up" in problem else ""
        out.append((("deployment", key), f"{problem} of {model.name}{hint}"))
    return out
