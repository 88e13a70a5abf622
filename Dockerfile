# syntax=docker/dockerfile:1
# Runplane's image: the package built from this checkout (`npm pack`), installed without dev dependencies, run as
# a non-root user under tini (signals reach the process, zombies are reaped), data in a volume.

FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
RUN npm run build && npm pack --ignore-scripts --pack-destination /tmp && mv /tmp/runplane-*.tgz /tmp/runplane.tgz

FROM node:24-bookworm-slim
# git: the runner agent fetches the commits it reviews; tini: PID 1.
RUN apt-get update \
  && apt-get install -y --no-install-recommends ca-certificates git tini \
  && rm -rf /var/lib/apt/lists/*
COPY --from=build /tmp/runplane.tgz /tmp/runplane.tgz
RUN npm install --global --omit=dev --no-audit --no-fund /tmp/runplane.tgz \
  && rm /tmp/runplane.tgz \
  && mkdir -p /var/lib/runplane \
  && chown node:node /var/lib/runplane
ENV NODE_ENV=production \
  HOST=0.0.0.0 \
  PORT=8080 \
  RUNPLANE_DATA_DIR=/var/lib/runplane \
  RUNPLANE_WORK_DIR=/var/lib/runplane/work
USER node
WORKDIR /var/lib/runplane
VOLUME ["/var/lib/runplane"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "runplane"]
CMD ["serve"]
