/**
 * Chain benchmarks against anvil started like a private chain (london, chain id 1337, gas price
 * 0): ticket lifecycles per second through the library, raw throughput of the same node, and
 * inbox query time against the number of tickets on chain. Used by `scripts/bench.ts`.
 */
import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";

import {
  JsonRpcProvider,
  Transaction,
  Wallet,
  getBytes,
  hexlify,
  keccak256,
  randomBytes,
  toUtf8Bytes,
  type Interface,
} from "ethers";

import { RegistryClient, encodePartyName } from "../lib/chain/registry.js";
import { ticketsOf, type FoundTicket } from "../lib/chain/committed-set.js";
import { keysFromSeed, type EncryptionKeyPair } from "../lib/app/keys.js";
import { createTicketArgs } from "../lib/app/sealing.js";
import { StealthScanner, deriveStealthRoute, stealthPrivateKey } from "../lib/crypto/stealth.js";

import { SqliteEnvelopeStore } from "../lib/store/sqlite.js";
import { readTradeFile } from "../lib/ticket/file.js";
import { sealTicket, storeSealed } from "../lib/ticket/seal.js";
import type { Trade } from "../lib/ticket/schema.js";
import { DEV_ACCOUNTS, startAnvil, type AnvilNode } from "../lib/testing/anvil.js";

/**
 * The tickets of one party, as its index finds them (`lib/app/inbox.ts`): its creates through the
 * indexed originator topic, and the announcements its viewing key finds (StealthScanner), each
 * with the version events seen, merged into `index` (what the party keeps between syncs).
 */
async function syncIndex(
  registry: RegistryClient,
  party: { address: string; keys: readonly EncryptionKeyPair[] },
  index: Map<string, FoundTicket>,
  from: number,
  to: number,
): Promise<FoundTicket[]> {
  const found: FoundTicket[] = [];
  for (let start = from; start <= to; start += SYNC_PAGE_BLOCKS) {
    const page = await ticketsOf(
      registry,
      party,
      start,
      Math.min(to, start + SYNC_PAGE_BLOCKS - 1),
    );
    for (const t of page) {
      const held = index.get(t.key);
      if (held === undefined) index.set(t.key, t);
      else held.versions = { ...held.versions, ...t.versions };
    }
    found.push(...page);
  }
  return found;
}

/**
 * Blocks per log query of a sync here: with 1,000 tickets a block, 10,000 announcements (about
 * 13 MB of JSON) per response; the whole chain in one response is more than the node sends.
 */
const SYNC_PAGE_BLOCKS = 10;

/** The on-chain state of every indexed ticket, all requests at once (what listTickets does). */
const readTickets = (registry: RegistryClient, index: Map<string, FoundTicket>) =>
  Promise.all(
    [...index.values()].map((t) =>
      registry.ticket(t.key, { versions: t.versions, fromBlock: t.block }),
    ),
  );

export const CHAIN_ID = 1337;
export const HARDFORK = "london";

// ------------------------------------------------------------------------------ JSON-RPC client

/**
 * A JSON-RPC client that sends every request issued in the same tick as one batch, and waits for
 * receipts with one batched poll for all pending transactions.
 */
export class BatchRpc {
  private queue: {
    method: string;
    params: unknown[];
    resolve: (v: unknown) => void;
    reject: (e: Error) => void;
  }[] = [];
  private scheduled = false;
  private waiting = new Map<string, { resolve: (r: Receipt) => void }>();
  private fresh = new Set<string>();
  private seenBlock = -1;
  private polling = false;
  /** Pause between receipt polls, ms (longer with a block period). */
  pollMs = 3;
  requests = 0;
  batches = 0;

  constructor(
    readonly url: string,
    private readonly maxBatch = 500,
  ) {}

