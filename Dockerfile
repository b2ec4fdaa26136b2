FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HINDSIGHT_VAR_DIR=/var/lib/hindsight

# pg_dump/pg_restore for `manage.py backup` and `restore`; curl for health checks.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client curl \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock

COPY . .
RUN useradd --system --home /var/lib/hindsight hindsight \
    && mkdir -p /var/lib/hindsight \
    && chown hindsight /var/lib/hindsight
USER hindsight

EXPOSE 8000
CMD ["sh", "-c", "python manage.py migrate --no-input && python manage.py collectstatic --no-input && exec gunicorn -c config/gunicorn.py config.wsgi"]
