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
 * - A transaction whose node dies before it is mined goes again, same bytes, to the others.
 * - Logs are asked in pieces of at most `logRange` blocks, each from a node that has the piece's
 *   last block: a node's range limit or a node that lags behind never hides an event.
 * - With `confirmations` N, the client sees the chain N blocks below the head (Clique forks).
 * - ethers' request cache and batching are off (`cacheTimeout: -1`, `batchMaxCount: 1`) and the
 *   network is static: back-to-back reads always see fresh state.
 *
 * Its parts: endpoint health and raw requests (./endpoints.ts), sending and resolving signed
 * transactions (./broadcast.ts), local nonces (./nonces.ts), log queries in pieces (./logs.ts). Retrying a use case after an unknown
 * outcome is the use case's job (the create journal of lib/app/create.ts), not the provider's.
 */
import {
  AbstractSigner,
  JsonRpcApiProvider,
  Network,
  Transaction,
  Wallet,
  getAddress,
  resolveAddress,
  type JsonRpcError,
  type JsonRpcPayload,
  type JsonRpcResult,
  type Provider,
  type TransactionLike,
  type TransactionReceipt,
  type TransactionRequest,
  type TransactionResponse,
  type TypedDataDomain,
  type TypedDataField,
} from "ethers";

import { ChainError } from "../errors.js";
import {
  broadcast,
  resolveTransaction,
  TransactionFateError,
  type SendRecord,
  type TransactionStatus,
} from "./broadcast.js";
import {
  describeCause,
  EndpointDownError,
  EndpointPool,
  parseEndpoints,
  redact,
  type EndpointHealth,
} from "./endpoints.js";
import { getLogsInPieces, type RangeFilter } from "./logs.js";
import { NonceKeeper } from "./nonces.js";