  call<T>(method: string, params: unknown[] = []): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ method, params, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.requests += batch.length;
      this.batches++;
      const send = fetch(this.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(
          batch.map((r, id) => ({ jsonrpc: "2.0", id, method: r.method, params: r.params })),
        ),
      }).then(
        (res) =>
          res.json() as Promise<{ id: number; result?: unknown; error?: { message: string } }[]>,
      );
      void send.then(
        (answers) => {
          for (const a of answers) {
            const r = batch[a.id];
            if (a.error !== undefined) r.reject(new Error(`${r.method}: ${a.error.message}`));
            else r.resolve(a.result);
          }
        },
        (error: unknown) => batch.forEach((r) => r.reject(error as Error)),
      );
    }
  }

  /** Sends a signed transaction; resolves with its receipt once mined. */
  async sendAndWait(raw: string): Promise<Receipt> {
    const hash = await this.call<string>("eth_sendRawTransaction", [raw]);
    return this.receipt(hash);
  }

  receipt(hash: string): Promise<Receipt> {
    return new Promise<Receipt>((resolve) => {
      this.waiting.set(hash, { resolve });
      this.fresh.add(hash);
      if (!this.polling) {
        this.polling = true;
        setTimeout(() => void this.poll(), 2);
      }
    });
  }

  /**
   * Waits for receipts: each round asks for the block number, and asks for receipts only of the
   * hashes not asked about yet, or of every waiting hash once a new block is there. With a block
   * period, waiting costs one small request per round, not one per transaction in flight.
   */
  private async poll(): Promise<void> {
    while (this.waiting.size > 0) {
      const head = Number(await this.call<string>("eth_blockNumber"));
      const hashes = head > this.seenBlock ? [...this.waiting.keys()] : [...this.fresh];
      this.seenBlock = Math.max(this.seenBlock, head);
      this.fresh.clear();
      const receipts = await Promise.all(
        hashes.map((h) => this.call<Receipt | null>("eth_getTransactionReceipt", [h])),
      );
      receipts.forEach((r, i) => {
        if (r !== null) {
          this.waiting.get(hashes[i])?.resolve(r);
          this.waiting.delete(hashes[i]);
        }
      });
      if (this.waiting.size > 0) await new Promise((resolve) => setTimeout(resolve, this.pollMs));
    }
    this.polling = false;
  }

  /** Resolves once a block above the current one is mined (a block boundary). */
  async nextBlock(): Promise<number> {
    const start = Number(await this.call<string>("eth_blockNumber"));
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      const now = Number(await this.call<string>("eth_blockNumber"));
      if (now > start) return now;
    }
  }
}

export interface Receipt {
  status: string;
  blockNumber: string;
  gasUsed: string;
}

// ------------------------------------------------------------------------------ accounts

/** A locally signing account with an explicit nonce counter. */
export class Signer {
  readonly wallet: Wallet;
  nonce = 0;
  constructor(privateKey: string) {
    this.wallet = new Wallet(privateKey);
  }
  get address(): string {
    return this.wallet.address;
  }
  /** A signed legacy transaction at gas price 0 with the next nonce. */
  sign(to: string, data: string, gasLimit: number): string {
    const tx = Transaction.from({
      type: 0,
      chainId: CHAIN_ID,
      nonce: this.nonce++,
      gasPrice: 0,
      gasLimit,
      to,
      data,
      value: 0,
    });
    tx.signature = this.wallet.signingKey.sign(tx.unsignedHash);
    return tx.serialized;
  }
}

const seed = (label: string) => getBytes(keccak256(toUtf8Bytes(`bench/${label}`)));

export interface Deployed {
  node: AnvilNode;
  /** Seconds between blocks; undefined for one block per transaction (automine). */
  blockTime?: number;
  rpc: BatchRpc;
  registry: RegistryClient;
  iface: Interface;
  admin: Signer;
  parties: { name: string; signer: Signer; key: EncryptionKeyPair }[];
}

