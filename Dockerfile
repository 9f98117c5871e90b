# tenantadm as a container next to Mender: the single-file build on the official Node image.
#   docker build -t tenantadm .
#   docker run --rm -v /path/to/rsa:/etc/tenantadm/rsa:ro -e TENANTADM_MONGO=mongodb://mender-mongo:27017 tenantadm list-tenants
# Stage 1 builds dist/tenantadm.cjs from the lock file; stage 2 holds only node and that file.
FROM node:20-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/ scripts/
COPY src/ src/
RUN npm run --silent bundle && node dist/tenantadm.cjs --version

FROM node:20-slim
COPY --from=build /src/dist/tenantadm.cjs /usr/local/lib/tenantadm/tenantadm.cjs
# The tenant service's RSA private key, mounted read-only (a Secret, a docker volume); never baked in.
ENV TENANTADM_SERVER_PRIV_KEY_PATH=/etc/tenantadm/rsa/private.pem \
    NODE_ENV=production
# The image's unprivileged user (uid 1000); the key file must be readable by it.
USER node
WORKDIR /home/node
ENTRYPOINT ["node", "/usr/local/lib/tenantadm/tenantadm.cjs"]
CMD ["--help"]
