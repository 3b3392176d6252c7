"""The service's Python client (clients/python) as the integration tests use it."""

from itertools import count

from segmentation_client import SegmentationClient

_unique = count(1)


class Client(SegmentationClient):
    """The client without retries (a test must see every 503), plus helpers for tests that
    share one stack. `request()` stays for raw and malformed calls."""

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url, retries=0)

    def new_slug(self, prefix: str = "SEG") -> str:
        """Tests share one stack: each creates its own segments."""
        slug = f"{prefix}_{next(_unique)}"
        self.create_segment(slug)
        return slug

    def new_user(self) -> int:
        return self.register().id

    def slugs(self, user_id: int) -> list[str]:
        return self.show_active_segments(user_id).slugs
