# Production image: Node 22, built in one stage, run from a slim one as a non-root user.
FROM node:22-bookworm-slim AS build
WORKDIR /app
ENV SCARF_ANALYTICS=false
COPY package.json package-lock.json ./
COPY console/package.json ./console/
RUN npm ci
COPY .swcrc tsconfig.json ./
COPY src ./src
COPY migrations ./migrations
COPY bench ./bench
COPY console ./console
# The console is static files once built (its packages are all build-time, devDependencies).
RUN npm run build && npm run build -w console && npm prune --omit=dev --omit=optional

FROM node:22-bookworm-slim
ENV NODE_ENV=production PORT=3000
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --from=build --chown=node:node /app/console/dist ./console/dist
# `npm run cli` checks dist/ against the sources first; the image has only dist/, so it just runs.
# Operator commands run from the built output: `docker compose exec app node dist/src/cli.js users:create ...`.
COPY --chown=node:node scripts ./scripts
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# The heap is capped (docs/operations.md, "Memory"): what the service holds is small and flat; without a cap V8 grows its heap with the work done.
CMD ["node", "--enable-source-maps", "--max-old-space-size=384", "dist/src/main.js"]
