/**
 * An ethers v6 provider over several JSON-RPC endpoints (one per consortium node), with failover.
 *
 * - Reads go to the first healthy endpoint, in the configured order; an endpoint that fails at
 *   the transport level (refused, reset, timeout, HTTP error) is marked down and the next one
 *   answers. JSON-RPC errors (a revert, a bad parameter) are answers, not failures.
 * - Writes are signed locally ({@link FailoverSigner}) and sent raw with `eth_sendRawTransaction`.
 *   Nonces are assigned locally, one sender at a time, so concurrent submissions from one
 *   account never reuse or skip a nonce, and failover never resets them.
 * - A send whose fate is unknown (the endpoint died after receiving it) is resolved on the other
 *   endpoints by transaction hash and by nonce: `mined`, `sent` (in a node's pool) or, if no node
 *   can tell, `unknown` ({@link TransactionFateError}). Only the same signed bytes are ever
 *   re-broadcast, so a transaction can never be executed twice.
 * - Once one endpoint accepted a transaction, every other endpoint gets the same signed bytes
 *   (`broadcast: "all"`): each node holds it as its own, whatever it accepts from peers.
 * - Logs are asked in pieces of at most `logRange` blocks, each from a node that has the piece's
 *   last block: a node's range limit or a node that lags behind never hides an event.
 * - A transaction whose node dies before it is mined goes again, same bytes, to the others.
 * - With `confirmations` N, the client sees the chain N blocks below the head (Clique forks).
 * - ethers' request cache and batching are off (`cacheTimeout: -1`, `batchMaxCount: 1`) and the
 *   network is static: back-to-back reads always see fresh state.
 */
import { writeFileSync, readFileSync, existsSync, renameSync } from "node:fs";

import {
  AbstractSigner,
  JsonRpcApiProvider,
  Network,
  Transaction,
  Wallet,
  getAddress,
  resolveAddress,
  toQuantity,
  type JsonRpcError,
  type JsonRpcPayload,
  type JsonRpcResult,
  type PerformActionFilter,
  type PerformActionRequest,
  type Provider,
  type TransactionLike,
  type TransactionReceipt,
  type TransactionRequest,
  type TransactionResponse,
  type TypedDataDomain,
  type TypedDataField,
} from "ethers";

import { ChainError } from "../errors.js";

export interface FailoverOptions {
  /** Network name, for messages (e.g. `besu`). */
  readonly networkName?: string;
  /** The chain id the network must have; every reachable endpoint is checked. */
  readonly chainId?: bigint | number;
  /**
   * Gas price for every transaction (legacy type 0). Default 0: free-gas private chains, where
   * fee discovery misleads (anvil and others still suggest a priority fee). `auto` asks the node
   * (`eth_gasPrice`) for each transaction.
   */
  readonly gasPrice?: bigint | "auto";
  /** Per-request timeout in milliseconds (default 10 000). */
  readonly requestTimeoutMs?: number;
  /** How long an endpoint that failed is skipped before it is tried again (default 5 000 ms). */
  readonly retryDownAfterMs?: number;
  /** Receipt polling interval for `wait()` in milliseconds (default 500). */
  readonly pollingInterval?: number;
  /** File that records each keyed send before it is broadcast, so that a rerun resolves it. */
  readonly journalPath?: string;
  /** Where the endpoint list came from, for hints (e.g. `SR_BESU_RPC_URLS`). */
  readonly endpointsSource?: string;
  /**
   * `all` (default): once one endpoint accepted a transaction, hand the same signed bytes to every
   * other endpoint too. Each node then holds it as its own local transaction: Geth 1.13 nodes
   * refuse zero-price transactions gossiped by a peer (they only take them from their own RPC
   * clients), so a free-gas transaction would otherwise wait for its one node's turn to seal, and
   * be lost if that node died first. `first`: the accepting endpoint only.
   */
  readonly broadcast?: "all" | "first";
  /**
   * Blocks per `eth_getLogs` request (default 5 000, Besu's default `--rpc-max-logs-range`): a
   * longer range is asked in pieces, so a node's range limit never breaks a scan from block 0.
   */
  readonly logRange?: number;
  /** Where `logRange` came from, for hints (e.g. `SR_BESU_LOG_RANGE`). */
  readonly logRangeSource?: string;
  /**
   * Blocks that must follow a block before this client treats it as settled (default 0: QBFT,
   * IBFT and `geth --dev` blocks are final once made). A Clique chain has no finality: two
   * signers may seal at the same height and the chain keeps one of them. With N > 0 the
   * provider's head is the node's head minus N, receipts appear only once that deep, and log
   * queries up to `latest` stop there: a write returns when it is settled, and a watcher never
   * delivers an event of a block that is later replaced.
   */
  readonly confirmations?: number;
}

