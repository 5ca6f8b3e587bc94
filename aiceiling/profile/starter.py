"""Starter profiles for ``aiceiling init``: a commented profile per industry that validates
and evaluates, with every section a first design needs and a note on what to replace.

The figures are placeholders of the right order for the industry (SPEC §3 field names);
catalog ids are real entries, so the profile evaluates as written.
"""

from __future__ import annotations

INDUSTRIES = ("other", "healthcare", "finance", "manufacturing", "enterprise-erp",
              "mobile-iot")

_HEADER = """\
aiceiling: 1                        # profile schema version
# A starter profile written by `aiceiling init --industry {industry}`. Replace every figure
# with your own: each line says what it is. Evaluate it with
#   aiceiling check {path}
# and explore it with `aiceiling compare`, `aiceiling sweep` and `aiceiling ceiling`.
# Quantities take units ("40 kW", "20 ms", "3.35 TB/s"); a bare number is an error (but 0).
# `aiceiling catalog models|hardware|regions` lists the catalog ids you can name.
name: {name}
industry: {industry}
description: >-
  {description}
"""

_LLM_ON_PREM = """
workload:
  kind: llm-inference                # llm-inference | inference | training | fine-tuning
  model: {model}{model_note}
  precision: {precision}                    # weights: fp32 bf16 fp16 fp8 int8 fp4 int4
  prompt_tokens: {prompt}                # tokens in per request (prompt + context)
  output_tokens: {output}                 # tokens generated per request
{spread}  traffic:
    requests_per_s: {rps}              # average requests per second
    peak_factor: {peak}                   # busiest hour / average
  latency:                           # p99 budgets
    e2e: {e2e}                        # whole answer
    ttft: {ttft}                       # first token
    tpot: {tpot}                      # each further token
"""

