# syntax=docker/dockerfile:1
# One image for the four dapr-ts services. The chart runs it with command /sentry, /placement,
# /operator or /injector, as Dapr's images are run with their binaries' names; /healthcheck is
# the chart's `helm test` check.
#
#   docker build -t ghcr.io/dapr-ts/dapr-ts:1.18.3 .
#   docker run --rm ghcr.io/dapr-ts/dapr-ts:1.18.3 /sentry --help

ARG NODE_VERSION=20.19

# --- build: compile the services (no tests) ---------------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY kit ./kit
COPY sentry ./sentry
COPY placement ./placement
COPY operator ./operator
COPY sidecar-injector ./sidecar-injector
RUN npx tsc -p tsconfig.build.json
# Entry points named like Dapr's binaries. Distroless has no shell: the kernel runs them
# through their #! line, straight into node.
RUN mkdir /entrypoints \
 && for pair in sentry:sentry placement:placement operator:operator injector:sidecar-injector healthcheck:kit/healthcheck; do \
      name="${pair%%:*}"; dir="${pair#*:}"; \
      printf '#!/nodejs/bin/node\nimport("/app/dist/%s/main.js");\n' "$dir" > "/entrypoints/$name"; \
      chmod 0755 "/entrypoints/$name"; \
    done

# --- production dependencies only ---------------------------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# --- runtime: distroless node, no shell, no package manager, non-root ----------------------
FROM gcr.io/distroless/nodejs20-debian12:nonroot
WORKDIR /app
# package.json marks dist/ as ES modules. Files are world-readable and owned by group 0, so
# any UID works (OpenShift assigns a random one in group 0).
COPY --from=deps --chown=65532:0 /src/package.json ./package.json
COPY --from=deps --chown=65532:0 /src/node_modules ./node_modules
COPY --from=build --chown=65532:0 /src/dist ./dist
COPY --from=build --chown=65532:0 /entrypoints/ /
ENV NODE_ENV=production
USER 65532:65532
# sentry 50001, placement 50005, operator 6500 and 19443, injector 4000; healthz 8080; metrics 9090
EXPOSE 50001 50005 6500 19443 4000 8080 9090
ENTRYPOINT ["/nodejs/bin/node"]
