"""The FastAPI service: thin routes over the core (``assistant.service.app.create_app``)."""
