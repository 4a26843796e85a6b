/**
 * Browser tests of the dashboard: Debian's Chromium driven by playwright-core, and a node
 * endpoint that a test can switch off and on again (a node outage that ends).
 */
import { createServer, request as httpRequest, type Server } from "node:http";
import type { Socket } from "node:net";

import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM = process.env.SR_CHROMIUM ?? "/usr/bin/chromium";

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/**
 * A browser context for one party that may reach its own dashboard and nothing else: any other
 * request is aborted and recorded in `foreign`.
 */
export async function partyContext(
  browser: Browser,
  origin: string,
): Promise<{ context: BrowserContext; page: Page; foreign: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const foreign: string[] = [];
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(`${origin}/`)) return route.continue();
    foreign.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  return { context, page, foreign };
}

/** The HTTP status of a GET that names another host (fetch cannot set the Host header). */
export function statusWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}

export interface SwitchableEndpoint {
  readonly url: string;
  /** Drops every connection and refuses new requests until `up()`. */
  down(): void;
  up(): void;
  close(): Promise<void>;
}

/** A JSON-RPC pass-through to `target` on 127.0.0.1 that can be switched off like a lost node. */
export async function switchableEndpoint(target: string): Promise<SwitchableEndpoint> {
  let on = true;
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    if (!on) return req.socket.destroy();
    const upstream = httpRequest(target, { method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on("error", () => req.socket.destroy());
    req.pipe(upstream);
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    down() {
      on = false;
      for (const socket of sockets) socket.destroy();
    },
    up() {
      on = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * When each block was first seen on the node, on this machine's clock: `eth_blockNumber` polled
 * every 25 ms straight from the node (not through the dashboards' endpoint). A block that
 * appears together with others gets the same time.
 */
export function blockClock(url: string): {
  firstSeen(block: number): Promise<number>;
  stop(): void;
} {
  const seen = new Map<number, number>();
  let last = -1;
  let running = true;
  const poll = async () => {
    while (running) {
      const head = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}',
      })
        .then(async (r) => Number(((await r.json()) as { result: string }).result))
        .catch(() => -1);
      const now = Date.now();
      for (let n = last + 1; n <= head; n++) if (!seen.has(n)) seen.set(n, now);
      last = Math.max(last, head);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  void poll();
  return {
    async firstSeen(block) {
      for (let i = 0; i < 2_400 && !seen.has(block); i++)
        await new Promise((resolve) => setTimeout(resolve, 25));
      const at = seen.get(block);
      if (at === undefined) throw new Error(`block ${block} never seen`);
      return at;
    },
    stop() {
      running = false;
    },
  };
}

/**
 * The time (this machine's clock) at which `page` first shows `count` elements matching
 * `selector`, stamped inside the page by a MutationObserver, not by the test's polling.
 */
export function stampWhen(page: Page, selector: string, count: number): Promise<number> {
  // A string, not a function: the test loader's name helpers do not exist in the page.
  return page.evaluate(`new Promise((resolve) => {
    const shown = () => document.querySelectorAll(${JSON.stringify(selector)}).length >= ${count};
    if (shown()) return resolve(Date.now());
    const observer = new MutationObserver(() => {
      if (!shown()) return;
      observer.disconnect();
      resolve(Date.now());
    });
    observer.observe(document.body, {
      subtree: true,
      childList: true,
      attributes: true,
      characterData: true,
    });
  })`) as Promise<number>;
}
