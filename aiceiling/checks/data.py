"""Data checks: where the data may be processed, how far it travels, the link, enough data."""

from __future__ import annotations

from aiceiling.checks import (
    FAIL,
    PASS,
    WARN,
    Context,
    Registry,
    Result,
    quantity_result,
    skip,
    unknown,
)
from aiceiling.physics.training import compute_optimal_tokens
from aiceiling.render import number

# How far data travels, in order: it may go as far as `may_leave` says, no further.
REACH = ("device", "site", "country", "region", "anywhere")


def residency(ctx: Context) -> Result:
    cid = "data.residency"
    data = ctx.profile.data
    if data is None or not data.residency:
        return skip(cid, "data.residency is not given")
    country = ctx.resolved.country
    path = ("deployment", "region") if ctx.profile.deployment.region else \
        ("deployment", "country")
    if country is None:
        return unknown(cid, "the deployment's country is not known: set deployment.country "
                            "or deployment.region", ("data", "residency"))
    allowed, refs = _allowed(ctx, data.residency)
    where = ", ".join(data.residency)
    if country in allowed:
        return Result(cid, PASS, f"runs in {country}, within {where}", country, where, "",
                      None, path)
    return Result(cid, FAIL, f"runs in {country}; the data may only be processed in {where}",
                  country, where, "", None, path, refs)


def _allowed(ctx: Context, names: list[str]) -> tuple[set[str], tuple[str, ...]]:
    """Country codes a residency list allows (blocs expanded), and the blocs' sources."""
    allowed: set[str] = set()
    refs: list[str] = []
    for name in names:
        bloc = ctx.catalog.get("blocs", name)
        if bloc is not None:
            allowed.update(bloc.get("members", []))
            if "source" in bloc:
                refs.append(f"{bloc['id']}: {bloc['source'].cite()}, as of {bloc.get('as_of')}")
        else:
            allowed.add(ctx.catalog.resolve("countries", name) or name.upper())
    return allowed, tuple(refs)


def _same_bloc(ctx: Context, a: str, b: str) -> bool:
    return any(a in bloc.get("members", []) and b in bloc.get("members", [])
               for bloc in ctx.catalog.section("blocs").values())


def travel(ctx: Context) -> tuple[str, str] | None:
    """How far the data must travel to be processed, and why."""
    data, dep = ctx.profile.data, ctx.profile.deployment
    if data is None or data.origin is None:
        return None
    origin = data.origin
    if dep.placement == "device":
        return ("device", "processed on the device") if origin == "device" else \
            ("site", "sent from the site to devices on it")
    if dep.placement in ("on-prem", "edge"):
        if origin == "cloud":
            return None  # pulled from a cloud into the site: where the cloud is, is unknown
        return "site", f"processed {dep.placement}, on the site where it originates"
    if dep.placement == "hybrid":
        return "site", "hybrid: the sensitive part is processed on site"
    # cloud
    here = ctx.resolved.country
    home = (data.origin_country or "").upper() or None
    if origin == "cloud" and home is None:
        return None  # from a cloud whose country is not given
    if here is None or home is None:
        return "region", (f"leaves the {origin} for a cloud region"
                          + ("" if home else " (data.origin_country not given)"))
    if here == home:
        return "country", f"leaves the {origin} for a cloud region in {here}"
    if _same_bloc(ctx, here, home):
        return "region", f"leaves {home} for a cloud region in {here}"
    return "anywhere", f"leaves {home} for a cloud region in {here}"


def boundary(ctx: Context) -> Result:
    cid = "data.boundary"
    data = ctx.profile.data
    if data is None or data.may_leave is None:
        return skip(cid, "data.may_leave is not given")
    moved = travel(ctx)
    if moved is None:
        return unknown(cid, "data.origin is not given, or the data starts in a cloud whose "
                            "location is not known", ("data", "may_leave"))
    reach, why = moved
    label = data.classification.upper() if data.classification in ("phi", "pii", "pci") \
        else f"{data.classification} data"
    if REACH.index(reach) <= REACH.index(data.may_leave):
        return Result(cid, PASS, f"{why}; {label} may go as far as {data.may_leave}", reach,
                      data.may_leave, "", None, ("data", "may_leave"))
    return Result(cid, FAIL, f"{label} may not leave the {data.may_leave}: {why}", reach,
                  data.may_leave, "", None, ("deployment", "placement"))


