/**
 * The store server each party runs: an HTTP API over the party's own folder store.
 *
 * Writes need no credentials: a push is accepted only if every envelope is in the set committed
 * on-chain for that ticket key, kind and version (Merkle proof against the commitment read from
 * the store's own chain connection), the store's party is the originator or on the route, and
 * the set holds an envelope that decrypts for the store's party with a matching sealed binding.
 * So nobody can plant or replace data. Reads are open, by locator only (see docs/store.md).
 */
import Fastify, { type FastifyError, type FastifyInstance } from "fastify";
import { getAddress } from "ethers";

import {
  ChainError,
  InputError,
  NotAPartyError,
  SettlementError,
  StoreConflictError,
  StoreError,
  TamperError,
} from "../errors.js";
import type { RegistryClient } from "../chain/registry.js";
import { LOCATOR_PATTERN } from "../crypto/locator.js";
import { verifyEnvelope } from "../ticket/envelope-commitment.js";
import {
  committedSet,
  holdsSetAs,
  senderLocators,
  type CommittedSet,
} from "../chain/committed-set.js";
import { myLocators, openOwn, type KeyHolder } from "../ticket/open-set.js";
import { FolderStore } from "./folder.js";
import {
  DEFAULT_BODY_LIMIT,
  describeIssues,
  fromBase64,
  HEALTH_FORMAT,
  PushSchema,
  type ErrorBody,
  type HealthBody,
  type PushBody,
  type PushResult,
} from "./protocol.js";

export interface StoreServerOptions {
  /** Root of the party's folder store (the one its tasks read, e.g. `.settlement/store`). */
  root: string;
  /** The store's own connection to the registry. */
  registry: RegistryClient;
  chainId: bigint;
  /** The party this store belongs to, with every key version it registered. */
  owner: KeyHolder;
  /**
   * Every key version of the party as of now: called when a pushed set holds no envelope for the
   * known keys, so a rotation of the party's own key needs no restart.
   */
  refreshOwnerKeys?: () => Promise<KeyHolder["keys"]>;
  host?: string;
  /** 0 (default) lets the OS pick a free port. */
  port?: number;
  bodyLimit?: number;
  /** Retried while the server runs (the party's own outbox of undelivered envelopes). */
  outbox?: { flush(): Promise<unknown> };
  /** How often to retry the outbox; 0 or absent: never on a timer. */
  retryIntervalMs?: number;
}

export interface StoreServer {
  readonly url: string;
  readonly port: number;
  readonly app: FastifyInstance;
  readonly store: FolderStore;
  close(): Promise<void>;
}

/** An error with the HTTP status it maps to. */
class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly error: SettlementError,
  ) {
    super(error.shortMessage);
  }
}

function statusOf(error: SettlementError): number {
  if (error instanceof InputError) return 400;
  if (error instanceof NotAPartyError) return 403;
  if (error instanceof StoreConflictError) return 409;
  if (error instanceof TamperError) return 422;
  if (error instanceof ChainError) return 503;
  return 500;
}

function errorBody(error: SettlementError): ErrorBody {
  return {
    error: {
      code: error.code,
      message: error.oneLine(),
      ...(error.hint === undefined ? {} : { hint: error.hint }),
    },
  };
}

/** Checks a pushed set against the chain and the store's party; returns what to write. */
export async function verifyPush(
  options: Pick<StoreServerOptions, "registry" | "owner" | "refreshOwnerKeys">,
  push: PushBody,
): Promise<{ set: CommittedSet; id: string; entries: { locator: string; bytes: Uint8Array }[] }> {
  const { registry } = options;
  let owner = options.owner;
  let set: CommittedSet;
  try {
    set = await committedSet(registry, push.ticketKey, push.kind, push.version);
  } catch (error) {
    if (error instanceof StoreError) throw new Refusal(404, error);
    throw error;
  }
  if (!(await holdsSetAs(registry, set, owner)) && options.refreshOwnerKeys !== undefined) {
    // The store's own party may have rotated its key since the server started.
    const keys = await options.refreshOwnerKeys();
    if (keys.length > owner.keys.length) owner = options.owner = { address: owner.address, keys };
  }
  if (!(await holdsSetAs(registry, set, owner))) {
    throw new Refusal(
      403,
      new NotAPartyError(
        `this store's party ${getAddress(owner.address)} is not on ticket ${set.ticketKey}`,
        {
          hint: "push a set only to the stores of the ticket's originator and route parties",
        },
      ),
    );
  }
  const entries = push.envelopes.map((e) => ({
    locator: e.locator,
    bytes: fromBase64(e.bytes),
    proof: e.proof,
  }));
  for (const e of entries) {
    if (!verifyEnvelope(e, e.proof, set.commitment)) {
      throw new Refusal(
        422,
        new TamperError(
          `envelope ${e.locator} is not in the ${push.kind} set committed on-chain for ${set.ticketKey} v${push.version}`,
          {
            hint: "push the envelopes and proofs exactly as sealed for the registered transaction",
          },
        ),
      );
    }
  }
  let mine = await senderLocators(registry, set, (keys) => myLocators(owner, keys, set));
  let own = entries.find((e) => mine.has(e.locator));
  if (own === undefined) {
    // The sender may have rotated its key since the directory was cached: read it again.
    registry.refreshParties();
    mine = await senderLocators(registry, set, (keys) => myLocators(owner, keys, set));
    own = entries.find((e) => mine.has(e.locator));
  }
  if (own === undefined && options.refreshOwnerKeys !== undefined) {
    // The store's own party may have rotated its key since the server started.
    const keys = await options.refreshOwnerKeys();
    if (keys.length > owner.keys.length) {
      owner = options.owner = { address: owner.address, keys };
      mine = await senderLocators(registry, set, (keys) => myLocators(owner, keys, set));
      own = entries.find((e) => mine.has(e.locator));
    }
  }
  if (own === undefined) {
    throw new Refusal(
      422,
      new TamperError(
        `the pushed set holds no envelope for this store's party ${getAddress(owner.address)}`,
        {
          hint: "push the whole set, the recipient's own envelope included",
        },
      ),
    );
  }
  let opened;
  try {
    opened = openOwn(owner, mine.get(own.locator)!, set, own.locator, own.bytes);
  } catch (error) {
    if (error instanceof SettlementError) throw new Refusal(422, error);
    throw error;
  }
  const stray = entries.find((e) => !opened.envelopes.includes(e.locator));
  if (stray !== undefined) {
    throw new Refusal(
      422,
      new TamperError(`envelope ${stray.locator} is not listed in the sealed set`),
    );
  }
  return { set, id: opened.id, entries: entries.map(({ locator, bytes }) => ({ locator, bytes })) };
}

