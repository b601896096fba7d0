"""The OpenAPI app: flask-openapi3, with errors documented as problem+json and bearer auth."""

from __future__ import annotations

from flask_openapi3 import OpenAPI

from equipment.schemas import Problem

PUBLIC_PATHS = {"/api/v1/auth/token", "/healthz"}
# Every operation that reads a body can meet one that is not JSON or nested too deep (400) or
# larger than MAX_CONTENT_LENGTH (413), before its own checks run.
BODY_ERRORS = {
    "400": "The body is not valid JSON, or is nested too deep",
    "413": "The body is larger than the service accepts",
}


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
                if "requestBody" in operation:
                    for status, description in BODY_ERRORS.items():
                        operation.setdefault("responses", {}).setdefault(status, {"description": description})
                for status, response in operation.get("responses", {}).items():
                    if str(status)[0] in "45":
                        response["content"] = problem_content
                if path in PUBLIC_PATHS:
                    operation["security"] = []
        return spec