def transfer(ctx: Context) -> Result:
    cid = "data.transfer"
    data, dep = ctx.profile.data, ctx.profile.deployment
    if data is None or data.volume_per_day is None:
        return skip(cid, "data.volume_per_day is not given")
    moved = travel(ctx)
    if moved is not None and moved[0] in ("device", "site") and dep.placement != "hybrid":
        return skip(cid, "the data does not leave the site", ("data", "volume_per_day"))
    if dep.uplink is None:
        return skip(cid, "deployment.uplink is not given: the link the data crosses",
                    ("data", "volume_per_day"))
    seconds = data.volume_per_day / dep.uplink
    hours = seconds / 3600.0
    message = (f"{number(data.volume_per_day / 1e9)} GB/day over "
               f"{number(dep.uplink * 8 / 1e9)} Gbit/s takes {number(hours)} h a day")
    return quantity_result(cid, hours, 24.0, "h/day", ("data", "volume_per_day"), message)


def sufficiency(ctx: Context) -> Result:
    cid = "data.sufficiency"
    w = ctx.profile.workload
    if w.kind not in ("training", "fine-tuning"):
        return skip(cid, "applies to training and fine-tuning")
    if w.data_tokens_available is None:
        return skip(cid, "workload.data_tokens_available is not given", ("workload",))
    if w.train_tokens is None:
        return unknown(cid, "workload.train_tokens is not given: the tokens the run needs",
                       ("workload", "data_tokens_available"))
    path = ("workload", "data_tokens_available")
    result = quantity_result(cid, w.train_tokens / 1e12, w.data_tokens_available / 1e12,
                             "T tokens", path,
                             f"{number(w.train_tokens / 1e12)} T tokens needed, "
                             f"{number(w.data_tokens_available / 1e12)} T available",
                             ("Hoffmann et al. 2022, arXiv:2203.15556",))
    optimal = compute_optimal_tokens(ctx.resolved.model.params)
    if result.status == PASS and w.kind == "training" and \
            w.data_tokens_available < optimal:
        result.status = WARN
        result.message += (f"; below the compute-optimal {number(optimal / 1e12)} T "
                           "(20 tokens per parameter)")
    if result.status == FAIL:
        result.message += " (repeating data for more than ~4 epochs stops helping: "\
                          "Muennighoff et al. 2023, arXiv:2305.16264)"
    return result


def register(registry: Registry) -> None:
    """Add the data family to ``registry``."""
    reg = registry.register
    reg("data.residency", title="Runs where the data may be processed", categorical=True,
        reads=("data.residency", "deployment.country", "deployment.region"),
        why="Residency law and contracts name the jurisdictions data may be processed in.",
        fix="Choose a region inside the allowed jurisdictions, or process on site.")(residency)
    reg("data.boundary", title="Data travels no further than it may", categorical=True,
        reads=("data.origin", "data.may_leave", "deployment.placement"),
        why="PHI and similar data may not leave the site or the country at all.",
        fix="Move inference to the edge or train federated: the model travels, not the data."
        )(boundary)
    reg("data.transfer", title="The daily data volume fits the link",
        reads=("data.volume_per_day", "deployment.uplink"),
        why="A link that is busy all day cannot carry the workload's data.",
        fix="Process at the edge, compress, or buy a faster link.")(transfer)
    reg("data.sufficiency", title="Enough training data",
        reads=("workload.train_tokens", "workload.data_tokens_available"),
        why="A training run needs the tokens it plans to see.",
        fix="Smaller model, fewer tokens, or more (synthetic, licensed) data.")(sufficiency)
