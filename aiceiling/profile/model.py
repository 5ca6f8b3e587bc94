"""The profile: Pydantic models of SPEC §3, with quantities parsed to SI floats at the edge.

Field names are a public interface. Quantities carry their unit (``"40 kW"``); a bare number
is an error there (SPEC §3), except zero.
"""

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    Tag,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import core_schema

from aiceiling.units import (
    EXAMPLES,
    Money,
    Rate,
    parse_count,
    parse_money,
    parse_quantity,
    parse_rate,
)

SCHEMA_VERSION = 1

Precision = Literal["fp32", "bf16", "fp16", "fp8", "int8", "fp4", "int4"]
Industry = Literal["healthcare", "finance", "manufacturing", "enterprise-erp", "mobile-iot",
                   "other"]
Kind = Literal["llm-inference", "inference", "training", "fine-tuning"]
Classification = Literal["public", "internal", "confidential", "pii", "phi", "pci"]
Origin = Literal["device", "site", "cloud"]
Reach = Literal["device", "site", "country", "region", "anywhere"]
Placement = Literal["cloud", "on-prem", "edge", "device", "hybrid"]
AccessNetwork = Literal["lan", "fiber", "wifi", "5g", "lte", "satellite", "satellite-geo"]
Cooling = Literal["air", "rear-door", "direct-liquid", "immersion"]
ServingMode = Literal["shared-dynamic", "dedicated", "fixed-pipeline"]

SI_UNITS = {
    "power": "W", "energy": "J", "time": "s", "data": "B", "data/time": "B/s", "ops": "FLOP",
    "ops/time": "FLOP/s", "length": "m", "volume": "m3", "volume/time": "m3/s",
    "volume/energy": "m3/J", "mass/energy": "kg/J", "mass/time": "kg/s", "mass": "kg",
}


class _Quantity:
    """Annotation that parses a quantity of one dimension to an SI float, with a bound.

    Builds the pydantic-core schema directly (a before-validator around a float schema):
    half the class-creation cost of stacking BeforeValidator, WithJsonSchema and Field.
    """

    def __init__(self, dimension: str, *, gt: float | None = None,
                 ge: float | None = None) -> None:
        self.dimension, self.gt, self.ge = dimension, gt, ge

    def parse(self, value: object) -> float:
        if self.dimension == "count":
            return parse_count(value)
        return parse_quantity(value, self.dimension, bare=False)

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler,
                                     ) -> core_schema.CoreSchema:
        return core_schema.no_info_before_validator_function(
            self.parse, core_schema.float_schema(gt=self.gt, ge=self.ge))

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema,
                                     handler: GetJsonSchemaHandler) -> dict[str, Any]:
        if self.dimension == "count":
            return {"anyOf": [{"type": "number"}, {"type": "string"}],
                    "description": f"a number, e.g. {EXAMPLES['count']!r}"}
        return {"anyOf": [{"type": "string"}, {"const": 0}],
                "description": f"{self.dimension} with its unit, e.g. "
                               f"{EXAMPLES[self.dimension]!r}; a bare number only for zero"}


Power = Annotated[float, _Quantity("power", gt=0)]
PowerOrZero = Annotated[float, _Quantity("power", ge=0)]
Energy = Annotated[float, _Quantity("energy", gt=0)]
Duration = Annotated[float, _Quantity("time", gt=0)]
DurationOrZero = Annotated[float, _Quantity("time", ge=0)]
DataSize = Annotated[float, _Quantity("data", ge=0)]
DataSizePositive = Annotated[float, _Quantity("data", gt=0)]
Bandwidth = Annotated[float, _Quantity("data/time", gt=0)]
Ops = Annotated[float, _Quantity("ops", gt=0)]
OpsRate = Annotated[float, _Quantity("ops/time", gt=0)]
Length = Annotated[float, _Quantity("length", ge=0)]
VolumeRate = Annotated[float, _Quantity("volume/time", ge=0)]
WaterIntensity = Annotated[float, _Quantity("volume/energy", ge=0)]
CarbonIntensity = Annotated[float, _Quantity("mass/energy", ge=0)]
MassRate = Annotated[float, _Quantity("mass/time", ge=0)]
Count = Annotated[float, _Quantity("count", gt=0)]
def _date(value: object) -> dt.date:
    """A calendar date: a YAML date or an ISO string; never a number or a date and time."""
    if isinstance(value, dt.datetime):
        raise ValueError("must be a date (YYYY-MM-DD); got a date and time")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    shown = "a boolean" if isinstance(value, bool) else repr(value)
    raise ValueError(f"must be a date (YYYY-MM-DD); got {shown}")


