/**
 * Real Geth nodes for integration tests, built from the Go module proxy by scripts/geth.mjs:
 *
 * - a private proof-of-authority network: 3 or 4 Clique sealing nodes of the last release that
 *   runs Clique (1.13.x), each with its own data folder, genesis generated here (chain id, a
 *   1-second period, the signers, zero base fee), peered to each other over 127.0.0.1;
 * - `geth --dev` of the current release (a single node, the EVM a new Geth chain runs today).
 *
 * Every port is picked free on 127.0.0.1; every process is started and stopped by its PID (a
 * node can be killed with SIGKILL and restarted on the same data folder and ports).
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { Interface, Wallet, id as topicOf, parseEther } from "ethers";
import hre from "hardhat";

import { deployRegistry } from "../chain/deployment.js";
import { REGISTRY_ABI } from "../chain/registry.js";
import { DEV_ACCOUNTS, connectHardhat, rpc } from "./anvil.js";
import { stopByPid } from "./process.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** The pinned releases (chains/geth-versions.json): `clique` (1.13.x) and `dev` (current). */
export const GETH_VERSIONS = JSON.parse(
  readFileSync(path.join(ROOT, "chains", "geth-versions.json"), "utf8"),
) as { clique: string; dev: string };

/**
 * Why the Geth suites cannot run here, or undefined when they can. scripts/test.mjs builds Geth
 * first and passes the reason on in SR_GETH_SKIP; run alone, the suites look for the binaries.
 */
export function gethUnavailable(): string | undefined {
  if (process.env.SR_GETH_SKIP !== undefined && process.env.SR_GETH_SKIP !== "")
    return process.env.SR_GETH_SKIP;
  try {
    gethBinaries();
    return undefined;
  } catch (error) {
    if (process.env.CI === "true") throw error;
    return error instanceof Error ? error.message.split("\n")[0] : String(error);
  }
}

let binaries: { clique: string; dev: string } | undefined;

/** Paths of both binaries; builds them (scripts/geth.mjs) when they are not cached yet. */
export function gethBinaries(): { clique: string; dev: string } {
  if (binaries !== undefined) return binaries;
  const cache = path.resolve(process.env.SR_GETH_CACHE ?? path.join(ROOT, ".cache", "geth"));
  const cached = {
    clique: path.join(cache, GETH_VERSIONS.clique, "geth"),
    dev: path.join(cache, GETH_VERSIONS.dev, "geth"),
  };
  if (existsSync(cached.clique) && existsSync(cached.dev)) return (binaries = cached);
  try {
    const out = execFileSync(process.execPath, [path.join(ROOT, "scripts", "geth.mjs"), "--json"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    return (binaries = JSON.parse(out) as { clique: string; dev: string });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? "";
    const line =
      stderr
        .trim()
        .split("\n")
        .find((l) => l.startsWith("error:")) ?? String(error);
    throw new Error(`Geth is not available: ${line.replace(/^error: /, "")}`);
  }
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const running = new Set<ChildProcess>();
let guardInstalled = false;

/** Kills every node still running when the test process ends, however it ends. */
function installExitGuard(): void {
  if (guardInstalled) return;
  guardInstalled = true;
  process.on("exit", () => {
    for (const child of running) {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(child.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
  });
}

export interface GethNode {
  /** Position in the network (0-based); the signer's index for Clique nodes. */
  readonly index: number;
  /** `http://127.0.0.1:<port>` (the same across restarts). */
  readonly url: string;
  readonly dataDir: string;
  /** The sealing account (Clique) or the developer account (`--dev`). */
  readonly address: string;
  /** The PID of the current process (changes on restart). */
  pid(): number;
  /** The node's enode URL (Clique nodes, once started). */
  enode(): string;
  /** Everything the current process printed (for failure messages). */
  output(): string;
  running(): boolean;
  /** SIGKILL by PID, no shutdown: a crashed machine. Resolves once the process is gone. */
  kill9(): Promise<void>;
  /** Starts the node again on the same data folder and ports; resolves once it answers. */
  restart(): Promise<void>;
  /** SIGTERM by PID (SIGKILL after 5 s). Idempotent. */
  stop(): Promise<void>;
}

interface Launch {
  readonly binary: string;
  readonly args: readonly string[];
  readonly url: string;
  readonly label: string;
}

/** Starts one geth process and waits for its HTTP endpoint; returns its handle. */
async function launch(spec: Launch, timeoutMs = 30_000) {
  installExitGuard();
  const child = spawn(spec.binary, spec.args, { stdio: ["ignore", "ignore", "pipe"] });
  running.add(child);
  let output = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
  });
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => {
      running.delete(child);
      resolve();
    });
  });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${spec.label} exited before answering:\n${output.trim().slice(-3000)}`);
    }
    try {
      await rpc(spec.url, "eth_chainId");
      break;
    } catch {
      if (Date.now() > deadline) {
        await stopByPid(child, exited, 1_000);
        throw new Error(`${spec.label} did not answer on ${spec.url}:\n${output.slice(-3000)}`);
      }
      await sleep(100);
    }
  }
  return { child, exited, output: () => output };
}

/** JSON-RPC over HTTP on 127.0.0.1 only, no IPC, the engine API on a port of its own. */
function loopbackRpc(http: number, auth: number, apis: string): string[] {
  return [
    "--ipcdisable",
    "--http",
    "--http.addr",
    "127.0.0.1",
    "--http.port",
    String(http),
    "--http.api",
    apis,
    "--authrpc.addr",
    "127.0.0.1",
    "--authrpc.port",
    String(auth),
  ];
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a value other than undefined/false, or throws after `ms`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  ms = 30_000,
  every = 100,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`, { cause: last });
    }
    await sleep(every);
  }
}