/** Starts anvil like a private chain, deploys the registry and admits `names` with keys. */
export async function deploy(
  names: string[],
  extraArgs: string[] = [],
  blockTime?: number,
): Promise<Deployed> {
  const node = await startAnvil({ chainId: CHAIN_ID, hardfork: HARDFORK, extraArgs, blockTime });
  try {
    const rpc = new BatchRpc(node.url);
    if (blockTime !== undefined) rpc.pollMs = 20;
    const artifact = JSON.parse(
      await readFile(
        join("artifacts", "contracts", "SettlementRegistry.sol", "SettlementRegistry.json"),
        "utf8",
      ),
    ) as { abi: unknown[]; bytecode: string };
    const admin = new Signer(DEV_ACCOUNTS[0].privateKey);
    const provider = new JsonRpcProvider(node.url, CHAIN_ID, {
      staticNetwork: true,
      cacheTimeout: -1,
      batchMaxCount: 1,
    });
    const probe = new RegistryClient("0x" + "00".repeat(20), provider);
    const iface = probe.contract.interface as unknown as Interface;
    const deployData = artifact.bytecode + iface.encodeDeploy([admin.address]).slice(2);
    const tx = Transaction.from({
      type: 0,
      chainId: CHAIN_ID,
      nonce: admin.nonce++,
      gasPrice: 0,
      gasLimit: 8_000_000,
      data: deployData,
    });
    tx.signature = admin.wallet.signingKey.sign(tx.unsignedHash);
    const created = await rpc.sendAndWait(tx.serialized);
    const contractAddress = (
      await rpc.call<{ contractAddress: string }>("eth_getTransactionReceipt", [tx.hash])
    ).contractAddress;
    if (created.status !== "0x1") throw new Error("registry deployment failed");
    const registry = new RegistryClient(contractAddress, provider);
    const parties = names.map((name, i) => ({
      name,
      signer: new Signer(DEV_ACCOUNTS[i + 1].privateKey),
      key: keysFromSeed(seed(name), 1),
    }));
    const setup: Promise<Receipt>[] = [];
    for (const p of parties) {
      setup.push(
        rpc.sendAndWait(
          admin.sign(
            contractAddress,
            iface.encodeFunctionData("admitParty", [p.signer.address, encodePartyName(p.name)]),
            300_000,
          ),
        ),
      );
    }
    await Promise.all(setup);
    const keys = await Promise.all(
      parties.map((p) =>
        rpc.sendAndWait(
          p.signer.sign(
            contractAddress,
            iface.encodeFunctionData("registerKeys", [p.key.publicKey, p.key.spendingPublicKey]),
            200_000,
          ),
        ),
      ),
    );
    if ([...keys].some((r) => r.status !== "0x1")) throw new Error("party setup failed");
    return { node, blockTime, rpc, registry, iface, admin, parties };
  } catch (error) {
    await node.stop();
    throw error;
  }
}

// ------------------------------------------------------------------------------ CPU time

/** CPU time (user + system, ms) of process `pid` so far, from /proc (0 where there is none). */
export function processCpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}
const CLOCK_TICKS = 100;

/** CPU time of this process (all its threads, the libuv pool included) and of the node, ms. */
export function cpuNow(d: Deployed): { client: number; node: number } {
  const u = process.cpuUsage();
  return { client: (u.user + u.system) / 1000, node: processCpuMs(d.node.pid) };
}

// ------------------------------------------------------------------------------ lifecycles

export interface LifecycleResult {
  tickets: number;
  transactions: number;
  concurrency: number;
  seconds: number;
  ticketsPerSecond: number;
  txPerSecond: number;
  /** Time spent in sealTicket, storeSealed and signing, summed over all tickets (ms). */
  clientMs: { seal: number; store: number; sign: number };
  /** CPU time of the client process per ticket, and of the node per transaction (ms). */
  clientCpuMsPerTicket: number;
  nodeCpuMsPerTx: number;
}