export { parseEndpoints, TransactionFateError };
export type { EndpointHealth, SendRecord, TransactionStatus };

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
  /** Where the endpoint list came from, for hints (e.g. `SR_BESU_RPC_URLS`). */
  readonly endpointsSource?: string;
  /**
   * `all` (default): once one endpoint accepted a transaction, hand the same signed bytes to every
   * other endpoint too (see `broadcast` in ./broadcast.ts). `first`: the accepting endpoint only.
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

const DEFAULTS = {
  requestTimeoutMs: 10_000,
  retryDownAfterMs: 5_000,
  pollingInterval: 500,
  logRange: 5_000,
  confirmations: 0,
};

export class FailoverProvider extends JsonRpcApiProvider {
  readonly networkName: string;
  readonly chainId: bigint;
  readonly gasPrice: bigint | "auto";
  readonly #pool: EndpointPool;
  readonly #options: typeof DEFAULTS & FailoverOptions;
  readonly nonces = new NonceKeeper();
  /** Sent, not yet seen in a receipt: handed again to the others if its endpoint dies. */
  readonly #inFlight = new Map<string, SendRecord>();
  readonly #rebroadcasting = new Set<string>();

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
    this.#pool = new EndpointPool(endpoints, {
      requestTimeoutMs: merged.requestTimeoutMs,
      retryDownAfterMs: merged.retryDownAfterMs,
      networkName: this.networkName,
      endpointsSource: options.endpointsSource,
      onDown: (url, reason) => {
        this.emit("debug", { action: "endpointDown", url, reason });
        for (const record of this.#inFlight.values()) {
          if (record.endpoint !== undefined && redact(record.endpoint) === url)
            void this.#rebroadcast(record);
        }
      },
    });
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
      if (!("chainId" in a))
        provider.#pool.markDown(provider.#pool.find(a.url), describeCause(a.error));
    }
    return provider;
  }

  /** The endpoints in order, and whether each is currently considered up. */
  health(): EndpointHealth[] {
    return this.#pool.health();
  }

  /** The endpoint reads currently go to. */
  get activeEndpoint(): string | undefined {
    return this.#pool.order()[0]?.url;
  }

  /** A signer for `privateKey` that sends through this provider. */
  signer(privateKey: string | Wallet): FailoverSigner {
    return new FailoverSigner(privateKey, this);
  }

  /** Sends one JSON-RPC request to one specific endpoint (no failover). */
  async requestAt(url: string, method: string, params: unknown[]): Promise<unknown> {
    return this.#pool.request(url, method, params);
  }

  override async _send(
    payload: JsonRpcPayload | JsonRpcPayload[],
  ): Promise<(JsonRpcResult | JsonRpcError)[]> {
    const failures: string[] = [];
    for (const endpoint of this.#pool.order()) {
      try {
        const result = await this.#pool.post(endpoint.url, payload);
        this.#pool.markUp(endpoint);
        return result;
      } catch (error) {
        if (!(error instanceof EndpointDownError)) throw error;
        this.#pool.markDown(endpoint, error.message);
        failures.push(`${redact(endpoint.url)}: ${error.message}`);
      }
    }
    throw this.#pool.allDown(failures);
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

  /**
   * Log queries over a block range go in pieces (see ./logs.ts): those of `getLogs` and raw
   * `send("eth_getLogs", ...)` alike.
   */
  override async send(
    method: string,
    params: unknown[] | Record<string, unknown>,
  ): Promise<unknown> {
    const filter = Array.isArray(params) ? (params[0] as RangeFilter | undefined) : undefined;
    if (
      method === "eth_getLogs" &&
      filter != null &&
      !("blockHash" in filter && filter.blockHash != null)
    ) {
      const logs = await getLogsInPieces(
        this.#pool,
        filter,
        await this.getBlockNumber(),
        this.#options,
      );
      if (logs !== undefined) return logs;
    }
    return super.send(method, params);
  }

  /** What happened to a signed transaction (see `resolveTransaction` in ./broadcast.ts). */
  async resolveTransaction(
    record: Pick<SendRecord, "hash" | "from" | "nonce">,
  ): Promise<TransactionStatus | "free" | "replaced"> {
    return resolveTransaction(this.#pool, record);
  }

  /** Broadcasts a signed transaction with failover (see `broadcast` in ./broadcast.ts). */
  async broadcast(record: SendRecord): Promise<SendRecord> {
    // Another client took the nonce: resynchronise this sender's nonces from the chain.
    const sent = await broadcast(
      this.#pool,
      record,
      (r) => this.nonces.resync(r.from),
      this.#options.broadcast !== "first",
    );
    if (sent.status === "sent") this.#inFlight.set(sent.hash, sent);
    else this.#inFlight.delete(sent.hash);
    return sent;
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
}

/**
 * Signs locally and sends raw through a {@link FailoverProvider}. Works as an ordinary ethers
 * signer (`contract.connect(signer).method(...)`); transactions are legacy (type 0) at the
 * provider's gas price (at most the caller's `maxFeePerGas`), with locally managed nonces.
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

  /** Populates, signs and broadcasts `tx`; returns what is known about it. */
  async send(tx: TransactionRequest): Promise<SendRecord> {
    const provider = this.provider;
    const request = await this.#populateWithoutNonce(tx);
    return provider.nonces.withSender(this.address, async (state) => {
      for (let attempt = 0; ; attempt++) {
        const nonce = await provider.nonces.next(state, () =>
          provider.getTransactionCount(this.address, "pending"),
        );
        const raw = await this.#wallet.signTransaction({ ...request, nonce });
        const record: SendRecord = {
          from: this.address,
          nonce,
          hash: Transaction.from(raw).hash as string,
          raw,
          status: "unknown",
        };
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
    let gasPrice =
      tx.gasPrice ??
      (provider.gasPrice === "auto"
        ? BigInt((await provider.send("eth_gasPrice", [])) as string)
        : provider.gasPrice);
    // A caller that bounds the fee (`maxFeePerGas`, e.g. what it paid into a one-time address)
    // gets a legacy transaction that never pays more per gas than that bound.
    if (
      tx.gasPrice == null &&
      tx.maxFeePerGas != null &&
      BigInt(tx.maxFeePerGas) < BigInt(gasPrice)
    )
      gasPrice = BigInt(tx.maxFeePerGas);
    const base = {
      to: to ?? undefined,
      data: tx.data ?? "0x",
      value: tx.value ?? 0n,
      from: this.address,
      gasPrice,
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
