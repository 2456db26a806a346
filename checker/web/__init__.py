"""The reviewer's workbench: a local web page over the library (`mtus serve`).

The web layer parses forms, calls checker.extract, checker.imr.importer, checker.api and checker.measure.regress,
and presents their results with the templates under templates/web/; it holds no checking logic.
"""

from checker.web.app import create_app

__all__ = ["create_app"]
