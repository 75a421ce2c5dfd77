# Waymark: one image for every role. The argument is the role:
#   docker run waymark            # start: API, editor, webhooks and worker in one process
#   docker run waymark server     # HTTP only (API, webhooks, tracking, live feed, editor)
#   docker run waymark worker     # steps, trigger ticks, heartbeats, retention; no port but METRICS_PORT
#   docker run waymark migrate    # apply migrations and exit
# Any number of servers and workers may run against one DATABASE_URL (README "Production").

# --- build: every dependency, the editor bundle --------------------------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY engine/sdk/package.json engine/sdk/
# Every workspace's package.json, or `npm ci` finds the lockfile out of step with them.
COPY nodes/core/package.json nodes/core/
COPY nodes/crm/package.json nodes/crm/
COPY nodes/email/package.json nodes/email/
COPY nodes/http/package.json nodes/http/
COPY nodes/mailgun/package.json nodes/mailgun/
COPY nodes/postmark/package.json nodes/postmark/
COPY nodes/sendgrid/package.json nodes/sendgrid/
COPY nodes/ses/package.json nodes/ses/
COPY nodes/sms/package.json nodes/sms/
COPY nodes/twilio/package.json nodes/twilio/
RUN npm ci
COPY . .
RUN npm run build:editor

# --- runtime: production dependencies only, the built editor, a non-root user ---------------
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    WAYMARK_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/engine/sdk/package.json engine/sdk/
COPY --from=build /app/nodes/core/package.json nodes/core/
COPY --from=build /app/nodes/crm/package.json nodes/crm/
COPY --from=build /app/nodes/email/package.json nodes/email/
COPY --from=build /app/nodes/http/package.json nodes/http/
COPY --from=build /app/nodes/mailgun/package.json nodes/mailgun/
COPY --from=build /app/nodes/postmark/package.json nodes/postmark/
COPY --from=build /app/nodes/sendgrid/package.json nodes/sendgrid/
COPY --from=build /app/nodes/ses/package.json nodes/ses/
COPY --from=build /app/nodes/sms/package.json nodes/sms/
COPY --from=build /app/nodes/twilio/package.json nodes/twilio/
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/engine engine
COPY --from=build /app/nodes nodes
COPY --from=build /app/migrations migrations
COPY --from=build /app/server server
COPY --from=build /app/editor/dist editor/dist
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
# start/server: GET /healthz on PORT; worker: waymark_database_up 1 on METRICS_PORT when set (it
# opens no other port); migrate: nothing. node's fetch, no curl (server/healthcheck.mjs).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["node", "server/healthcheck.mjs"]
# tsx runs the TypeScript sources as they are (no separate compile step to drift from them).
ENTRYPOINT ["node", "--import", "tsx", "server/main.ts"]
CMD ["start"]
