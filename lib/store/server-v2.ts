/**
 * The store server's routes, format 2, as a Fastify plugin over the embedded store
 * (`./sqlite.ts`). Register it on any Fastify app: `app.register(storeV2Routes, options)`.
 *
 * Reads, in the order of the threats they answer (docs/threat-model.md):
 * 1. membership oracle — a read names read tokens, not locators; the store hashes each to its
 *    locator. The answer has one status and one length per token count, held or not, so anyone
 *    without a token (a copy of a store gives locators, not tokens) learns nothing;
 * 2. unbounded answers — a read names at most nine tokens and its answer is exactly
 *    9 × 4,097 bytes at most; the client (`./read-protocol.ts`) reads no more than that;
 * 3. flooding — reads and pushes are rate-limited per client address, pushes also in total (each
 *    costs a chain read and a decryption). The address is Fastify's `request.ip`: behind a
 *    reverse proxy, give the app `trustProxy` so that clients are told apart.
 *
 * Writes: a push is one whole set (nine envelopes of one size), checked by `verifyPush` (from the
 * chain: {@link ownerVerifier}) and written in one transaction; the store never overwrites an
 * entry with other bytes.
 */
import type { FastifyError, FastifyPluginAsync } from "fastify";
import type { z } from "zod";

import {
  InputError,
  NotAPartyError,
  SettlementError,
  StoreConflictError,
  StoreError,
  TamperError,
} from "../errors.js";
import type { PublicKeyVersions } from "../crypto/keys.js";
import { locatorOf, tokenBytes, type SetKind } from "../crypto/read-token.js";
import {
  openTree,
  verifyEntries,
  type TreeEntry,
  type TreeReader,
} from "../ticket/envelope-tree.js";
import {
  encodeReadAnswer,
  HEALTH_V2_FORMAT,
  PUSH_BODY_LIMIT,
  PushV2Schema,
  READ_BODY_LIMIT,
  ReadV2Schema,
  type PushV2,
  type PushV2Result,
} from "./read-protocol.js";
import type { SqliteEnvelopeStore } from "./sqlite.js";

/** A token bucket: `burst` at once, refilled at `perSecond`. */
export interface RateLimit {
  perSecond: number;
  burst: number;
}

export const DEFAULT_PUSH_LIMIT: RateLimit = { perSecond: 20, burst: 40 };
export const DEFAULT_PUSH_TOTAL_LIMIT: RateLimit = { perSecond: 100, burst: 200 };
export const DEFAULT_READ_LIMIT: RateLimit = { perSecond: 100, burst: 200 };

/** Token buckets by key (a client address), at most `maxKeys` remembered (oldest dropped). */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly limit: RateLimit,
    private readonly maxKeys = 10_000,
  ) {}

  /** 0 if `key` may go now (and takes a token), else the seconds until it may. */
  take(key: string, now = Date.now()): number {
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxKeys) {
        this.buckets.delete(this.buckets.keys().next().value as string);
      }
      bucket = { tokens: this.limit.burst, at: now };
    } else {
      this.buckets.delete(key); // re-inserted below: the map stays in least-recent order
      const refill = ((now - bucket.at) / 1000) * this.limit.perSecond;
      bucket = { tokens: Math.min(this.limit.burst, bucket.tokens + refill), at: now };
    }
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - bucket.tokens) / this.limit.perSecond);
  }
}

/** Decides what of a pushed set to keep; throws a {@link SettlementError} to refuse it. */
export type PushVerifier = (push: PushV2, entries: TreeEntry[]) => Promise<TreeEntry[]>;

export interface StoreV2Options {
  store: SqliteEnvelopeStore;
  verifyPush: PushVerifier;
  /** The store's party, shown by the health route. */
  party?: string;
  pushLimit?: RateLimit;
  pushTotalLimit?: RateLimit;
  readLimit?: RateLimit;
}

/** An error with the HTTP status it maps to. */
export class Refusal extends Error {
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
  return 500;
}

const errorBody = (error: SettlementError) => ({
  error: {
    code: error.code,
    message: error.oneLine(),
    ...(error.hint === undefined ? {} : { hint: error.hint }),
  },
});

function fastifyRefusal(error: FastifyError): Refusal {
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new Refusal(413, new InputError("request body is larger than this route takes"));
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new Refusal(415, new InputError("request body must be JSON"));
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return new Refusal(400, new InputError("request body is empty"));
  }
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return new Refusal(error.statusCode, new InputError("request body is not valid JSON"));
  }
  return new Refusal(500, new StoreError("the store failed to handle the request"));
}

function parsed<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issues = result.error.issues.map(
    (i) => `${i.path.length === 0 ? "body" : i.path.map(String).join(".")}: ${i.message}`,
  );
  throw new Refusal(
    400,
    new InputError(issues[0], {
      details: issues.length > 1 ? issues.slice(1).join("; ") : undefined,
    }),
  );
}

