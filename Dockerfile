# syncd in a container: slim Python, a non-root user, the state in a volume.
#   docker build -t syncd .
#   docker run -v syncd-state:/var/lib/syncd -v $PWD/syncd.yaml:/etc/syncd/syncd.yaml:ro syncd
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
# The one-shot sync until the background service (`syncd run`) exists; override freely.
ENTRYPOINT ["syncd"]
CMD ["sync"]
