import pytest

from intake import services
from portal.extensions import db


@pytest.fixture
def new_tip(app_ctx):
    """Submit a tip through the service (anonymous operator, Taiyuan Xiaodian) and commit."""

    def make(**overrides):
        data = {
            "category": "虚假宣传", "agency": None, "operator_name": "演示工作室",
            "division_code": "140105", "online": False,
            "description": "一段足够长的举报描述内容。", "anonymous": True,
        }
        data.update(overrides)
        receipt = services.submit_tip(data)
        db.session.commit()
        return receipt.tip

    return make