export interface EndpointHealth {
  readonly url: string;
  readonly up: boolean;
  readonly lastError?: string;
}

/** What is known about a transaction after it was handed to a node. */
export type TransactionStatus = "mined" | "sent" | "unknown";

/** A write: the signed transaction and what is known about it. */
export interface SendRecord {
  readonly key?: string;
  readonly from: string;
  readonly nonce: number;
  readonly hash: string;
  readonly raw: string;
  status: TransactionStatus;
  /** The endpoint that accepted it, if one did. */
  endpoint?: string;
}

/** A transaction's fate could not be established: it may or may not be executed later. */
export class TransactionFateError extends ChainError {
  override name = "TransactionFateError";
  readonly status: TransactionStatus;
  readonly hash: string;
  readonly nonce: number;
  readonly from: string;

  constructor(record: SendRecord, details: string, cause?: unknown) {
    super(`transaction ${record.hash} is ${record.status}: no node could confirm it`, {
      details: `from ${record.from}, nonce ${record.nonce}; ${details}`,
      hint: "rerun the same command when a node is reachable: it resolves this transaction instead of sending a second one",
      cause,
    });
    this.status = record.status;
    this.hash = record.hash;
    this.nonce = record.nonce;
    this.from = record.from;
  }
}

/** A transport-level failure of one endpoint (not a JSON-RPC error answer). */
class EndpointDownError extends Error {
  constructor(
    readonly url: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

interface EndpointState {
  readonly url: string;
  downSince?: number;
  lastError?: string;
}

interface SenderState {
  next?: number;
  queue: Promise<unknown>;
}

const DEFAULTS = {
  requestTimeoutMs: 10_000,
  retryDownAfterMs: 5_000,
  pollingInterval: 500,
  logRange: 5_000,
  confirmations: 0,
};

/** How long the extra copies of a broadcast may take before they are left to themselves. */
const FAN_OUT_TIMEOUT_MS = 2_000;

/** The block range of an `eth_getLogs` request, as ethers hands it over. */
type RangeFilter = PerformActionFilter & { fromBlock?: unknown; toBlock?: unknown };

/** A block tag as a number (`latest` and a missing tag: `latest`); undefined for other tags. */
function blockOf(tag: unknown, latest: number): number | undefined {
  if (tag === undefined || tag === null || tag === "latest") return latest;
  if (tag === "earliest") return 0;
  if (typeof tag === "number") return tag;
  if (typeof tag === "string" && /^0x[0-9a-f]+$/i.test(tag)) return Number(tag);
  return undefined;
}

/** Splits a comma/whitespace-separated endpoint list and validates each URL. */
export function parseEndpoints(list: string | readonly string[], source = "endpoints"): string[] {
  const items = (typeof list === "string" ? list.split(/[\s,]+/) : [...list])
    .map((s) => s.trim())
    .filter((s) => s !== "");
  const unique = [...new Set(items)];
  if (unique.length === 0) {
    throw new ChainError(`no RPC endpoint configured in ${source}`, {
      hint: `set ${source} to one or more http(s) URLs, comma-separated`,
    });
  }
  for (const url of unique) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ChainError(`invalid RPC URL "${url}" in ${source}`, {
        hint: "use http://host:port or https://host:port",
      });
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
      throw new ChainError(`unsupported RPC URL "${url}" in ${source}`, {
        hint: "only http(s) JSON-RPC endpoints are supported",
      });
    }
  }
  return unique;
}

