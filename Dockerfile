# The production image: web (gunicorn), worker and beat all run from it; see
# docker-compose.yml for how they are started and configured.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app

WORKDIR /app
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin app

COPY . .
# The project and its dependencies; then the static files, collected with the
# production storage (hashed names, compressed) so WhiteNoise can serve them.
RUN pip install . \
 && DEBUG=0 SECRET_KEY=collectstatic-at-build-time-only python manage.py collectstatic --noinput \
 && mkdir -p var/media \
 && chown -R app:app var

USER app
EXPOSE 8000
CMD ["gunicorn", "recovery_portal.wsgi:application", "--bind", "0.0.0.0:8000"]
