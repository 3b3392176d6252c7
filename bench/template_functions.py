"""The functions template.yaml declares, with their HTTP routes: what every section of
the benchmark iterates over, so a new function is measured without touching the bench."""

from dataclasses import dataclass
from pathlib import Path

from local_stack.template import FunctionSpec, Template, load_template

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template.yaml"


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # "/api/users/{id}/segments"

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class TemplateFunction:
    spec: FunctionSpec
    routes: tuple[Route, ...]
    scheduled: bool

    @property
    def logical_id(self) -> str:
        return self.spec.logical_id

    @property
    def code_dir(self) -> Path:
        return self.spec.code_uri

    @property
    def name(self) -> str:
        return self.code_dir.name

    @property
    def is_api(self) -> bool:
        return bool(self.routes)


def service_template() -> Template:
    return load_template(TEMPLATE)


def template_functions(template: Template | None = None) -> list[TemplateFunction]:
    template = template or service_template()
    routes = template.http_routes()
    scheduled = {function.logical_id for function in template.scheduled_functions()}
    return [
        TemplateFunction(
            spec,
            tuple(Route(r.method, r.path) for r in routes if r.function_logical_id == logical_id),
            logical_id in scheduled,
        )
        for logical_id, spec in template.functions().items()
    ]
