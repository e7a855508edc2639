# syncd in a container: slim Python, a non-root user, the state in a volume.
#   docker build -t syncd .
#   docker run -p 8787:8787 -v syncd-state:/var/lib/syncd -v $PWD/syncd.yaml:/etc/syncd/syncd.yaml:ro syncd
#   (`syncd run`, the service; `docker run ... syncd sync` syncs once)
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    SYNCD_CONFIG=/etc/syncd/syncd.yaml \
    XDG_STATE_HOME=/var/lib

WORKDIR /opt/syncd
COPY pyproject.toml README.md ./
COPY syncd ./syncd
COPY adapters ./adapters
RUN pip install '.[postgres]' \
    && useradd --system --uid 10001 --home-dir /var/lib/syncd --create-home syncd \
    && mkdir -p /etc/syncd

USER syncd
VOLUME ["/var/lib/syncd"]
# The service listens on service.listen: set it to 0.0.0.0:8787 in the mounted config so the
# port can be published (and webhooks reach it).
EXPOSE 8787
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8787/healthz', timeout=3)"]
ENTRYPOINT ["syncd"]
CMD ["run"]