Date = Annotated[dt.date, BeforeValidator(_date),
                 WithJsonSchema({"type": "string", "format": "date"})]


def _plain_number(value: object) -> float:
    """A plain number; YAML 1.1 hands '5e3' (no decimal point) over as text."""
    if isinstance(value, str):
        return parse_count(value)
    return value  # type: ignore[return-value]  # pydantic checks the type next


Number = Annotated[float, BeforeValidator(_plain_number)]


Fraction = Annotated[float, BeforeValidator(_plain_number), Field(gt=0, le=1)]

MoneyField = Annotated[Money, BeforeValidator(parse_money),
                       WithJsonSchema({"type": "string", "description": "money, e.g. '12000 EUR'"})]


def _energy_rate(value: object) -> Rate:
    return parse_rate(value, "energy")


EnergyPrice = Annotated[Rate, BeforeValidator(_energy_rate),
                        WithJsonSchema({"type": "string",
                                        "description": "price per energy, e.g. '0.22 EUR/kWh'"})]


def _time_rate(value: object) -> Rate:
    return parse_rate(value, "time")


RentalPrice = Annotated[Rate, BeforeValidator(_time_rate),
                        WithJsonSchema({"type": "string",
                                        "description": "price per accelerator-hour, e.g. "
                                                       "'2.5 USD/h'"})]


class _Strict(BaseModel):
    # strict: a YAML boolean is never a count (true → 1); dates opt back into lax parsing so
    # that API callers may pass ISO strings.
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True,
                              strict=True, allow_inf_nan=False)


class InlineModel(_Strict):
    """A model described inline instead of by catalog id."""

    name: str
    params: Count
    active_params: Count | None = None
    layers: int | None = Field(None, gt=0)
    hidden: int | None = Field(None, gt=0)
    heads: int | None = Field(None, gt=0)
    kv_heads: int | None = Field(None, gt=0)
    head_dim: int | None = Field(None, gt=0)
    ffn: int | None = Field(None, gt=0)
    vocab: int | None = Field(None, gt=0)
    max_context: int | None = Field(None, gt=0)
    experts: int | None = Field(None, gt=0)
    experts_active: int | None = Field(None, gt=0)
    flops_per_request: Ops | None = None


class Traffic(_Strict):
    requests_per_s: Number = Field(ge=0, description="average requests per second")
    peak_factor: Number = Field(1.0, ge=1, description="peak / average")
    concurrency: int | None = Field(
        None, gt=0,
        description="most sequences a replica batches (an engine's max_num_seqs), summed over "
                    "replicas; with requests_per_s 0, a benchmark client keeping this many "
                    "in flight")


class Latency(_Strict):
    e2e: Duration | None = None
    ttft: Duration | None = None
    tpot: Duration | None = None
    jitter: Duration | None = None


class Efficiency(_Strict):
    compute: Fraction | None = Field(None, description="achievable fraction of peak compute")
    bandwidth: Fraction | None = Field(None, description="achievable fraction of peak memory "
                                                         "bandwidth")
    training: Fraction | None = Field(None, description="training model-FLOPs utilization")


def _model_tag(value: Any) -> str:
    return "inline" if isinstance(value, dict | InlineModel) else "id"


ModelRef = Annotated[
    Annotated[str, Tag("id")] | Annotated[InlineModel, Tag("inline")],
    Discriminator(_model_tag),
]


