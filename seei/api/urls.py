from ninja import NinjaAPI

api = NinjaAPI(title="SEEI API", version="1", urls_namespace="api")
