"""The OpenAPI app: flask-openapi3, with errors documented as problem+json and bearer auth."""

from __future__ import annotations

from flask_openapi3 import OpenAPI

from equipment.schemas import Problem

PUBLIC_PATHS = {"/api/v1/auth/token", "/healthz"}


class EquipmentOpenAPI(OpenAPI):
    def generate_spec_json(self):
        super().generate_spec_json()
        spec = self.spec_json
        problem_schema = Problem.model_json_schema()
        spec.setdefault("components", {}).setdefault("schemas", {})["Problem"] = problem_schema
        problem_content = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
        spec["security"] = [{"bearer": []}]
        for path, path_item in spec.get("paths", {}).items():
            for operation in path_item.values():
                for status, response in operation.get("responses", {}).items():
                    if str(status)[0] in "45":
                        response["content"] = problem_content
                if path in PUBLIC_PATHS:
                    operation["security"] = []
        return spec