class Speculative(_Strict):
    """Speculative decoding: a draft proposes tokens the model verifies in one step."""

    method: Literal["draft-model", "mtp"] = Field(
        description="draft-model (a smaller model of the same family) or mtp (the model's "
                    "own multi-token-prediction layer, as DeepSeek-V3)")
    draft_tokens: int = Field(gt=0, le=16, description="tokens proposed per step, k")
    acceptance_rate: Fraction = Field(
        description="probability that a proposed token is accepted, α (Leviathan et al. "
                    "2023); measure it on your traffic")
    draft_model: str | None = Field(None, description="catalog id of the draft model "
                                                      "(method draft-model)")


class Serving(_Strict):
    """Engine options that change the work per step (vLLM, SGLang, TensorRT-LLM)."""

    prefix_cache_hit_rate: Number = Field(
        0.0, ge=0, lt=1, description="share of prompt tokens found in the prefix cache")
    max_tokens_per_step: int | None = Field(
        None, gt=0, le=10_000_000,
        description="token budget of one step with chunked prefill (vLLM "
                    "max_num_batched_tokens, TensorRT-LLM max_num_tokens); default 8192")
    speculative: Speculative | None = None
    prefill_accelerators: int | None = Field(
        None, gt=0, description="disaggregated serving: accelerators in the prefill pool; "
                                "the rest decode")


class Workload(_Strict):
    kind: Kind
    model: ModelRef
    precision: Precision = "bf16"
    kv_precision: Precision | None = None
    prompt_tokens: int | None = Field(None, gt=0, le=10_000_000)
    output_tokens: int | None = Field(None, gt=0, le=10_000_000)
    prompt_tokens_p99: int | None = Field(
        None, gt=0, le=10_000_000,
        description="99th percentile of prompt length; default: the spread of the MLPerf "
                    "OpenOrca prompts (about 5.2 × the mean)")
    output_tokens_p99: int | None = Field(
        None, gt=0, le=10_000_000,
        description="99th percentile of output length (the max_tokens cap); default: no "
                    "spread")
    serving: Serving | None = None
    traffic: Traffic | None = None
    latency: Latency | None = None
    efficiency: Efficiency | None = None
    train_tokens: Count | None = None
    data_tokens_available: Count | None = None
    deadline: Duration | None = None


class InlineHardware(_Strict):
    """An accelerator described inline instead of by catalog id."""

    name: str
    memory: DataSizePositive | None = None
    bandwidth: Bandwidth | None = None
    peak: dict[Precision, OpsRate] = {}
    power: Power | None = None
    lead_time: Duration | None = None


def _hardware_tag(value: Any) -> str:
    return "inline" if isinstance(value, dict | InlineHardware) else "id"


HardwareRef = Annotated[
    Annotated[str, Tag("id")] | Annotated[InlineHardware, Tag("inline")],
    Discriminator(_hardware_tag),
]


class Data(_Strict):
    classification: Classification = "internal"
    origin: Origin | None = None
    origin_country: str | None = Field(
        None, description="ISO 3166 code of where the data originates; default: the deployment "
                          "country for on-site placements")
    may_leave: Reach | None = None
    residency: list[str] = []
    volume_per_day: DataSize | None = None


