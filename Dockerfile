# Small, non-root image running uvicorn. Migrations are a separate step:
#   docker run --rm -e DATABASE_URL=... wijkkaart wijkkaart db upgrade     (prestart)
#   docker run -p 8000:8000 -e DATABASE_URL=... -e WIJKKAART_SECRET_KEY=... wijkkaart
# The app refuses to start without WIJKKAART_SECRET_KEY (the same in every container).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
COPY seed_data ./seed_data
RUN pip install -e . && useradd --system --uid 10001 --home /app wijkkaart && chown wijkkaart /app

USER wijkkaart
EXPOSE 8000
# One process per container; scale by running more containers behind a load balancer.
CMD ["uvicorn", "app.main:create_app", "--factory", "--host", "0.0.0.0", "--port", "8000", "--proxy-headers"]