export async function blockNumber(url: string): Promise<number> {
  return Number(await rpc(url, "eth_blockNumber"));
}

/** The one-time route addresses of each ticket created on `registry`, in creation order. */
export async function createdRoutes(url: string, registry: string): Promise<string[][]> {
  const created = topicOf(
    "TicketCreated(bytes32,address,bytes32,bytes32,address[],bytes32,bytes8)",
  );
  const logs = (await rpc(url, "eth_getLogs", [
    { address: registry, topics: [created], fromBlock: "0x0" },
  ])) as { topics: string[]; data: string }[];
  const abi = new Interface(REGISTRY_ABI);
  return logs.map((log) => [...(abi.parseLog(log)!.args.route as string[])]);
}

// ------------------------------------------------------------------------------------ Clique

export interface CliqueOptions {
  /** Number of sealing nodes (default 4). */
  readonly signers?: number;
  /** Chain id (default 1337, what the privnet network expects). */
  readonly chainId?: number;
  /** Seconds between blocks (default 1). */
  readonly period?: number;
  /** Balances at genesis (default: dev account 0 funded, accounts 1–9 at 0, like Besu's). */
  readonly alloc?: Readonly<Record<string, bigint>>;
}

export interface CliqueNetwork {
  readonly nodes: readonly GethNode[];
  /** Every node's URL, in order. */
  readonly urls: readonly string[];
  readonly chainId: number;
  readonly period: number;
  /** The generated genesis (as written to disk). */
  readonly genesis: Record<string, unknown>;
  /** Stops every node by PID and removes the data folders. */
  stop(): Promise<void>;
}

/**
 * The Clique genesis: every pre-merge fork at block 0 up to London (Clique cannot go further:
 * Shanghai needs the merge), base fee 0 so that it stays 0 (blocks stay under half the gas
 * limit), the signers in `extraData` (32 vanity bytes, the addresses, 65 bytes of seal).
 */
