# CPU image that runs the Alliance Assistant service on port 8000.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    ALLIANCE_HOST=0.0.0.0 ALLIANCE_PORT=8000 ALLIANCE_DATA_DIR=/data
WORKDIR /app

# The CPU wheel of torch first, from PyTorch's CPU index, so pip never pulls a CUDA build.
RUN pip install --no-cache-dir torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

COPY pyproject.toml README.md ./
COPY assistant ./assistant
COPY models ./models
COPY prompts ./prompts
COPY data/demo ./data/demo
# Editable, so the package finds models/, prompts/ and data/demo beside it in /app.
RUN pip install --no-cache-dir -e .

VOLUME ["/data"]
EXPOSE 8000
CMD ["alliance", "serve", "--demo"]
