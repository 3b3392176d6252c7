"""template.yaml as plain YAML, for tests that read what is written rather than what it means."""

from typing import Any

import yaml

from local_stack.template import DEFAULT_TEMPLATE


def raw_template() -> dict[str, Any]:
    """The template with its CloudFormation tags (!Ref, !Sub...) read as None."""

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    result: dict[str, Any] = yaml.load(DEFAULT_TEMPLATE.read_text(), Loader=Loader)
    return result
