# The kbench image for sharded runs as a Kubernetes Job (docs/shards.md):
#   docker build -t registry.example.com/kbench:dev .
#   kbench job workloads/150k-pods.yaml --shards 4 --image registry.example.com/kbench:dev --namespace kbench --apply
# Node 20, kbench built from this repository; the entrypoint is the kbench command.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would compile before the sources are copied.
RUN npm ci --ignore-scripts
COPY tsconfig.json ./
COPY scripts/bundle.ts ./scripts/
COPY src ./src
RUN npx tsc -p tsconfig.json && npx tsx scripts/bundle.ts

FROM node:20-bookworm-slim
WORKDIR /opt/kbench
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /src/dist ./dist
COPY workloads ./workloads
RUN chmod +x dist/cli/main.js && ln -s /opt/kbench/dist/cli/main.js /usr/local/bin/kbench
# An unprivileged user; the Job mounts the workload read-only and an emptyDir for the results.
USER node
ENTRYPOINT ["kbench"]
CMD ["--help"]