function describeCause(error: unknown): string {
  if (error instanceof EndpointDownError) return error.message;
  if (error instanceof Error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    if (cause?.code !== undefined) return cause.code;
    if (error.name === "TimeoutError") return "timed out";
    return cause?.message ?? error.message;
  }
  return String(error);
}

function redact(url: string): string {
  // Endpoints may carry credentials (https://user:token@host/...): never print them.
  try {
    const u = new URL(url);
    if (u.username !== "" || u.password !== "") {
      u.username = "***";
      u.password = "";
    }
    return u.toString().replace(/\/$/, "");
  } catch {
    return url;
  }
}

function isAlreadyKnown(error: JsonRpcError["error"]): boolean {
  return /already known|known transaction|already imported|AlreadyKnown/i.test(error.message ?? "");
}

function isNonceTooLow(error: JsonRpcError["error"]): boolean {
  return /nonce too low|nonce is too low|NonceTooLow|replacement transaction underpriced/i.test(
    error.message ?? "",
  );
}

export class FailoverProvider extends JsonRpcApiProvider {
  readonly networkName: string;
  readonly chainId: bigint;
  readonly gasPrice: bigint | "auto";
  readonly #endpoints: EndpointState[];
  readonly #options: Required<Pick<FailoverOptions, keyof typeof DEFAULTS>> & FailoverOptions;
  readonly #senders = new Map<string, SenderState>();
  readonly #journal = new Map<string, SendRecord>();
  /** Sent, not yet seen in a receipt: handed again to the others if its endpoint dies. */
  readonly #inFlight = new Map<string, SendRecord>();
  readonly #rebroadcasting = new Set<string>();
  #nextId = 1;

  /** Use {@link FailoverProvider.connect}: it checks reachability and chain id first. */
  constructor(endpoints: readonly string[], chainId: bigint, options: FailoverOptions = {}) {
    const network = new Network(options.networkName ?? "private", chainId);
    // An option passed as undefined keeps its default.
    const given = Object.entries(options).filter(([, value]) => value !== undefined);
    const merged = { ...DEFAULTS, ...(Object.fromEntries(given) as FailoverOptions) };
    super(network, {
      staticNetwork: network,
      cacheTimeout: -1,
      batchMaxCount: 1,
      pollingInterval: merged.pollingInterval,
    });
    this.networkName = options.networkName ?? "private";
    this.chainId = chainId;
    this.gasPrice = options.gasPrice ?? 0n;
    this.#options = merged;
    this.#endpoints = parseEndpoints(endpoints, options.endpointsSource).map((url) => ({ url }));
    if (options.journalPath !== undefined) this.#loadJournal(options.journalPath);
    this._start();
  }

  /**
   * Connects to `endpoints`: asks each for its chain id, requires at least one to answer, and
   * requires every answer to match `options.chainId` (if given) and each other.
   */
  static async connect(
    endpoints: string | readonly string[],
    options: FailoverOptions = {},
  ): Promise<FailoverProvider> {
    const urls = parseEndpoints(endpoints, options.endpointsSource);
    const name = options.networkName ?? "private";
    const probe = new FailoverProvider(urls, 0n, options);
    const answers = await Promise.all(
      urls.map(async (url) => {
        try {
          return {
            url,
            chainId: BigInt((await probe.requestAt(url, "eth_chainId", [])) as string),
          };
        } catch (error) {
          return { url, error };
        }
      }),
    );
    probe.destroy();

    const reached = answers.filter((a): a is { url: string; chainId: bigint } => "chainId" in a);
    if (reached.length === 0) {
      const reasons = answers.map((a) => `${redact(a.url)}: ${describeCause(a.error)}`);
      throw new ChainError(
        `cannot reach ${urls.map(redact).join(", ")}: ${answers.map((a) => describeCause(a.error)).join(", ")}`,
        {
          details: urls.length > 1 ? reasons.join("; ") : undefined,
          hint: `check that the node${urls.length > 1 ? "s are" : " is"} running and that ${options.endpointsSource ?? "the RPC URL"} of network ${name} is right (http://host:port, RPC HTTP enabled, host allowed)`,
        },
      );
    }
    const expected = options.chainId === undefined ? reached[0].chainId : BigInt(options.chainId);
    const wrong = reached.find((a) => a.chainId !== expected);
    if (wrong !== undefined) {
      const source = options.chainId === undefined ? `${redact(reached[0].url)}` : "configured";
      throw new ChainError(
        `wrong chain id: network ${name} expects chain id ${expected} (${source}) but ${redact(wrong.url)} reports chain id ${wrong.chainId}`,
        {
          hint: `point network ${name} at nodes of chain ${expected}, or correct its chain id setting`,
        },
      );
    }
    const provider = new FailoverProvider(urls, expected, options);
    for (const a of answers) {
      if (!("chainId" in a)) provider.#markDown(provider.#endpoint(a.url), describeCause(a.error));
    }
    return provider;
  }

