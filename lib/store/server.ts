/**
 * The store server each party runs: the v2 routes (`./server-v2.ts`) over the party's own
 * embedded store (`./sqlite.ts`), checking every push against the chain on its own connection.
 *
 * A push is kept only if the chain commits to a set of that kind and version of that ticket and
 * the set holds an envelope for the store's party that opens and verifies against that commitment;
 * only that one envelope is kept (`ownerVerifier`). The commitment comes from the ticket's events:
 * `TicketCreated` / `TicketRevised` for a ticket version (sealed by the on-chain originator), and
 * `TicketReturned` for a return. A return is sealed by a route party whose on-chain address is a
 * one-time address, so the chain cannot say whose keys to use: the push names the sender's
 * directory address (`sender`), which only selects the keys to try. A wrong or forged hint finds
 * no envelope that opens, and the push is refused; the hint tells the store's own party nothing
 * its envelope does not tell it anyway. Without a hint every party with keys is tried.
 *
 * Reads are by read token (`./read-protocol.ts`): only the sender and the recipient of an envelope
 * can ask for it, and the answer is the same for held and missing envelopes to anyone else.
 */
import Fastify, { type FastifyInstance } from "fastify";
import { getAddress } from "ethers";

import type { RegistryClient } from "../chain/registry.js";
import type { TreeReader } from "../ticket/envelope-tree.js";
import { committedSetV2 } from "./committed.js";
import { SqliteEnvelopeStore } from "./sqlite.js";
import { ownerVerifier, storeV2Routes, type RateLimit } from "./server-v2.js";

export interface StoreServerOptions {
  /** Folder of the party's embedded store (the one its tasks read, e.g. `.settlement/store`). */
  root: string;
  /** The store's own connection to the registry. */
  registry: RegistryClient;
  chainId: bigint;
  /** The party this store belongs to, with every key version it registered. */
  owner: TreeReader;
  /**
   * Every key version of the party as of now: called when a pushed set holds no envelope for the
   * known keys, so a rotation of the party's own key needs no restart.
   */
  refreshOwnerKeys?: () => Promise<TreeReader["keys"]>;
  host?: string;
  /** 0 (default) lets the OS pick a free port. */
  port?: number;
  /** Behind a reverse proxy: tell clients apart by `X-Forwarded-For` (Fastify's `trustProxy`). */
  trustProxy?: boolean | string;
  pushLimit?: RateLimit;
  pushTotalLimit?: RateLimit;
  readLimit?: RateLimit;
  /** Retried while the server runs (the party's own outbox of undelivered sets). */
  outbox?: { flush(): Promise<unknown> };
  /** How often to retry the outbox; 0 or absent: never on a timer. */
  retryIntervalMs?: number;
}

export interface StoreServer {
  readonly url: string;
  readonly port: number;
  readonly app: FastifyInstance;
  readonly store: SqliteEnvelopeStore;
  close(): Promise<void>;
}

/** Builds the Fastify app (not listening): `app.inject` works on it. */
export async function buildStoreApp(
  options: StoreServerOptions,
): Promise<{ app: FastifyInstance; store: SqliteEnvelopeStore }> {
  const store = SqliteEnvelopeStore.open(options.root);
  const app = Fastify({
    logger: false,
    return503OnClosing: true,
    trustProxy: options.trustProxy ?? false,
  });
  const owner = { address: getAddress(options.owner.address), keys: [...options.owner.keys] };
  const verify = ownerVerifier({
    owner,
    lookup: (kind, ticketKey, version, sender) =>
      committedSetV2(options.registry, kind, ticketKey, version, sender),
  });
  await app.register(storeV2Routes, {
    store,
    party: owner.address,
    pushLimit: options.pushLimit,
    pushTotalLimit: options.pushTotalLimit,
    readLimit: options.readLimit,
    verifyPush: async (push, entries) => {
      try {
        return await verify(push, entries);
      } catch (error) {
        if (options.refreshOwnerKeys === undefined) throw error;
        // The party may have rotated its key since the server started.
        const keys = await options.refreshOwnerKeys();
        if (keys.length === owner.keys.length) throw error;
        owner.keys = [...keys];
        return verify(push, entries);
      }
    },
  });
  app.addHook("onClose", async () => store.close());
  return { app, store };
}

/** Starts a store server; `close()` stops it (and its retry timer). */
export async function startStoreServer(options: StoreServerOptions): Promise<StoreServer> {
  const { app, store } = await buildStoreApp(options);
  const host = options.host ?? "127.0.0.1";
  await app.listen({ host, port: options.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : (options.port ?? 0);
  let timer: NodeJS.Timeout | undefined;
  if (options.outbox !== undefined && (options.retryIntervalMs ?? 0) > 0) {
    let busy = false;
    timer = setInterval(() => {
      if (busy) return;
      busy = true;
      options
        .outbox!.flush()
        .catch(() => undefined)
        .finally(() => (busy = false));
    }, options.retryIntervalMs);
    timer.unref();
  }
  const shown = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}`,
    port,
    app,
    store,
    async close() {
      if (timer !== undefined) clearInterval(timer);
      await app.close();
    },
  };
}