/**
 * `count` tickets through their whole life: seal for a 3-party route, store the nine envelopes,
 * create, then three approvals, each transaction signed locally with an explicit nonce and sent
 * raw. `concurrency` tickets are in flight at once.
 */
export async function lifecycles(
  d: Deployed,
  trade: Trade,
  storeRoot: string,
  count: number,
  concurrency: number,
): Promise<LifecycleResult> {
  const [am, ...route] = d.parties;
  const store = SqliteEnvelopeStore.open(storeRoot);
  const to = d.registry.address;
  const clientMs = { seal: 0, store: 0, sign: 0 };
  let next = 0;
  let failed = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      let t0 = performance.now();
      const stealth = deriveStealthRoute(
        route.map((p) => ({ viewingKey: p.key.publicKey, spendingKey: p.key.spendingPublicKey })),
      );
      const sealed = sealTicket({
        trade,
        originator: { address: am.signer.address, keyPair: am.key },
        route: route.map((p) => ({
          address: p.signer.address,
          publicKey: p.key.publicKey,
          keyVersion: 1,
        })),
        slots: route.map((p, i) => ({
          party: p.signer.address,
          name: p.name,
          keyVersion: 1,
          address: stealth.route[i],
        })),
      });
      clientMs.seal += performance.now() - t0;
      t0 = performance.now();
      await storeSealed(store, sealed);
      clientMs.store += performance.now() - t0;
      t0 = performance.now();
      const create = am.signer.sign(
        to,
        d.iface.encodeFunctionData("createTicket", createTicketArgs(sealed, stealth)),
        300_000,
      );
      clientMs.sign += performance.now() - t0;
      if ((await d.rpc.sendAndWait(create)).status !== "0x1") failed++;
      for (const p of route) {
        t0 = performance.now();
        // Each party finds its slot and signs from its one-time address (nonce 0).
        const [match] = new StealthScanner([
          {
            version: 1,
            viewingPrivateKey: p.key.privateKey,
            spendingPublicKey: p.key.spendingPublicKey,
          },
        ]).scan([stealth]);
        const oneTime = new Signer(stealthPrivateKey(p.key.spendingPrivateKey, match!));
        const approve = oneTime.sign(
          to,
          d.iface.encodeFunctionData("approve", [sealed.ticketKey, 1, stealth.route]),
          100_000,
        );
        clientMs.sign += performance.now() - t0;
        if ((await d.rpc.sendAndWait(approve)).status !== "0x1") failed++;
      }
    }
  };
  if (d.blockTime !== undefined) await d.rpc.nextBlock();
  const cpu0 = cpuNow(d);
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - start) / 1000;
  const cpu1 = cpuNow(d);
  if (failed > 0) throw new Error(`${failed} lifecycle transactions reverted`);
  return {
    tickets: count,
    transactions: 4 * count,
    concurrency,
    seconds,
    ticketsPerSecond: count / seconds,
    txPerSecond: (4 * count) / seconds,
    clientMs,
    clientCpuMsPerTicket: (cpu1.client - cpu0.client) / count,
    nodeCpuMsPerTx: (cpu1.node - cpu0.node) / (4 * count),
  };
}

/**
 * Raw throughput: `count` plain transactions (zero-value transfers from four accounts), signed
 * beforehand, sent in batches of `batch`, timed from the first send to the last receipt.
 */
