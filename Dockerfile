# syntax=docker/dockerfile:1
# Build stage: install the app and its dependencies into a virtualenv.
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
# A C compiler: the install compiles the checker with mypyc (setup.py); without one it stays plain Python.
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
RUN python -m venv /opt/venv
COPY pyproject.toml setup.py README.md ./
COPY app ./app
# Editable, so the compiled checker lands beside its sources; /out is what the runtime stage runs.
RUN /opt/venv/bin/pip install --upgrade pip && /opt/venv/bin/pip install -e . \
    && mkdir /out && cp -r app /out/ \
    && (cp app_checking__mypyc*.so /out/ 2>/dev/null || echo "warning: the checker was not compiled")

# Runtime stage: the virtualenv, migrations and templates, run as an unprivileged user.
FROM python:3.11-slim
# PYTHONPATH: run the app from /srv/mou so migrations/ and mou_templates/ sit beside it.
ENV PATH=/opt/venv/bin:$PATH PYTHONPATH=/srv/mou PYTHONUNBUFFERED=1 MOU_DATA_DIR=/data
RUN useradd --system --uid 10001 --home-dir /srv/mou --create-home mou \
    && mkdir -p /data && chown mou /data
COPY --from=build /opt/venv /opt/venv
WORKDIR /srv/mou
COPY --chown=mou alembic.ini ./
COPY --chown=mou migrations ./migrations
COPY --chown=mou mou_templates ./mou_templates
COPY --chown=mou --from=build /out ./
USER mou
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"
# `mou serve` applies pending migrations before it starts listening.
ENTRYPOINT ["mou"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
