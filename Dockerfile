# syntax=docker/dockerfile:1.7
# Forescale: one image for the controller (`forescale run`), the training CronJob
# (`forescale train`) and the chart test. Build from the repository root:
#   docker build -t ghcr.io/forescale/forescale:0.1.0 .
# Dependencies come from requirements/runtime.lock only (exact versions), built into wheels in a
# builder stage; the final stage installs those wheels offline and holds no compiler.

FROM python:3.11.13-slim-bookworm AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
# A compiler only for the rare dependency without a wheel for this platform.
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Third-party wheels first: this layer is reused until a lock file changes. sentry-sdk (the
# `sentry` extra, off unless the chart passes SENTRY_DSN) is pinned by the dev lock.
COPY requirements/runtime.lock requirements/dev.lock requirements/
RUN pip wheel --wheel-dir /wheels --requirement requirements/runtime.lock \
    && pip wheel --wheel-dir /wheels --constraint requirements/dev.lock sentry-sdk
COPY pyproject.toml README.md ./
COPY models/ models/
COPY scaler/ scaler/
COPY service/ service/
# forescale/ holds the package's __init__ and links to the three folders above: the wheel
# installs them as forescale.models, forescale.scaler and forescale.service.
COPY forescale/ forescale/
RUN pip wheel --no-deps --wheel-dir /wheels .

FROM python:3.11.13-slim-bookworm AS runtime
LABEL org.opencontainers.image.title="forescale" \
      org.opencontainers.image.description="Predictive autoscaling for Kubernetes HPAs and EC2 Auto Scaling groups" \
      org.opencontainers.image.source="https://github.com/forescale/forescale" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 forescale \
    && useradd --system --uid 10001 --gid forescale --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin forescale
# Offline install from the builder's wheels (bind-mounted, so they add no layer); the resolver
# can only pick the locked versions because no others exist there. The image carries the
# optional extras: `postgres` for a two-replica controller's record store, `plot` for --plot,
# `dask` for `forescale train --executor dask://...` (the image doubles as the Dask scheduler's
# and workers' image, so all three run the same distributed release).
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    pip install --no-index --no-cache-dir --disable-pip-version-check --find-links /wheels \
        'forescale[postgres,plot,dask]' sentry-sdk \
    && forescale --help >/dev/null \
    && python -c "import zoneinfo; zoneinfo.ZoneInfo('Europe/Berlin')"
# As the Dask workers' image (docs/deploy.md): leave glibc's malloc thresholds dynamic (the
# nanny's MALLOC_TRIM_THRESHOLD_=65536 doubled the time per target in page faults) and turn
# Dask's task profiler off (training needs no profiles; it cost 2x more).
RUN mkdir -p /etc/dask && printf '%s\n' 'distributed:' '  nanny:' '    pre-spawn-environ:' \
      '      MALLOC_TRIM_THRESHOLD_: null' '  worker:' '    profile:' '      enabled: false' \
      > /etc/dask/forescale.yaml
# The root filesystem is read-only in the chart: caches go to the /tmp emptyDir.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MPLCONFIGDIR=/tmp/matplotlib \
    HOME=/tmp
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["forescale"]
CMD ["run"]
