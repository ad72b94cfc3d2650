import pytest

from tests.factories.intake import make_tip


@pytest.fixture
def new_tip(app_ctx):
    """File an anonymous tip without files about an operator in 小店区 (140105); committed."""

    def make(**fields):
        return make_tip(division_code="140105", anonymous=True, with_file=False, **fields).tip

    return make