export function cliqueGenesis(
  signers: readonly string[],
  options: { chainId: number; period: number; alloc: Readonly<Record<string, bigint>> },
): Record<string, unknown> {
  const extraData =
    "0x" +
    "00".repeat(32) +
    signers.map((a) => a.slice(2).toLowerCase()).join("") +
    "00".repeat(65);
  const forks = [
    "homesteadBlock",
    "eip150Block",
    "eip155Block",
    "eip158Block",
    "byzantiumBlock",
    "constantinopleBlock",
    "petersburgBlock",
    "istanbulBlock",
    "muirGlacierBlock",
    "berlinBlock",
    "londonBlock",
    "arrowGlacierBlock",
    "grayGlacierBlock",
  ];
  return {
    config: {
      chainId: options.chainId,
      ...Object.fromEntries(forks.map((f) => [f, 0])),
      clique: { period: options.period, epoch: 30000 },
    },
    nonce: "0x0",
    timestamp: "0x0",
    extraData,
    gasLimit: "0x1c9c380", // 30,000,000, what the miner aims at by default
    baseFeePerGas: "0x0",
    difficulty: "0x1",
    mixHash: "0x" + "00".repeat(32),
    coinbase: "0x" + "00".repeat(20),
    alloc: Object.fromEntries(
      Object.entries(options.alloc).map(([a, balance]) => [a, { balance: balance.toString() }]),
    ),
  };
}

/** Default genesis balances: like chains/besu-genesis.json (admin funded, parties at 0). */
function besuLikeAlloc(): Record<string, bigint> {
  return Object.fromEntries(
    DEV_ACCOUNTS.map((a, i) => [a.address, i === 0 ? parseEther("1000000") : 0n]),
  );
}

/**
 * Starts a Clique network of `signers` sealing nodes on 127.0.0.1, each peered with every other
 * (admin_addPeer), and resolves once every node has its peers and the chain is past block 2.
 */