  /** The endpoints in order, and whether each is currently considered up. */
  health(): EndpointHealth[] {
    return this.#endpoints.map((e) => ({
      url: e.url,
      up: e.downSince === undefined,
      lastError: e.lastError,
    }));
  }

  /** The endpoint reads currently go to. */
  get activeEndpoint(): string | undefined {
    return this.#order()[0]?.url;
  }

  /** A signer for `privateKey` that sends through this provider. */
  signer(privateKey: string | Wallet): FailoverSigner {
    return new FailoverSigner(privateKey, this);
  }

  /** Sends one JSON-RPC request to one specific endpoint (no failover). */
  async requestAt(url: string, method: string, params: unknown[]): Promise<unknown> {
    const [response] = await this.#post(url, {
      id: this.#nextId++,
      jsonrpc: "2.0",
      method,
      params,
    });
    if ("error" in response) {
      const error = new Error(response.error.message) as Error & { code: number; data?: unknown };
      error.code = response.error.code;
      error.data = response.error.data;
      throw error;
    }
    return response.result;
  }

  override async _send(
    payload: JsonRpcPayload | JsonRpcPayload[],
  ): Promise<(JsonRpcResult | JsonRpcError)[]> {
    const failures: string[] = [];
    for (const endpoint of this.#order()) {
      try {
        const result = await this.#post(endpoint.url, payload);
        endpoint.downSince = undefined;
        return result;
      } catch (error) {
        if (!(error instanceof EndpointDownError)) throw error;
        this.#markDown(endpoint, error.message);
        failures.push(`${redact(endpoint.url)}: ${error.message}`);
      }
    }
    throw this.#allDown(failures);
  }

  /** The newest settled block: the node's head minus `confirmations`. */
  override async getBlockNumber(): Promise<number> {
    return Math.max(0, (await super.getBlockNumber()) - this.#options.confirmations);
  }

  /** A receipt once its block is settled (see {@link FailoverOptions.confirmations}), else null. */
  override async getTransactionReceipt(hash: string): Promise<TransactionReceipt | null> {
    const receipt = await super.getTransactionReceipt(hash);
    if (receipt !== null) this.#inFlight.delete(hash);
    if (receipt === null || this.#options.confirmations === 0) return receipt;
    return receipt.blockNumber <= (await this.getBlockNumber()) ? receipt : null;
  }

  override async _perform<T = unknown>(req: PerformActionRequest): Promise<T> {
    if (req.method === "getLogs" && !("blockHash" in req.filter && req.filter.blockHash != null)) {
      const logs = await this.#getLogs(req.filter as RangeFilter);
      if (logs !== undefined) return logs as T;
    }
    return super._perform(req);
  }

  /**
   * `eth_getLogs` over a block range, in pieces of at most `logRange` blocks, each answered by
   * one endpoint that already has the piece's last block. A node that is behind answers a range
   * past its head with fewer logs and no error (Geth 1.13) or with an error (Geth 1.16+): after a
   * failover to such a node, a watcher would skip events for good. Undefined for ranges ending
   * at `pending`, `safe` or `finalized` (asked as they are).
   */
  async #getLogs(filter: RangeFilter): Promise<unknown[] | undefined> {
    const head = await this.getBlockNumber();
    const to = blockOf(filter.toBlock, head);
    const from = to === undefined ? undefined : blockOf(filter.fromBlock, to);
    if (to === undefined || from === undefined) return undefined;
    const logs: unknown[] = [];
    for (let start = from; start <= to; start += this.#options.logRange) {
      const end = Math.min(to, start + this.#options.logRange - 1);
      logs.push(...(await this.#logsOfPiece(filter, start, end)));
    }
    return logs;
  }

  async #logsOfPiece(filter: RangeFilter, start: number, end: number): Promise<unknown[]> {
    const failures: string[] = [];
    const piece = { ...filter, fromBlock: toQuantity(start), toBlock: toQuantity(end) };
    for (const endpoint of this.#order()) {
      try {
        const last = await this.requestAt(endpoint.url, "eth_getBlockByNumber", [
          toQuantity(end),
          false,
        ]);
        if (last === null) {
          failures.push(`${redact(endpoint.url)}: behind, no block ${end} yet`);
          continue;
        }
        const logs = (await this.requestAt(endpoint.url, "eth_getLogs", [piece])) as unknown[];
        endpoint.downSince = undefined;
        return logs;
      } catch (error) {
        if (!(error instanceof EndpointDownError)) {
          throw new ChainError(`the node refused a log query over blocks ${start}–${end}`, {
            details: `${redact(endpoint.url)}: ${error instanceof Error ? error.message : String(error)}`,
            hint: `ask for fewer blocks per query: set ${this.#options.logRangeSource ?? "logRange"} below ${this.#options.logRange}`,
            cause: error,
          });
        }
        this.#markDown(endpoint, error.message);
        failures.push(`${redact(endpoint.url)}: ${error.message}`);
      }
    }
    throw this.#allDown(failures);
  }

  /** The last known record of a keyed send (see {@link FailoverSigner.sendOnce}). */
  journalEntry(key: string): SendRecord | undefined {
    return this.#journal.get(key);
  }

  /**
   * Finds out what happened to a signed transaction by asking every endpoint: `mined`, `sent`
   * (known to a node but not in a block) or, when no endpoint knows it, whether its nonce is
   * still free (`free`: it was never executed and can safely be broadcast again) or taken by a
   * different transaction (`replaced`).
   */
  async resolveTransaction(
    record: Pick<SendRecord, "hash" | "from" | "nonce">,
  ): Promise<TransactionStatus | "free" | "replaced"> {
    let answered = false;
    let nonceTaken = false;
    for (const endpoint of this.#order()) {
      try {
        const tx = (await this.requestAt(endpoint.url, "eth_getTransactionByHash", [
          record.hash,
        ])) as { blockNumber?: string | null } | null;
        answered = true;
        if (tx !== null) return tx.blockNumber ? "mined" : "sent";
        const count = Number(
          await this.requestAt(endpoint.url, "eth_getTransactionCount", [record.from, "latest"]),
        );
        if (count > record.nonce) nonceTaken = true;
      } catch (error) {
        if (error instanceof EndpointDownError) this.#markDown(endpoint, error.message);
        else throw error;
      }
    }
    if (!answered) return "unknown";
    return nonceTaken ? "replaced" : "free";
  }

  /**
   * Broadcasts `record.raw`, resolving an unknown outcome on the other endpoints. Returns the
   * record with status `sent` or `mined`; throws TransactionFateError when nothing can be known.
   */
  async broadcast(record: SendRecord): Promise<SendRecord> {
    const failures: string[] = [];
    for (const endpoint of this.#order()) {
      if (failures.length > 0) {
        // An earlier endpoint may have received it before dying: look before re-broadcasting.
        const status = await this.resolveTransaction(record);
        if (status === "mined" || status === "sent") return this.#settle(record, status);
        if (status === "replaced") throw this.#replaced(record);
      }
      let response: JsonRpcResult | JsonRpcError;
      try {
        [response] = await this.#post(endpoint.url, {
          id: this.#nextId++,
          jsonrpc: "2.0",
          method: "eth_sendRawTransaction",
          params: [record.raw],
        });
      } catch (error) {
        if (!(error instanceof EndpointDownError)) throw error;
        this.#markDown(endpoint, error.message);
        failures.push(`${redact(endpoint.url)}: ${error.message}`);
        continue;
      }
      endpoint.downSince = undefined;
      if ("error" in response) {
        if (isAlreadyKnown(response.error)) return this.#settle(record, "sent", endpoint.url);
        if (isNonceTooLow(response.error)) {
          const status = await this.resolveTransaction(record);
          if (status === "mined" || status === "sent") return this.#settle(record, status);
          throw this.#replaced(record);
        }
        const error = new ChainError(`node refused transaction ${record.hash}`, {
          details: `${redact(endpoint.url)}: ${response.error.message}`,
          hint: "check the account, the gas settings and the node's transaction pool limits",
        });
        this.#forget(record);
        throw error;
      }
      await this.#fanOut(record, endpoint.url);
      return this.#settle(record, "sent", endpoint.url);
    }
    record.status = "unknown";
    this.#remember(record);
    throw new TransactionFateError(record, `every endpoint failed: ${failures.join("; ")}`);
  }

  /** Runs `work` for `from` after every earlier call for `from` finished (per-sender lock). */
  async _withSender<T>(from: string, work: (state: SenderState) => Promise<T>): Promise<T> {
    const key = getAddress(from);
    let state = this.#senders.get(key);
    if (state === undefined) {
      state = { queue: Promise.resolve() };
      this.#senders.set(key, state);
    }
    const s = state;
    const run = s.queue.then(() => work(s));
    s.queue = run.catch(() => undefined);
    return run;
  }

  /** The next nonce for a sender: the higher of the local counter and the chain's pending count. */
  async _nextNonce(from: string, state: SenderState): Promise<number> {
    const pending = await this.getTransactionCount(from, "pending");
    state.next = state.next === undefined ? pending : Math.max(state.next, pending);
    return state.next;
  }

  /**
   * Gives `record.raw` to every other endpoint that is up (see {@link FailoverOptions.broadcast}).
   * Their answers do not matter: "already known" is the usual one, and a node that fails here is
   * only marked down. Never a different transaction: the nonce makes a second execution impossible.
   */
  async #fanOut(record: SendRecord, accepted: string): Promise<void> {
    if (this.#options.broadcast === "first") return;
    const others = this.#endpoints.filter((e) => e.url !== accepted && e.downSince === undefined);
    await Promise.all(
      others.map(async (endpoint) => {
        try {
          await this.#post(
            endpoint.url,
            {
              id: this.#nextId++,
              jsonrpc: "2.0",
              method: "eth_sendRawTransaction",
              params: [record.raw],
            },
            FAN_OUT_TIMEOUT_MS,
          );
        } catch (error) {
          if (error instanceof EndpointDownError) this.#markDown(endpoint, error.message);
        }
      }),
    );
  }

  #endpoint(url: string): EndpointState {
    return this.#endpoints.find((e) => e.url === url) as EndpointState;
  }

  /** Healthy endpoints first (in configured order), then those down longest, as a last resort. */
  #order(): EndpointState[] {
    const now = Date.now();
    const retry = (e: EndpointState) =>
      e.downSince === undefined || now - e.downSince >= this.#options.retryDownAfterMs;
    return [
      ...this.#endpoints.filter(retry),
      ...this.#endpoints
        .filter((e) => !retry(e))
        .sort((a, b) => (a.downSince ?? 0) - (b.downSince ?? 0)),
    ];
  }

  #markDown(endpoint: EndpointState, reason: string): void {
    endpoint.downSince = Date.now();
    endpoint.lastError = reason;
    this.emit("debug", { action: "endpointDown", url: redact(endpoint.url), reason });
    for (const record of this.#inFlight.values()) {
      if (record.endpoint === endpoint.url) void this.#rebroadcast(record);
    }
  }

  /**
   * A node that dies takes its transaction pool with it. A transaction it accepted may exist
   * nowhere else (the copies to the other nodes failed, or peers refused its gossip): the same
   * signed bytes go to the surviving nodes, which either know it already or take it now. Only
   * these bytes, so it can still execute only once.
   */
  async #rebroadcast(record: SendRecord): Promise<void> {
    if (this.#rebroadcasting.has(record.hash)) return;
    this.#rebroadcasting.add(record.hash);
    try {
      await this.broadcast(record);
    } catch {
      // Nobody answers now: the record stays in flight, the next failure tries again.
    } finally {
      this.#rebroadcasting.delete(record.hash);
    }
  }

  #allDown(failures: string[]): ChainError {
    return new ChainError(`no node of network ${this.networkName} answers`, {
      details: failures.join("; "),
      hint: `check that at least one node is running; endpoints come from ${this.#options.endpointsSource ?? "the network configuration"}`,
    });
  }

  async #post<P extends JsonRpcPayload | JsonRpcPayload[]>(
    url: string,
    payload: P,
    timeoutMs = this.#options.requestTimeoutMs,
  ): Promise<(JsonRpcResult | JsonRpcError)[]> {
    let response: Response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new EndpointDownError(url, describeCause(error), { cause: error });
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch (error) {
      throw new EndpointDownError(url, `HTTP ${response.status}, unreadable body`, {
        cause: error,
      });
    }
    if (!response.ok && (typeof body !== "object" || body === null || !("jsonrpc" in body))) {
      throw new EndpointDownError(url, `HTTP ${response.status}`);
    }
    return (Array.isArray(body) ? body : [body]) as (JsonRpcResult | JsonRpcError)[];
  }

  #settle(record: SendRecord, status: "sent" | "mined", endpoint?: string): SendRecord {
    record.status = status;
    if (endpoint !== undefined) record.endpoint = endpoint;
    if (status === "sent") this.#inFlight.set(record.hash, record);
    else this.#inFlight.delete(record.hash);
    this.#remember(record);
    return record;
  }

  #replaced(record: SendRecord): ChainError {
    this.#forget(record);
    const state = this.#senders.get(getAddress(record.from));
    if (state !== undefined) state.next = undefined; // resynchronise from the chain
    return new ChainError(
      `nonce ${record.nonce} of ${record.from} was used by another transaction`,
      {
        details: `transaction ${record.hash} was not executed`,
        hint: "another client sends from the same account: give each client its own key, then rerun",
      },
    );
  }

  #remember(record: SendRecord): void {
    if (record.key === undefined) return;
    this.#journal.set(record.key, record);
    this.#saveJournal();
  }

  #forget(record: SendRecord): void {
    if (record.key === undefined) return;
    this.#journal.delete(record.key);
    this.#saveJournal();
  }

  /** Records what is now known about a keyed send. */
  _record(record: SendRecord, status: TransactionStatus): void {
    record.status = status;
    this.#remember(record);
  }

  /** Records a keyed send before it is broadcast. */
  _journalBeforeSend(record: SendRecord): void {
    this.#remember(record);
  }

  #loadJournal(path: string): void {
    if (!existsSync(path)) return;
    const entries = JSON.parse(readFileSync(path, "utf8")) as Record<string, SendRecord>;
    for (const [key, record] of Object.entries(entries)) this.#journal.set(key, record);
  }

  #saveJournal(): void {
    const path = this.#options.journalPath;
    if (path === undefined) return;
    const tmp = `${path}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(Object.fromEntries(this.#journal), null, 2)}\n`);
    renameSync(tmp, path);
  }
}