/** The v2 routes; see the module comment. */
export const storeV2Routes: FastifyPluginAsync<StoreV2Options> = async (app, options) => {
  const { store } = options;
  const pushes = new RateLimiter(options.pushLimit ?? DEFAULT_PUSH_LIMIT);
  const pushesTotal = new RateLimiter(options.pushTotalLimit ?? DEFAULT_PUSH_TOTAL_LIMIT, 1);
  const reads = new RateLimiter(options.readLimit ?? DEFAULT_READ_LIMIT);

  app.removeContentTypeParser("text/plain");
  app.setErrorHandler((error: FastifyError | Error, _request, reply) => {
    const refusal =
      error instanceof Refusal
        ? error
        : error instanceof SettlementError
          ? new Refusal(statusOf(error), error)
          : fastifyRefusal(error as FastifyError);
    return reply.code(refusal.status).send(errorBody(refusal.error));
  });

  const limited = (
    limiter: RateLimiter,
    key: string,
    reply: { header(k: string, v: string): unknown },
  ) => {
    const wait = limiter.take(key);
    if (wait === 0) return;
    reply.header("retry-after", String(wait));
    throw new Refusal(429, new InputError("too many requests", { hint: `retry in ${wait} s` }));
  };

  app.get("/v2/health", async () => ({
    format: HEALTH_V2_FORMAT,
    ...(options.party === undefined ? {} : { party: options.party }),
  }));

  app.post("/v2/sets", { bodyLimit: PUSH_BODY_LIMIT }, async (request, reply) => {
    limited(pushes, request.ip, reply);
    limited(pushesTotal, "all", reply);
    const push = parsed(PushV2Schema, request.body) as PushV2;
    const entries = push.envelopes.map((e) => ({
      locator: e.locator,
      bytes: new Uint8Array(Buffer.from(e.bytes, "base64")),
    }));
    const keep = await options.verifyPush(push, entries);
    const result: PushV2Result = store.putSet(keep);
    return reply.code(result.stored > 0 ? 201 : 200).send(result);
  });

  app.post("/v2/read", { bodyLimit: READ_BODY_LIMIT }, async (request, reply) => {
    limited(reads, request.ip, reply);
    const { tokens } = parsed(ReadV2Schema, request.body);
    const envelopes = tokens.map((t) => store.get(locatorOf(tokenBytes(t))));
    return reply.type("application/octet-stream").send(encodeReadAnswer(envelopes));
  });
};

/** What the chain says about a set, for {@link ownerVerifier}. */
export interface CommittedSetV2 {
  /** The envelope commitment of that kind and version. */
  commitment: string;
  /**
   * The sender's public keys by version (the originator's, or the returning party's); or, for a
   * return pushed without its sender, the keys of every party that may have sealed it, tried in
   * turn.
   */
  senderKeys: PublicKeyVersions | readonly PublicKeyVersions[];
}

/**
 * The push check of a party's own store: the set must be committed on-chain (`lookup`, read over
 * the store's own connection; `undefined` if unknown: 404) and hold an envelope for the store's
 * party that opens and verifies against that commitment (422 otherwise, naming the damage).
 *
 * `keep: "own"` (default) keeps that envelope only, whatever the state of the other eight: a
 * damaged envelope of another recipient does not cost this party its own, and a copy of one
 * party's store shares no entry with another's (shared entries would tell who is on tickets
 * together). `keep: "set"` keeps all nine and so requires each to match its leaf (422 naming the
 * first that does not): a store never holds an entry it could not verify.
 */
export function ownerVerifier(input: {
  owner: TreeReader;
  /** `sender` is the push's sender hint (a return's author): it only selects the keys to try. */
  lookup: (
    kind: SetKind,
    ticketKey: string,
    version: number,
    sender?: string,
  ) => Promise<CommittedSetV2 | undefined>;
  keep?: "own" | "set";
}): PushVerifier {
  return async (push, entries) => {
    const chain = await input.lookup(push.kind, push.ticketKey, push.version, push.sender);
    if (chain === undefined) {
      throw new Refusal(
        404,
        new StoreError(
          `the chain has no ${push.kind} set for ${push.ticketKey} version ${push.version}`,
          {
            hint: "push after the transaction has landed; a return names its sender",
          },
        ),
      );
    }
    const byLocator = new Map(entries.map((e) => [e.locator, e.bytes]));
    const senders = Array.isArray(chain.senderKeys)
      ? (chain.senderKeys as readonly PublicKeyVersions[])
      : [chain.senderKeys as PublicKeyVersions];
    let own: Awaited<ReturnType<typeof openTree>> | undefined;
    let damage: SettlementError | undefined;
    for (const senderKeys of senders) {
      try {
        own = await openTree({
          me: input.owner,
          senderKeys,
          kind: push.kind,
          ticketKey: push.ticketKey,
          version: push.version,
          commitment: chain.commitment,
          fetch: (c) => byLocator.get(c.locator),
        });
        break;
      } catch (error) {
        // Not found under this sender's keys (another sender, or none): try the next one.
        if (error instanceof StoreError) continue;
        if (error instanceof SettlementError) {
          damage ??= error;
          continue;
        }
        throw error;
      }
    }
    if (own === undefined) {
      throw new Refusal(
        422,
        damage ??
          new TamperError("the pushed set holds no envelope for this store's party", {
            hint: "push a set only to the stores of its recipients, whole",
          }),
      );
    }
    if (input.keep !== "set") return entries.filter((e) => e.locator === own.locator);
    const { bad } = verifyEntries(own.proof, entries);
    if (bad.length > 0) throw new Refusal(422, new TamperError(bad[0].reason));
    return entries;
  };
}
