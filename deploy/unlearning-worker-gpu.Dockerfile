# Unlearning worker on NVIDIA GPUs: @tensorflow/tfjs-node-gpu (libtensorflow 2.9.1 wants CUDA 11.2 + cuDNN 8.1).
# Build from the repository root; run with the NVIDIA container toolkit (compose profile `gpu`).
FROM nvidia/cuda:11.2.2-cudnn8-runtime-ubuntu20.04 AS base
RUN apt-get update && apt-get install -y --no-install-recommends curl ca-certificates gnupg build-essential python3 \
 && curl -fsSL https://deb.nodesource.com/setup_20.x | bash - \
 && apt-get install -y --no-install-recommends nodejs && rm -rf /var/lib/apt/lists/*

FROM base AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev
RUN npm install --no-save --no-audit --no-fund @tensorflow/tfjs-node-gpu@4.22.0

FROM base
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/package.json /app/tsconfig.json ./
COPY --from=build /app/scripts/register-aliases.js ./scripts/register-aliases.js
RUN useradd -m lethe && mkdir -p /var/lib/lethe/worker-state && chown lethe /var/lib/lethe/worker-state
USER lethe
EXPOSE 3001
CMD ["node", "-r", "./scripts/register-aliases.js", "dist/apps/unlearning-worker/src/main.js"]
