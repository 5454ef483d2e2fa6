import os

DEBUG = False
SECRET_KEY = os.getenv("DJANGO_SECRET_KEY", "⟦key⟧")

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.getenv("DB_NAME", "app_db"),
        "USER": os.getenv("DB_USER", "admin"),
        "PASSWORD": os.getenv("DB_PASSWORD", "⟦pw⟧"),
        "HOST": os.environ.get("DB_HOST", "127.0.0.1"),
    },
    "replica": {
        "PASSWORD": os.environ.get("REPLICA_PASSWORD"),
    },
}

os.environ["PGPASSWORD"] = "⟦pw⟧"
EMAIL_HOST_PASSWORD: str = "⟦pw⟧"
API_TOKEN = (
    "⟦tok⟧"
    "⟦tok⟧"
)
