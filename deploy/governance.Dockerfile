# Governance service. Build from the repository root: docker build -f deploy/governance.Dockerfile .
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/package.json /app/tsconfig.json ./
COPY --from=build /app/scripts/register-aliases.js ./scripts/register-aliases.js
USER node
EXPOSE 3000
CMD ["node", "-r", "./scripts/register-aliases.js", "dist/apps/governance/src/main.js"]
