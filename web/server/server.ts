/**
 * One party's dashboard server: the page, its JSON API over the {@link DashboardPort}, and the
 * live stream. Bound to 127.0.0.1 unless told otherwise.
 *
 * Defences, in the order of the threats they answer:
 * 1. Another local user or program finding the port: the page opens only with the launch key in
 *    the printed URL, which starts a session (HttpOnly, SameSite=Strict cookie); every API call
 *    without that session gets 401.
 * 2. DNS rebinding (a foreign site resolving its name to 127.0.0.1): the Host header must name
 *    this server; anything else gets 421.
 * 3. Cross-site requests riding on the cookie (CSRF): every state-changing request carries the
 *    session's token in `x-session-token` and an Origin equal to this server's; else 403.
 * 4. Malformed or oversized bodies: JSON only, 256 KiB at most, checked field by field (400).
 * 5. Reading a ticket one may not: the port refuses it; the answer is "not a party to this
 *    ticket" and nothing else (403).
 * 6. Loading code or sending data elsewhere: a Content-Security-Policy that allows this origin
 *    only, and no third-party asset in the page.
 * Keys and signers stay in the port; no answer carries one.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";

import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";

import { PortError, type DashboardPort, type Health, type LiveEvent } from "./port.js";

export interface DashboardOptions {
  port: DashboardPort;
  /** The page's script and stylesheet (see bundle.ts). */
  assets: { js: string; css: string };
  host?: string;
  /** TCP port; 0 picks a free one. */
  listenPort?: number;
  /** Title prefix, e.g. the network name. */
  title?: string;
}

export interface Dashboard {
  /** The URL to open: it carries the launch key that starts a session. */
  url: string;
  origin: string;
  server: FastifyInstance;
  close(): Promise<void>;
}

const STATUS: Record<PortError["kind"], number> = {
  invalid: 422,
  "not-a-party": 403,
  "not-found": 404,
  "not-allowed": 409,
  stale: 409,
  unavailable: 503,
};

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

const token = () => randomBytes(24).toString("base64url");