export async function rawThroughput(d: Deployed, count: number, batch = 200): Promise<RawResult> {
  const senders = [5, 6, 7, 8].map((i) => new Signer(DEV_ACCOUNTS[i].privateKey));
  for (const s of senders)
    s.nonce = Number(await d.rpc.call<string>("eth_getTransactionCount", [s.address, "pending"]));
  const raws = Array.from({ length: count }, (_, i) => {
    const s = senders[i % senders.length];
    return s.sign(s.address, "0x", 21_000);
  });
  // With a block period, start at a block boundary, like the lifecycles.
  if (d.blockTime !== undefined) await d.rpc.nextBlock();
  const cpu0 = cpuNow(d);
  const start = performance.now();
  const hashes: Promise<string>[] = [];
  for (let i = 0; i < raws.length; i += batch) {
    const chunk = raws
      .slice(i, i + batch)
      .map((r) => d.rpc.call<string>("eth_sendRawTransaction", [r]));
    hashes.push(...chunk);
    await Promise.all(chunk);
  }
  const all = await Promise.all(hashes);
  // Each sender's nonces are consecutive: its last transaction mined means all of them are.
  await Promise.all(all.slice(-senders.length).map((h) => d.rpc.receipt(h)));
  const seconds = (performance.now() - start) / 1000;
  const cpu1 = cpuNow(d);
  return {
    transactions: count,
    seconds,
    txPerSecond: count / seconds,
    nodeCpuMsPerTx: (cpu1.node - cpu0.node) / count,
  };
}

export interface RawResult {
  transactions: number;
  seconds: number;
  txPerSecond: number;
  /** CPU time of the node per transaction (ms). */
  nodeCpuMsPerTx: number;
}

// ------------------------------------------------------------------------------ inbox

export interface InboxPoint {
  ticketsOnChain: number;
  blocks: number;
  mine: number;
  /** Cold sync (first sync, from block 0): the log queries and scan of `ticketsOf`, ms. */
  coldNotificationsMs: number;
  /** Warm sync (from the party's cursor: the last block only), the same, ms. */
  warmNotificationsMs: number;
  /**
   * `RegistryClient.ticket` for each ticket of the party's index, all at once (as `listTickets`
   * does), with the version events the index holds: one `getTicket` each, no log search. ms.
   */
  getTicketsParallelMs: number;
  /** The same calls one after another, ms. */
  getTicketsSequentialMs: number;
  /** `RegistryClient.ticket(key)` without the index's events (a whole-chain log search each), all at once, ms (one run). */
  getTicketsUnindexedMs: number;
  /** cold = cold sync + reading each ticket found; warm = warm sync + reading each indexed one. */
  coldMs: number;
  warmMs: number;
}

/**
 * Fills the chain with tickets (dummy commitments, `perBlock` per block, each with a 3-party
 * one-time route among 8 parties) and times one party's inbox sync at each size in `sizes`. The
 * party (the last route party, "csd") is on `mine` tickets, all created among the first; every
 * later ticket routes among the other parties only. Every block holds `perBlock` tickets, so a
 * warm sync (the newest block) scans as many announcements at every size.
 */
