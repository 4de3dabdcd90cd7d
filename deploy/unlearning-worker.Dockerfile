# Unlearning worker on CPU: tfjs-node (native libtensorflow) where its install can download it,
# else the WebAssembly backend. Build from the repository root.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev
RUN npm install --no-save --no-audit --no-fund @tensorflow/tfjs-node@4.22.0 || echo "tfjs-node unavailable: the worker uses wasm"

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/package.json /app/tsconfig.json ./
COPY --from=build /app/scripts/register-aliases.js ./scripts/register-aliases.js
RUN mkdir -p /var/lib/lethe/worker-state && chown node /var/lib/lethe/worker-state
USER node
EXPOSE 3001
CMD ["node", "-r", "./scripts/register-aliases.js", "dist/apps/unlearning-worker/src/main.js"]
