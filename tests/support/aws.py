"""The service's AWS resources on moto, in-process, for component tests."""

from collections.abc import Iterator
from contextlib import contextmanager

from moto import mock_aws

from local_stack.template import load_template
from local_stack.testing import create_resources_in_moto
from segmentation.domain.catalogue import CATALOGUE
from tests.support.handlers import ROOT


@contextmanager
def moto_resources() -> Iterator[None]:
    """Within the block, every AWS call reaches moto, where the template's tables, bucket
    and queues exist and are empty; the segment catalogue cache starts empty too."""
    with mock_aws():
        create_resources_in_moto(load_template(ROOT / "template.yaml"))
        CATALOGUE.reset()
        yield
