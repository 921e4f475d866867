# PCACE Lab: one image for the web server and the queue workers.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NEXT_TELEMETRY_DISABLED=1 ONNXRUNTIME_NODE_INSTALL=skip
COPY . .
# postinstall generates the Prisma client; the build is the production web app.
RUN npm ci --no-audit --no-fund && NODE_ENV=production npx next build
ENV NODE_ENV=production
EXPOSE 3000
# The web server applies the migrations and seeds the demo lab at start; the
# worker service in docker-compose.yml overrides the command.
CMD ["npx", "tsx", "scripts/dev.ts", "--production", "--port", "3000"]