/**
 * Signs locally and sends raw through a {@link FailoverProvider}. Works as an ordinary ethers
 * signer (`contract.connect(signer).method(...)`); transactions are legacy (type 0) at the
 * provider's gas price, with locally managed nonces.
 */
export class FailoverSigner extends AbstractSigner<FailoverProvider> {
  readonly #wallet: Wallet;
  readonly address: string;

  constructor(privateKey: string | Wallet, provider: FailoverProvider) {
    super(provider);
    this.#wallet = typeof privateKey === "string" ? new Wallet(privateKey) : privateKey;
    this.address = this.#wallet.address;
  }

  override async getAddress(): Promise<string> {
    return this.address;
  }

  override connect(provider: Provider | null): FailoverSigner {
    if (!(provider instanceof FailoverProvider)) {
      throw new ChainError("a FailoverSigner needs a FailoverProvider");
    }
    return new FailoverSigner(this.#wallet, provider);
  }

  override async signTransaction(tx: TransactionRequest): Promise<string> {
    return this.#wallet.signTransaction(tx);
  }

  override async signMessage(message: string | Uint8Array): Promise<string> {
    return this.#wallet.signMessage(message);
  }

  override async signTypedData(
    domain: TypedDataDomain,
    types: Record<string, TypedDataField[]>,
    value: Record<string, unknown>,
  ): Promise<string> {
    return this.#wallet.signTypedData(domain, types, value);
  }

  override async sendTransaction(tx: TransactionRequest): Promise<TransactionResponse> {
    const record = await this.send(tx);
    return this.#response(record.raw);
  }

  /**
   * Sends `tx` at most once per `key` (e.g. `ticket:create:T-7Q2M`): if an earlier call (or an
   * earlier process, with a journal file) already sent a transaction under `key`, its fate is
   * resolved and returned instead of sending another.
   */
  async sendOnce(key: string, tx: TransactionRequest): Promise<TransactionResponse> {
    const previous = this.provider.journalEntry(key);
    if (previous !== undefined) {
      const status = await this.provider.resolveTransaction(previous);
      if (status === "mined" || status === "sent") {
        this.provider._record(previous, status);
        return this.#response(previous.raw);
      }
      if (status === "free") {
        await this.provider.broadcast(previous);
        return this.#response(previous.raw);
      }
      if (status === "unknown") {
        throw new TransactionFateError(previous, "no node answers yet");
      }
      // replaced: the earlier attempt was never executed; fall through and send anew.
    }
    const record = await this.send(tx, key);
    return this.#response(record.raw);
  }

  /** Populates, signs and broadcasts `tx`; returns what is known about it. */
  async send(tx: TransactionRequest, key?: string): Promise<SendRecord> {
    const provider = this.provider;
    const request = await this.#populateWithoutNonce(tx);
    return provider._withSender(this.address, async (state) => {
      for (let attempt = 0; ; attempt++) {
        const nonce = await provider._nextNonce(this.address, state);
        const raw = await this.#wallet.signTransaction({ ...request, nonce });
        const record: SendRecord = {
          key,
          from: this.address,
          nonce,
          hash: Transaction.from(raw).hash as string,
          raw,
          status: "unknown",
        };
        provider._journalBeforeSend(record);
        try {
          const sent = await provider.broadcast(record);
          state.next = nonce + 1;
          return sent;
        } catch (error) {
          if (error instanceof TransactionFateError) {
            // The nonce may be used by this transaction later: never hand it out again blindly.
            state.next = undefined;
            throw error;
          }
          // Another client took the nonce: the chain's count is fresh now; try once more.
          if (
            attempt === 0 &&
            error instanceof ChainError &&
            /was used by another/.test(error.message)
          ) {
            continue;
          }
          throw error;
        }
      }
    });
  }

  async #populateWithoutNonce(tx: TransactionRequest): Promise<TransactionLike<string>> {
    const provider = this.provider;
    // Private chains have no ENS: only addresses (or Addressables such as contracts).
    const to = tx.to == null ? null : await resolveAddress(tx.to);
    const base = {
      to: to ?? undefined,
      data: tx.data ?? "0x",
      value: tx.value ?? 0n,
      from: this.address,
      gasPrice:
        tx.gasPrice ??
        (provider.gasPrice === "auto"
          ? BigInt((await provider.send("eth_gasPrice", [])) as string)
          : provider.gasPrice),
    };
    if (tx.from != null && getAddress(tx.from as string) !== this.address) {
      throw new ChainError(
        `transaction from ${String(tx.from)} cannot be signed by ${this.address}`,
      );
    }
    // Estimating through the provider gives ethers' CALL_EXCEPTION with the revert data, which
    // callers decode into the registry's custom errors.
    const gasLimit = tx.gasLimit ?? (await provider.estimateGas(base));
    return {
      type: 0,
      chainId: provider.chainId,
      to: base.to ?? null,
      data: base.data,
      value: BigInt(base.value),
      gasPrice: BigInt(base.gasPrice),
      gasLimit: BigInt(gasLimit),
    };
  }

  async #response(raw: string): Promise<TransactionResponse> {
    const network = await this.provider.getNetwork();
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- ethers passes a Transaction here too
    return this.provider._wrapTransactionResponse(Transaction.from(raw) as any, network);
  }
}