/** Builds the Fastify app (not listening): `app.inject` works on it. */
export function buildStoreApp(options: StoreServerOptions): {
  app: FastifyInstance;
  store: FolderStore;
} {
  const store = new FolderStore(options.root);
  const app = Fastify({
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    logger: false,
    return503OnClosing: true,
  });

  // JSON only: a text body is refused as such rather than failing the schema.
  app.removeContentTypeParser("text/plain");

  app.setErrorHandler((error: FastifyError | Error, _request, reply) => {
    if (error instanceof Refusal) return reply.code(error.status).send(errorBody(error.error));
    if (error instanceof SettlementError) return reply.code(statusOf(error)).send(errorBody(error));
    const fe = error as FastifyError;
    const limit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
    const translated = ((): [number, SettlementError] => {
      switch (fe.code) {
        case "FST_ERR_CTP_BODY_TOO_LARGE":
          return [
            413,
            new InputError(`request body is larger than ${limit} bytes`, {
              hint: "push one envelope set per request",
            }),
          ];
        case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
          return [
            415,
            new InputError("request body must be JSON", {
              hint: "send content-type: application/json",
            }),
          ];
        case "FST_ERR_CTP_EMPTY_JSON_BODY":
          return [
            400,
            new InputError("request body is empty", { hint: "send one envelope set as JSON" }),
          ];
        case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
          return [400, new InputError("request content-length does not match its body")];
      }
      if (fe.statusCode !== undefined && fe.statusCode >= 400 && fe.statusCode < 500) {
        const json = error instanceof SyntaxError || /JSON/i.test(fe.message);
        return [
          fe.statusCode,
          new InputError(json ? "request body is not valid JSON" : fe.message.split("\n")[0], {
            hint: json ? "send one envelope set as JSON" : undefined,
          }),
        ];
      }
      return [
        500,
        new StoreError("the store failed to handle the request", {
          details: fe.message.split("\n")[0],
        }),
      ];
    })();
    return reply.code(translated[0]).send(errorBody(translated[1]));
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(
      errorBody(
        new InputError(`no route ${request.method} ${request.url.split("?")[0]}`, {
          hint: "the store serves POST /v1/sets, GET /v1/envelopes/<locator> and GET /v1/health",
        }),
      ),
    ),
  );

  app.get("/v1/health", async (): Promise<HealthBody> => ({
    format: HEALTH_FORMAT,
    party: getAddress(options.owner.address),
    registry: options.registry.address,
    chainId: options.chainId.toString(),
  }));

  app.post("/v1/sets", async (request, reply) => {
    const parsed = PushSchema.safeParse(request.body);
    if (!parsed.success) {
      const issues = describeIssues(parsed.error);
      throw new Refusal(
        400,
        new InputError(issues[0], {
          details: issues.length > 1 ? issues.slice(1).join("; ") : undefined,
          hint: "send {format, kind, ticketKey, version, envelopes: [{locator, bytes, proof}]}",
        }),
      );
    }
    const { set, id, entries } = await verifyPush(options, parsed.data);
    const result: PushResult = { stored: 0, existing: 0 };
    // Distinct locators: the writes are independent, so their fsyncs overlap.
    await Promise.all(
      entries.map(async (e) => {
        const had = await store.lookup(e.locator).catch(() => undefined);
        await store.put(id, set.version, e.locator, e.bytes);
        if (had === undefined) result.stored++;
        else result.existing++;
      }),
    );
    return reply.code(result.stored > 0 ? 201 : 200).send(result);
  });

  app.get<{ Params: { locator: string } }>("/v1/envelopes/:locator", async (request, reply) => {
    const { locator } = request.params;
    if (!LOCATOR_PATTERN.test(locator)) {
      throw new InputError(
        `locator ${JSON.stringify(locator.slice(0, 40))} is not 32 lower-case hex characters`,
      );
    }
    const at = await store.lookup(locator);
    const bytes =
      at === undefined
        ? undefined
        : await store.get(at.id, at.version, locator).catch(() => undefined);
    if (bytes === undefined) {
      // Says nothing about the ticket: the locator is all the caller gave.
      return reply
        .code(404)
        .send(
          errorBody(
            new StoreError(`no envelope ${locator} in this store`, { hint: "try another replica" }),
          ),
        );
    }
    return reply.type("application/octet-stream").send(Buffer.from(bytes));
  });

  return { app, store };
}

/** Starts a store server; `close()` stops it (and its retry timer). */
export async function startStoreServer(options: StoreServerOptions): Promise<StoreServer> {
  const { app, store } = buildStoreApp(options);
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