export async function inboxScaling(
  sizes: number[],
  mine: number,
  repeats: number,
  log: (line: string) => void,
  perBlock = 1_000,
): Promise<{ points: InboxPoint[]; populateSeconds: number }> {
  // Parties: the originator, the measured party and seven others to route the rest through.
  const names = ["originator", "csd", ...Array.from({ length: 7 }, (_, i) => `filler-${i}`)];
  const d = await deploy(names, ["--gas-limit", "2000000000"]);
  try {
    const [originator, csd, ...fillers] = d.parties;
    const to = d.registry.address;
    await d.rpc.call("evm_setAutomine", [false]);
    let created = 0;
    let blocks = 0;
    let populateSeconds = 0;
    const points: InboxPoint[] = [];
    for (const size of sizes) {
      const t0 = performance.now();
      while (created < size) {
        const n = Math.min(perBlock, size - created);
        const sends: Promise<string>[] = [];
        for (let i = 0; i < n; i++) {
          const index = created + i;
          const parties = [
            fillers[index % 7],
            fillers[(index + 1) % 7],
            index < mine ? csd : fillers[(index + 2) % 7],
          ];
          const route = deriveStealthRoute(
            parties.map((p) => ({
              viewingKey: p.key.publicKey,
              spendingKey: p.key.spendingPublicKey,
            })),
          );
          // Signed by anvil (its dev accounts are unlocked): filling is not what is measured.
          sends.push(
            d.rpc.call<string>("eth_sendTransaction", [
              {
                from: originator.signer.address,
                to,
                gas: "0x493e0",
                gasPrice: "0x0",
                nonce: `0x${(originator.signer.nonce++).toString(16)}`,
                data: d.iface.encodeFunctionData("createTicket", [
                  keccak256(toUtf8Bytes(`bench/ticket/${index}`)),
                  hexlify(randomBytes(32)),
                  hexlify(randomBytes(32)),
                  route.route,
                  route.ephemeralKey,
                  route.viewTags,
                ]),
              },
            ]),
          );
        }
        const hashes = await Promise.all(sends);
        await d.rpc.call("evm_mine", []);
        blocks++;
        const last = await d.rpc.receipt(hashes[hashes.length - 1]);
        if (last.status !== "0x1") throw new Error("filling the chain failed");
        created += n;
      }
      populateSeconds += (performance.now() - t0) / 1000;
      const head = Number(await d.rpc.call<string>("eth_blockNumber"));
      const cold: number[] = [];
      const warm: number[] = [];
      const par: number[] = [];
      const seq: number[] = [];
      let unindexed = 0;
      const totals = { cold: [] as number[], warm: [] as number[] };
      for (let r = 0; r < repeats; r++) {
        // Cold: the first sync of a party, from block 0, then every ticket found.
        const me = { address: csd.signer.address, keys: [csd.key] };
        const index = new Map<string, FoundTicket>();
        let t = performance.now();
        const found = await syncIndex(d.registry, me, index, 0, head);
        cold.push(performance.now() - t);
        if (found.length !== mine)
          throw new Error(`inbox found ${found.length} tickets, not ${mine}`);
        await readTickets(d.registry, index);
        totals.cold.push(performance.now() - t);
        // Warm: every later sync, from the party's cursor (here: only the newest block is new),
        // then every ticket of its index.
        t = performance.now();
        await syncIndex(d.registry, me, index, head, head);
        warm.push(performance.now() - t);
        const t2 = performance.now();
        await readTickets(d.registry, index);
        par.push(performance.now() - t2);
        totals.warm.push(performance.now() - t);
        if (r < 3) {
          t = performance.now();
          for (const n of index.values())
            await d.registry.ticket(n.key, { versions: n.versions, fromBlock: n.block });
          seq.push(performance.now() - t);
        }
        if (r === 0) {
          t = performance.now();
          await Promise.all([...index.keys()].map((key) => d.registry.ticket(key)));
          unindexed = performance.now() - t;
        }
      }
      const point: InboxPoint = {
        ticketsOnChain: size,
        blocks,
        mine,
        coldNotificationsMs: median(cold),
        warmNotificationsMs: median(warm),
        getTicketsParallelMs: median(par),
        getTicketsSequentialMs: median(seq),
        getTicketsUnindexedMs: unindexed,
        coldMs: median(totals.cold),
        warmMs: median(totals.warm),
      };
      points.push(point);
      log(
        `inbox: ${size} tickets on chain (${blocks} blocks): cold ${point.coldMs.toFixed(1)} ms (scan ${point.coldNotificationsMs.toFixed(1)}), warm ${point.warmMs.toFixed(1)} ms (scan ${point.warmNotificationsMs.toFixed(1)}), ${mine}× ticket ${point.getTicketsParallelMs.toFixed(1)} ms at once, ${point.getTicketsSequentialMs.toFixed(1)} ms one by one, ${point.getTicketsUnindexedMs.toFixed(1)} ms without the index`,
      );
    }
    return { points, populateSeconds };
  } finally {
    await d.node.stop();
  }
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** A temporary store folder, removed by the returned function. */
export async function tempFolder(): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), "sr-bench-"));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export async function dvpTrade(): Promise<Trade> {
  return readTradeFile("examples/dvp-japanese-equity-buy.json");
}