class Deployment(_Strict):
    placement: Placement
    country: str | None = None
    region: str | None = None
    hardware: HardwareRef | None = None
    accelerators: int = Field(1, gt=0, le=10_000_000)
    tensor_parallel: int | None = Field(
        None, gt=0, description="accelerators splitting every layer; default: searched")
    pipeline_parallel: int | None = Field(
        None, gt=0, description="pipeline stages per replica; default 1 when "
                                "tensor_parallel is given, else searched")
    expert_parallel: int | None = Field(
        None, gt=0, description="ranks holding whole routed experts (MoE): 1 or "
                                "tensor_parallel; default: searched")
    attention_data_parallel: bool | None = Field(
        None, description="attention data-parallel over the tensor-parallel ranks, experts "
                          "expert-parallel (MLA models, SGLang --enable-dp-attention)")
    tensor_parallel_across_nodes: bool = Field(
        False, description="allow tensor/expert parallelism beyond one scale-up domain")
    power_cap: Power | None = Field(
        None, description="power limit set on each accelerator (nvidia-smi -pl); default: "
                          "the accelerator's rated board power")
    memory_reserve: Number | None = Field(
        None, ge=0, lt=1, description="fraction of accelerator memory held back by the runtime")
    distance: Length | None = None
    access_network: AccessNetwork | None = None
    uplink: Bandwidth | None = Field(
        None, description="capacity of the link the data crosses to reach the deployment")
    serving_mode: ServingMode | None = Field(
        None, description="shared-dynamic (batched, shared accelerators), dedicated (batch 1, "
                          "no co-tenants) or fixed-pipeline (FPGA/ASIC dataflow)")
    hosted_api: bool = False
    fallback: bool = False

    @field_validator("tensor_parallel")
    @classmethod
    def _divides(cls, value: int | None, info: ValidationInfo) -> int | None:
        accelerators = info.data.get("accelerators")
        if value is not None and isinstance(accelerators, int) and accelerators % value:
            raise ValueError(f"{value} accelerators per replica must divide the "
                             f"{accelerators} accelerators")
        return value

    @field_validator("pipeline_parallel")
    @classmethod
    def _stages_divide(cls, value: int | None, info: ValidationInfo) -> int | None:
        accelerators = info.data.get("accelerators")
        tp = info.data.get("tensor_parallel") or 1
        if value is not None and isinstance(accelerators, int) and accelerators % (tp * value):
            raise ValueError(f"{tp} × {value} accelerators per replica (tensor × pipeline) "
                             f"must divide the {accelerators} accelerators")
        return value


class Site(_Strict):
    power_budget: Power | None = None
    pue: Number | None = Field(None, ge=1, le=5)
    wue: WaterIntensity | None = None
    rack_power_limit: Power | None = None
    cooling: Cooling | None = None
    racks_available: int | None = Field(None, ge=0)
    water_budget: VolumeRate | None = None
    grid_headroom: PowerOrZero | None = None
    grid_upgrade_lead_time: Duration | None = None
    battery: Energy | None = None
    runtime_required: Duration | None = None


class EnergySection(_Strict):
    price: EnergyPrice | None = None
    carbon_intensity: CarbonIntensity | None = None
    carbon_budget: MassRate | None = None


class Schedule(_Strict):
    go_live: Date | None = None
    hardware_lead_time: DurationOrZero | None = None
    order_date: Date | None = Field(
        None, description="when hardware is ordered; default: the day of the run")


class Budget(_Strict):
    monthly: MoneyField | None = None
    hardware_price: MoneyField | None = None
    amortization: Duration | None = None
    rental: RentalPrice | None = Field(
        None, description="cloud rental per accelerator-hour, e.g. '2.5 USD/h'; replaces "
                          "hardware amortization")


class Governance(_Strict):
    requires: list[str] = []
    provides: list[str] = []


class Waiver(_Strict):
    check: str
    reason: str = Field(min_length=1)
    expires: Date


class Profile(_Strict):
    aiceiling: int = Field(description="profile schema version")
    name: str | None = None
    industry: Industry = "other"
    description: str | None = None
    workload: Workload
    data: Data | None = None
    deployment: Deployment
    site: Site | None = None
    energy: EnergySection | None = None
    schedule: Schedule | None = None
    budget: Budget | None = None
    governance: Governance | None = None
    waivers: list[Waiver] = []

    @field_validator("aiceiling")
    @classmethod
    def _version(cls, value: int) -> int:
        if value != SCHEMA_VERSION:
            raise ValueError(f"unsupported schema version {value}; "
                             f"this aiceiling reads version {SCHEMA_VERSION}")
        return value
