"""A harmless request body for an API operation, made from its OpenAPI schema: every required field
with a value of the right type, so that the operation's own checks (who may call it) are reached
rather than the schema's (a 422 before any permission is looked at)."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _resolve(schema: dict, document: dict) -> dict:
    while "$ref" in schema:
        target = document
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target[part]
        schema = target
    return schema


def example(schema: dict, document: dict):
    schema = _resolve(schema, document)
    for combined in ("anyOf", "oneOf", "allOf"):
        if combined in schema:
            choices = [c for c in schema[combined] if _resolve(c, document).get("type") != "null"]
            # an amount is "string or number": the number is well formed, any string would not be
            numbers = [c for c in choices if _resolve(c, document).get("type") in ("number", "integer")]
            return example((numbers or choices)[0], document)
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        return {name: _field(name, properties[name], document) for name in schema.get("required", [])}
    if kind == "array":
        return [example(schema.get("items", {}), document) for _ in range(max(schema.get("minItems", 0), 1))]
    if kind == "integer":
        return max(schema.get("minimum", 1), 1)
    if kind == "number":
        return max(schema.get("minimum", 1), 1)
    if kind == "boolean":
        return True
    if schema.get("format") == "binary":
        return SimpleUploadedFile("permission-check.pdf", PDF, content_type="application/pdf")
    if schema.get("format") == "date-time":
        return "2030-01-01T00:00:00Z"
    if schema.get("format") == "date":
        return "2030-01-01"
    return "permission check"[: schema.get("maxLength", 100)].ljust(schema.get("minLength", 0), "x")


def _field(name: str, schema: dict, document: dict):
    if name == "amount":  # a well-formed amount, above any starting price: the rules refuse it
        return "99999999.00"
    return example(schema, document)


def example_body(operation: dict, document: dict) -> tuple[dict | None, dict | None]:
    """(JSON body, multipart form) of an operation; (None, None) without a body."""
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        return example(content["application/json"]["schema"], document), None
    if "multipart/form-data" in content:
        form = example(content["multipart/form-data"]["schema"], document)
        return None, {
            name: (value if not isinstance(value, dict) else io.StringIO(str(value)))
            for name, value in form.items()
        }
    return None, None