_TEMPLATES: dict[str, dict[str, str]] = {
    "other": {
        "name": "my-assistant",
        "description": "An internal assistant answering staff questions with an 8B model on "
                       "two L40S in the company's own server room.",
        "workload": _LLM_ON_PREM.format(
            model="llama-3.1-8b", model_note="               # catalog id (aiceiling catalog "
                                             "models)",
            precision="bf16", prompt="2048", output="300", rps="1", peak="3", e2e="20 s",
            ttft="2 s", tpot="80 ms", spread=""),
        "rest": """
data:
  classification: internal           # public internal confidential pii phi pci
  origin: site                       # device | site | cloud: where the data is generated
  may_leave: country                 # device | site | country | region | anywhere

deployment:
  placement: on-prem                 # cloud | on-prem | edge | device | hybrid
  country: DE                        # ISO code of where it runs
  hardware: l40s                     # catalog id (aiceiling catalog hardware)
  accelerators: 2

site:
  power_budget: 10 kW                # spare power for this service
  pue: 1.6                           # facility power / IT power
  rack_power_limit: 12 kW            # what one rack may draw
  cooling: air                       # air | rear-door | direct-liquid | immersion
  racks_available: 1

schedule:
  go_live: 2027-06-01
  hardware_lead_time: 8 weeks        # order to installed

governance:
  requires: [audit-trail, identity]  # controls the use case needs
  provides: [audit-trail, identity]  # controls the design has
""",
    },
    "healthcare": {
        "name": "report-drafting-on-site",
        "description": "Draft radiology reports from dictated findings with an 8B model on two "
                       "L40S inside the hospital: patient data stays on the site.",
        "workload": _LLM_ON_PREM.format(
            model="llama-3.1-8b", model_note="               # catalog id; 16 GB of weights "
                                             "in bf16",
            precision="bf16", prompt="2048", output="300", rps="0.5", peak="3", e2e="20 s",
            ttft="1 s", tpot="60 ms", spread=""),
        "rest": """
data:
  classification: phi                # health data: a special category (GDPR Art. 9)
  origin: site                       # generated in the hospital's systems
  origin_country: DE
  may_leave: site                    # hospital policy: patient data stays on the site
  residency: [DE]

deployment:
  placement: on-prem                 # inside the hospital's server room
  country: DE
  hardware: l40s                     # 48 GB, air-cooled PCIe card (catalog)
  accelerators: 2

site:
  power_budget: 15 kW                # spare capacity on the server-room UPS
  pue: 1.6
  rack_power_limit: 12 kW
  cooling: air
  racks_available: 1

schedule:
  go_live: 2027-03-01
  hardware_lead_time: 8 weeks

governance:
  requires: [audit-trail, identity, permissions, human-review]
  provides: [audit-trail, identity, permissions, human-review]
""",
    },
    "finance": {
        "name": "fraud-scoring",
        "description": "Score card authorizations for fraud with a 7B model on rented H100s in "
                       "a US cloud region, inside the authorization's latency budget.",
        "workload": _LLM_ON_PREM.format(
            model="qwen2.5-7b", model_note="                 # catalog id; 7.6 B parameters",
            precision="fp8", prompt="384", output="2", rps="150", peak="3", e2e="50 ms",
            ttft="40 ms", tpot="10 ms",
            spread="  prompt_tokens_p99: 384            # fixed-length features: no spread\n"
                   "  output_tokens_p99: 2\n"),
        "rest": """
data:
  classification: pci                # card data in PCI DSS scope
  origin: site
  origin_country: US
  may_leave: country
  residency: [US]

deployment:
  placement: cloud
  region: aws-us-east-1              # catalog region: gives the country and grid carbon
  hardware: h100-sxm
  accelerators: 8
  distance: 340 km                   # from where requests come to the region
  access_network: lan                # private interconnect
  uplink: 10 Gbit/s

energy:
  carbon_budget: 50 t/year

budget:
  rental: 2.5 USD/h                  # per accelerator-hour
  monthly: 20000 USD

governance:
  requires: [audit-trail, explainability, reproducibility]
  provides: [audit-trail, explainability, reproducibility]
""",
    },
    "manufacturing": {
        "name": "line-vision-qc",
        "description": "Detect surface defects on a production line with YOLOv8n on an L4 in "
                       "the plant, fast enough to trip the reject gate.",
        "workload": """
workload:
  kind: inference                    # a vision model: one forward pass per image
  model: yolov8n                     # catalog id (aiceiling catalog models)
  precision: fp16
  traffic:
    requests_per_s: 60               # images per second from the line cameras
    peak_factor: 1.2
    concurrency: 6                   # images in flight
  latency:
    e2e: 15 ms                       # camera to reject gate
""",
        "rest": """
data:
  classification: confidential
  origin: site
  may_leave: site                    # images stay in the plant

deployment:
  placement: edge                    # a server next to the line
  country: PL
  hardware: l4                       # 72 W inference card (catalog)
  accelerators: 1
  access_network: lan

site:
  power_budget: 1 kW                 # the line's spare power
  rack_power_limit: 1 kW
  cooling: air
  racks_available: 1

energy:
  price: 0.20 EUR/kWh

schedule:
  go_live: 2027-04-01
  hardware_lead_time: 2 weeks

governance:
  requires: [audit-trail]
  provides: [audit-trail]
""",
    },
    "enterprise-erp": {
        "name": "erp-copilot",
        "description": "A copilot for ERP users: a 70B model on eight H100s in the company's "
                       "data centre answers questions over business records.",
        "workload": _LLM_ON_PREM.format(
            model="llama-3.1-70b", model_note="              # catalog id; 141 GB of weights "
                                              "in bf16",
            precision="bf16", prompt="4096", output="400", rps="1", peak="2.5", e2e="30 s",
            ttft="3 s", tpot="60 ms", spread=""),
        "rest": """
data:
  classification: confidential       # business records
  origin: site
  may_leave: country

deployment:
  placement: on-prem
  country: DE
  hardware: h100-sxm
  accelerators: 8
  tensor_parallel: 8                 # accelerators per model copy

site:
  power_budget: 40 kW
  pue: 1.4
  rack_power_limit: 15 kW
  cooling: air
  racks_available: 2

energy:
  price: 0.22 EUR/kWh

schedule:
  go_live: 2027-06-01
  hardware_lead_time: 12 weeks

governance:
  requires: [audit-trail, identity, permissions]
  provides: [audit-trail, identity, permissions]
""",
    },
    "mobile-iot": {
        "name": "on-device-assistant",
        "description": "Turn field technicians' spoken notes into records with a 1B model on "
                       "the device itself, for a whole shift on battery.",
        "workload": _LLM_ON_PREM.format(
            model="llama-3.2-1b", model_note="               # catalog id; small enough for a "
                                             "device",
            precision="int8", prompt="1024", output="150", rps="0.2", peak="1", e2e="20 s",
            ttft="2 s", tpot="150 ms", spread=""),
        "rest": """
data:
  classification: pii
  origin: device
  may_leave: device                  # nothing leaves the device

deployment:
  placement: device
  hardware: jetson-orin-nano         # 8 GB module (catalog)
  accelerators: 1
  memory_reserve: 0.2                # share of memory the OS and app keep

site:
  battery: 99 Wh                     # the device's battery
  runtime_required: 8 h              # one shift

schedule:
  go_live: 2027-09-01
  hardware_lead_time: 16 weeks

budget:
  hardware_price: 249 USD
  amortization: 36 months
""",
    },
}


def starter(industry: str = "other", path: str = "profile.yaml") -> str:
    """The starter profile text for ``industry`` (one of INDUSTRIES)."""
    template = _TEMPLATES[industry]
    header = _HEADER.format(industry=industry, path=path, name=template["name"],
                            description=template["description"])
    return header + template["workload"] + template["rest"]
