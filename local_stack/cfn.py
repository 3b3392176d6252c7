"""CloudFormation YAML: short-form tags and the intrinsic functions a local run can resolve."""

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
PSEUDO_PARAMETERS: dict[str, str] = {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT_ID,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "local",
    "AWS::StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/local/local",
}


class TemplateError(ValueError):
    """A template value the local stack cannot read or resolve."""


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that also reads `!Ref`, `!GetAtt`, `!Sub`... as their long forms."""


def _construct_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:  # pragma: no cover - PyYAML has only these three node kinds
        raise TemplateError(f"unsupported node for !{suffix}")
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "Condition":
        return {"Condition": value}
    if suffix == "GetAtt" and isinstance(value, str):
        # Short form `!GetAtt Res.Attr` is one string; the long form is a list.
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


def load_yaml(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        document = yaml.load(handle, Loader=_CfnLoader)  # noqa: S506 - a SafeLoader subclass
    if not isinstance(document, dict):
        raise TemplateError(f"{path}: not a template (top level is not a mapping)")
    return document


_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class Resolver:
    """Evaluates intrinsics against local names: physical names, parameter values, fake ARNs."""

    def __init__(
        self,
        parameters: Mapping[str, Any],
        physical_names: Mapping[str, str],
        arns: Mapping[str, str],
        conditions: Mapping[str, Any],
    ) -> None:
        self._parameters = parameters
        self._physical_names = physical_names
        self._arns = arns
        self._conditions = conditions
        self._functions: dict[str, Callable[[Any], Any]] = {
            "Fn::GetAtt": self._get_att,
            "Fn::Sub": self._sub,
            "Fn::Join": self._join,
            "Fn::Select": self._select,
            "Fn::Split": self._split,
            "Fn::If": self._if,
            "Fn::Equals": self._equals,
            "Fn::Not": lambda args: not self._condition_value(args[0]),
            "Fn::And": lambda args: all(self._condition_value(arg) for arg in args),
            "Fn::Or": lambda args: any(self._condition_value(arg) for arg in args),
        }

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, argument), *_ = value.items()
            if key == "Ref":
                return self.ref(str(argument))
            if key == "Condition":
                return self.condition(str(argument))
            if key in self._functions:
                return self._functions[key](argument)
            if key.startswith("Fn::"):
                raise TemplateError(f"{key} is not supported by the local stack")
        return {key: self.resolve(item) for key, item in value.items()}

    def ref(self, name: str) -> Any:
        if name in PSEUDO_PARAMETERS:
            return PSEUDO_PARAMETERS[name]
        if name in self._parameters:
            if self._parameters[name] is None:
                raise TemplateError(f"parameter {name} has no Default: give it a value")
            return self._parameters[name]
        if name in self._physical_names:
            return self._physical_names[name]
        raise TemplateError(f"!Ref {name}: no such parameter or resource")

    def get_att(self, resource: str, attribute: str) -> str:
        if attribute == "Arn" and resource in self._arns:
            return self._arns[resource]
        raise TemplateError(f"!GetAtt {resource}.{attribute}: cannot resolve locally")

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            raise TemplateError(f"condition {name} is not defined")
        return self._condition_value(self._conditions[name])

    def _condition_value(self, value: Any) -> bool:
        resolved = self.resolve(value)
        if not isinstance(resolved, bool):
            raise TemplateError(f"condition does not evaluate to a boolean: {value!r}")
        return resolved

    def _get_att(self, argument: Any) -> str:
        if not (isinstance(argument, list) and len(argument) == 2):
            raise TemplateError(f"malformed Fn::GetAtt: {argument!r}")
        return self.get_att(str(argument[0]), str(self.resolve(argument[1])))

    def _sub(self, argument: Any) -> str:
        if isinstance(argument, str):
            template, variables = argument, {}
        elif isinstance(argument, list) and len(argument) == 2:
            template, variables = argument[0], self.resolve(argument[1])
        else:
            raise TemplateError(f"malformed Fn::Sub: {argument!r}")

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):  # `${!Literal}` escapes a literal `${Literal}`
                return "${" + name[1:] + "}"
            if name in variables:
                return str(variables[name])
            if "." in name and not name.startswith("AWS::"):
                resource, attribute = name.split(".", 1)
                return self.get_att(resource, attribute)
            return as_text(self.ref(name))

        return _SUB_VARIABLE.sub(substitute, str(template))

    def _join(self, argument: Any) -> str:
        delimiter, items = argument
        return str(delimiter).join(as_text(item) for item in self.resolve(items))

    def _select(self, argument: Any) -> Any:
        index, items = argument
        return self.resolve(items)[int(self.resolve(index))]

    def _split(self, argument: Any) -> list[str]:
        delimiter, source = argument
        return str(self.resolve(source)).split(str(delimiter))

    def _if(self, argument: Any) -> Any:
        name, when_true, when_false = argument
        return self.resolve(when_true if self.condition(str(name)) else when_false)

    def _equals(self, argument: Any) -> bool:
        left, right = (as_text(self.resolve(item)) for item in argument)
        return left == right


def as_text(value: Any) -> str:
    """CloudFormation renders scalars as strings: numbers as written, booleans lower-case."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    raise TemplateError(f"expected a scalar, got {value!r}")