function same(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookie(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? "").split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return v.join("=");
  }
  return undefined;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function pageHtml(title: string, sessionToken: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="session-token" content="${sessionToken}">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/app.css">
</head>
<body>
<div id="root"><p>Loading…</p></div>
<script type="module" src="/app.js"></script>
</body>
</html>`;
}

// ------------------------------------------------------------------------------ body checks

class BodyError extends Error {}

function object(body: unknown): Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new BodyError("the body must be a JSON object");
  return body as Record<string, unknown>;
}

function version(body: Record<string, unknown>): number {
  const v = body.version;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1)
    throw new BodyError("version must be a positive whole number");
  return v;
}

function strings(body: Record<string, unknown>, field: string, max: number): string[] {
  const v = body[field];
  if (!Array.isArray(v) || v.length > max || v.some((s) => typeof s !== "string" || s.length > 64))
    throw new BodyError(`${field} must be a list of at most ${max} names`);
  return v as string[];
}

function text(body: Record<string, unknown>, field: string, max: number): string {
  const v = body[field] ?? "";
  if (typeof v !== "string" || v.length > max)
    throw new BodyError(`${field} must be text of at most ${max} characters`);
  return v;
}

function file(body: Record<string, unknown>, field: string): { name: string; text: string } {
  const v = body[field];
  if (typeof v !== "object" || v === null || Array.isArray(v))
    throw new BodyError(`${field} must be a file: { name, text }`);
  const f = v as Record<string, unknown>;
  return { name: text(f, "name", 200) || field, text: text(f, "text", 200_000) };
}

function trade(body: Record<string, unknown>): unknown {
  if (!("trade" in body)) throw new BodyError("trade is missing");
  return body.trade;
}

// ------------------------------------------------------------------------------ the server

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const { port } = options;
  const host = options.host ?? "127.0.0.1";
  const launchKey = token();
  const sessions = new Map<string, string>(); // session id -> token
  const server = Fastify({ logger: false, bodyLimit: 256 * 1024, forceCloseConnections: true });
  let origin = "";
  let allowedHosts: string[] = [];

  // The live stream: one follower for the party, fanned out to every open page.
  const log: LiveEvent[] = [];
  let health: Health = { ok: true };
  const clients = new Set<(event: string, data: unknown, id?: string) => void>();
  const stop = new AbortController();
  const broadcast = (event: string, data: unknown, id?: string) => {
    for (const send of clients) send(event, data, id);
  };
  const cursorValue = (c: string) => c.split(".").map(Number) as [number, number];
  const after = (a: string, b: string) => {
    const [x, y] = [cursorValue(a), cursorValue(b)];
    return x[0] > y[0] || (x[0] === y[0] && x[1] > y[1]);
  };

  server.addHook("onRequest", async (request, reply) => {
    reply.header("content-security-policy", CSP);
    reply.header("x-content-type-options", "nosniff");
    reply.header("referrer-policy", "no-referrer");
    reply.header("cache-control", "no-store");
    if (!allowedHosts.includes(request.headers.host ?? "")) {
      return reply.code(421).send({ error: "this server answers only to its own address" });
    }
  });

  const session = (request: FastifyRequest): string | undefined => {
    const id = cookie(request, "sr_session");
    return id !== undefined && sessions.has(id) ? id : undefined;
  };

  /** Session for every API call; token and Origin for every state change. */
  const guard = async (request: FastifyRequest, reply: FastifyReply) => {
    const id = session(request);
    if (id === undefined)
      return reply.code(401).send({ error: "no session: open the URL the dashboard printed" });
    if (request.method !== "GET") {
      if (request.headers.origin !== origin)
        return reply.code(403).send({ error: "request from another origin refused" });
      const given = request.headers["x-session-token"];
      if (!same(typeof given === "string" ? given : undefined, sessions.get(id)!))
        return reply.code(403).send({ error: "missing or wrong session token" });
    }
  };

  server.setErrorHandler((error, _request, reply) => {
    if (error instanceof PortError) {
      return reply.code(STATUS[error.kind]).send({
        error: error.message,
        kind: error.kind,
        fields: error.fields,
        hint: error.hint,
      });
    }
    if (error instanceof BodyError)
      return reply.code(400).send({ error: `malformed body: ${error.message}` });
    const status = (error as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500)
      return reply.code(status).send({ error: `malformed request: ${(error as Error).message}` });
    return reply.code(500).send({ error: "internal error" });
  });

  // ---- page and assets
  server.get("/", async (request, reply) => {
    const key = (request.query as Record<string, string>).key;
    if (key !== undefined) {
      if (!same(key, launchKey)) return reply.code(401).type("text/plain").send("wrong key");
      const id = token();
      sessions.set(id, token());
      reply.header("set-cookie", `sr_session=${id}; HttpOnly; SameSite=Strict; Path=/`);
      return reply.redirect("/", 303);
    }
    const id = session(request);
    if (id === undefined) {
      return reply
        .code(401)
        .type("text/plain")
        .send("Open the address the dashboard printed when it started: it carries the key.");
    }
    const title = `${options.title ?? "Settlement registry"} — ${port.me.name}`;
    return reply.type("text/html; charset=utf-8").send(pageHtml(title, sessions.get(id)!));
  });
  server.get("/app.js", async (_q, reply) =>
    reply.type("text/javascript; charset=utf-8").send(options.assets.js),
  );
  server.get("/app.css", async (_q, reply) =>
    reply.type("text/css; charset=utf-8").send(options.assets.css),
  );

  // ---- API
  await server.register(async (api) => {
    api.addHook("preHandler", guard);
    api.addContentTypeParser("*", (_request, _payload, done) =>
      done(new BodyError("send JSON (content-type: application/json)"), undefined),
    );

    api.get("/api/session", async () => ({
      me: port.me,
      capabilities: port.capabilities,
      reasons: port.reasonCodes(),
      health,
    }));
    api.get("/api/directory", async () => port.directory());
    api.get("/api/inbox", async () => port.inbox());
    api.get<{ Params: { id: string } }>("/api/tickets/:id", async (r) => port.ticket(r.params.id));

    api.post("/api/validate", async (r) => ({ fields: port.validate(trade(object(r.body))) }));
    api.post("/api/upload", async (r) => {
      const body = object(r.body);
      return { trade: port.readUpload(text(body, "name", 200), text(body, "text", 200_000)) };
    });
    api.post("/api/tickets", async (r) => {
      const body = object(r.body);
      return port.create(trade(body), strings(body, "route", 8));
    });
    api.post<{ Params: { id: string } }>("/api/tickets/:id/approve", async (r) =>
      port.approve(r.params.id, version(object(r.body))),
    );
    api.post<{ Params: { id: string } }>("/api/tickets/:id/reject", async (r) => {
      const body = object(r.body);
      return port.reject(
        r.params.id,
        version(body),
        strings(body, "reasons", 8),
        text(body, "note", 2000),
      );
    });
    api.post<{ Params: { id: string } }>("/api/tickets/:id/amend", async (r) => {
      const body = object(r.body);
      const route = body.route === undefined ? undefined : strings(body, "route", 8);
      return port.amend(r.params.id, version(body), trade(body), route);
    });
    api.post<{ Params: { id: string } }>("/api/tickets/:id/check", async (r) => {
      const body = object(r.body);
      const positions = body.positions === undefined ? undefined : file(body, "positions");
      return port.check(r.params.id, file(body, "instruction"), positions);
    });
    api.post<{ Params: { id: string } }>("/api/tickets/:id/reroute", async (r) => {
      const body = object(r.body);
      return port.reroute(r.params.id, version(body), strings(body, "route", 8));
    });
    api.post<{ Params: { id: string } }>("/api/tickets/:id/cancel", async (r) =>
      port.cancel(r.params.id, version(object(r.body))),
    );

    api.get("/api/events", (request, reply) => {
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
        connection: "keep-alive",
        "content-security-policy": CSP,
      });
      const send = (event: string, data: unknown, id?: string) => {
        res.write(
          `${id === undefined ? "" : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`,
        );
      };
      // A page that reconnects gets what it missed; a new page starts from now.
      const last = request.headers["last-event-id"];
      if (typeof last === "string" && /^\d+\.\d+$/.test(last)) {
        for (const e of log) if (after(e.cursor, last)) send("notice", e, e.cursor);
      }
      send("health", health);
      const ping = setInterval(() => res.write(": ping\n\n"), 15_000);
      clients.add(send);
      request.raw.on("close", () => {
        clearInterval(ping);
        clients.delete(send);
      });
    });
  });

  const address = await server.listen({ host, port: options.listenPort ?? 0 });
  const bound = new URL(address).port;
  origin = `http://${host}:${bound}`;
  allowedHosts = [`${host}:${bound}`, ...(host === "127.0.0.1" ? [`localhost:${bound}`] : [])];

  const following = port
    .follow(
      (event) => {
        log.push(event);
        if (log.length > 1000) log.shift();
        broadcast("notice", event, event.cursor);
      },
      (next) => {
        health = next;
        broadcast("health", next);
      },
      stop.signal,
    )
    .catch(() => undefined);

  return {
    url: `${origin}/?key=${launchKey}`,
    origin,
    server,
    async close() {
      stop.abort();
      await server.close();
      await following;
    },
  };
}