export async function startCliqueNetwork(options: CliqueOptions = {}): Promise<CliqueNetwork> {
  const binary = gethBinaries().clique;
  const count = options.signers ?? 4;
  const chainId = options.chainId ?? 1337;
  const period = options.period ?? 1;
  const root = await mkdtemp(path.join(tmpdir(), "sr-clique-"));
  const keys = Array.from({ length: count }, () => Wallet.createRandom());
  // Sorted like Clique sorts its signer list, so node i is in turn at blocks ≡ i (mod count).
  keys.sort((a, b) => (a.address.toLowerCase() < b.address.toLowerCase() ? -1 : 1));
  const genesis = cliqueGenesis(
    keys.map((k) => k.address),
    { chainId, period, alloc: options.alloc ?? besuLikeAlloc() },
  );
  const genesisFile = path.join(root, "genesis.json");
  await writeFile(genesisFile, JSON.stringify(genesis, null, 2));
  const password = path.join(root, "password.txt");
  await writeFile(password, "clique\n");

  const nodes: GethNode[] = [];
  const stopAll = async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await rm(root, { recursive: true, force: true });
  };
  try {
    for (const [index, key] of keys.entries()) {
      const dataDir = path.join(root, `node${index}`);
      await mkdir(dataDir, { recursive: true });
      const keyFile = path.join(root, `key${index}.txt`);
      await writeFile(keyFile, key.privateKey.slice(2));
      execFileSync(binary, ["--datadir", dataDir, "init", genesisFile], { stdio: "pipe" });
      execFileSync(
        binary,
        ["account", "import", "--datadir", dataDir, "--lightkdf", "--password", password, keyFile],
        { stdio: "pipe" },
      );
      await rm(keyFile);
      const [http, p2p, auth] = [await freePort(), await freePort(), await freePort()];
      const url = `http://127.0.0.1:${http}`;
      const args = [
        "--datadir",
        dataDir,
        "--networkid",
        String(chainId),
        "--syncmode",
        "full",
        "--nodiscover",
        "--nat",
        "none",
        "--netrestrict",
        "127.0.0.0/8",
        "--port",
        String(p2p),
        ...loopbackRpc(http, auth, "eth,net,web3,admin,txpool,clique"),
        "--mine",
        "--miner.etherbase",
        key.address,
        "--unlock",
        key.address,
        "--password",
        password,
        "--allow-insecure-unlock",
        "--lightkdf",
        "--cache",
        "64",
        "--verbosity",
        "3",
      ];
      nodes.push(
        await gethNode(index, key.address, dataDir, {
          binary,
          args,
          url,
          label: `clique node ${index}`,
        }),
      );
    }
    await peerAll(nodes);
    await waitFor(
      "every node to produce and share blocks",
      async () => {
        const heads = await Promise.all(nodes.map((n) => blockNumber(n.url)));
        return Math.min(...heads) >= 2;
      },
      60_000,
    );
    return { nodes, urls: nodes.map((n) => n.url), chainId, period, genesis, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Connects every pair of nodes (both directions) and waits until each sees all the others. */
export async function peerAll(nodes: readonly GethNode[]): Promise<void> {
  for (const a of nodes) {
    for (const b of nodes) {
      if (a !== b && a.running() && b.running()) await rpc(a.url, "admin_addPeer", [b.enode()]);
    }
  }
  const live = nodes.filter((n) => n.running());
  await waitFor(
    "the nodes to peer",
    async () => {
      const counts = await Promise.all(
        live.map(async (n) => Number(await rpc(n.url, "net_peerCount"))),
      );
      return counts.every((c) => c >= live.length - 1);
    },
    30_000,
  );
}

async function gethNode(
  index: number,
  address: string,
  dataDir: string,
  spec: Launch,
): Promise<GethNode> {
  let current = await launch(spec);
  let enode = "";
  const readEnode = async () => {
    if (!spec.args.includes("--nodiscover")) return;
    const info = (await rpc(spec.url, "admin_nodeInfo")) as { enode: string };
    enode = info.enode.replace(/\?.*$/, "");
  };
  await readEnode();
  const isRunning = () => current.child.exitCode === null && current.child.signalCode === null;
  return {
    index,
    url: spec.url,
    dataDir,
    address,
    pid: () => current.child.pid as number,
    enode: () => enode,
    output: () => current.output(),
    running: isRunning,
    async kill9() {
      if (!isRunning()) return;
      process.kill(current.child.pid as number, "SIGKILL");
      await current.exited;
    },
    async restart() {
      if (isRunning()) throw new Error(`node ${index} is still running (PID ${current.child.pid})`);
      current = await launch(spec);
      await readEnode();
    },
    async stop() {
      await stopByPid(current.child, current.exited, 5_000);
    },
  };
}

// -------------------------------------------------------------------------------------- --dev

export interface DevNode extends GethNode {
  readonly chainId: number;
}

/**
 * `geth --dev` of the current release on 127.0.0.1, blocks on demand (`period` 0) or every
 * `period` seconds, with dev accounts 0–9 funded by the developer account: the current Geth
 * refuses transactions that pay no tip (see docs/private-chain.md), so every sender needs ether.
 */
export async function startGethDev(
  options: { period?: number; fund?: bigint } = {},
): Promise<DevNode> {
  const binary = gethBinaries().dev;
  const dataDir = await mkdtemp(path.join(tmpdir(), "sr-geth-dev-"));
  const [http, auth] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${http}`;
  const args = [
    "--dev",
    "--dev.period",
    String(options.period ?? 0),
    "--datadir",
    dataDir,
    ...loopbackRpc(http, auth, "eth,net,web3,txpool"),
    "--verbosity",
    "3",
  ];
  let node: GethNode | undefined;
  try {
    const [developer] = await (async () => {
      const started = await gethNode(0, "", dataDir, { binary, args, url, label: "geth --dev" });
      node = started;
      return (await rpc(url, "eth_accounts")) as string[];
    })();
    const fund = options.fund ?? parseEther("1000");
    const hashes: string[] = [];
    // Explicit nonces: with --dev.period 0 each transaction seals a block at once, and the
    // node's own nonce for the next eth_sendTransaction can lag behind ("replacement
    // transaction underpriced").
    const first = Number(await rpc(url, "eth_getTransactionCount", [developer, "pending"]));
    for (const [i, account] of DEV_ACCOUNTS.entries()) {
      const nonce = `0x${(first + i).toString(16)}`;
      const value = `0x${fund.toString(16)}`;
      hashes.push(
        (await rpc(url, "eth_sendTransaction", [
          { from: developer, to: account.address, value, nonce },
        ])) as string,
      );
    }
    await waitFor("the dev accounts to be funded", async () => {
      const receipts = await Promise.all(
        hashes.map((h) => rpc(url, "eth_getTransactionReceipt", [h])),
      );
      return receipts.every((r) => r !== null);
    });
    const chainId = Number(await rpc(url, "eth_chainId"));
    const base = node!;
    const stop = async () => {
      await base.stop();
      await rm(dataDir, { recursive: true, force: true });
    };
    return { ...base, address: developer, chainId, stop };
  } catch (error) {
    await node?.stop();
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}

// ------------------------------------------------------------------ a chain with the registry

/**
 * The `privnet` settings each kind of Geth chain needs (configuration variables): Clique has no
 * finality, so clients wait for two blocks on top; the current Geth refuses zero-price
 * transactions, so clients pay the node's gas price, each party pays its one-time address before
 * a decision (docs/private-chain.md, section 7), and it runs a cancun-or-later EVM.
 */
export const GETH_PRIVNET_ENV = {
  clique: { SR_PRIVNET_CONFIRMATIONS: "2" },
  dev: {
    SR_PRIVNET_GAS_PRICE: "auto",
    SR_PRIVNET_FUND_ONE_TIME: "1",
    SR_PRIVNET_HARDFORK: "cancun",
  },
} as const;

export type GethKind = keyof typeof GETH_PRIVNET_ENV;

export interface GethChain {
  readonly kind: GethKind;
  /** Every node's URL (one for `--dev`). */
  readonly urls: readonly string[];
  readonly chainId: number;
  /** The registry, deployed with Ignition through the first node. */
  readonly registry: string;
  readonly deploymentId: string;
  /** The `privnet` configuration variables for this chain, endpoints excluded. */
  readonly env: Readonly<Record<string, string>>;
  readonly clique?: CliqueNetwork;
  /** Stops the nodes by PID and removes the deployment record. */
  stop(): Promise<void>;
}

/** A Clique network of four sealing nodes or `geth --dev`, with the registry deployed. */
export async function startGethChain(kind: GethKind): Promise<GethChain> {
  const clique = kind === "clique" ? await startCliqueNetwork({ signers: 4 }) : undefined;
  const dev = kind === "dev" ? await startGethDev() : undefined;
  const urls = clique?.urls ?? [dev!.url];
  const chainId = clique?.chainId ?? dev!.chainId;
  const deploymentId = `test-geth-${kind}-${Date.now().toString(36)}`;
  let connection: Awaited<ReturnType<typeof connectHardhat>> | undefined;
  const stop = async () => {
    await connection?.close().catch(() => undefined);
    await (clique ?? dev)!.stop();
    await rm(path.join(hre.config.paths.ignition, "deployments", deploymentId), {
      recursive: true,
      force: true,
    });
  };
  try {
    connection = await connectHardhat(
      { url: urls[0], chainId },
      { gasPrice: kind === "dev" ? "auto" : 0 },
    );
    const deployed = await deployRegistry(hre, connection, {
      deploymentId,
      hardfork: kind === "dev" ? "cancun" : "london",
    });
    return {
      kind,
      urls,
      chainId,
      registry: deployed.address,
      deploymentId,
      env: GETH_PRIVNET_ENV[kind],
      clique,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
