/**
 * A separate node process for integration tests: anvil from the npm registry, configured like a
 * free-gas private chain, plus a killable JSON-RPC proxy that stands in for a second consortium
 * node. Every process started here is stopped by its PID, also when the test process exits.
 */
import { randomBytes } from "node:crypto";
import { spawn, type ChildProcess } from "node:child_process";
import { rm } from "node:fs/promises";
import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import { createRequire } from "node:module";
import type { Socket } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

import hre, { network } from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";

import { deployRegistry } from "../chain/deployment.js";
import { parseHardfork } from "../chain/evm.js";
import { stopByPid } from "./process.js";

const require = createRequire(import.meta.url);

/** The repository's Besu-style genesis: dev account 0 funded, dev accounts 1–5 at balance 0. */
export const BESU_GENESIS = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../chains/besu-genesis.json",
);

/**
 * anvil's well-known development accounts (mnemonic "test test ... junk"). Public test keys:
 * never fund them on a real chain.
 */
export const DEV_ACCOUNTS: readonly { address: string; privateKey: string }[] = [
  [
    "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  ],
  [
    "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  ],
  [
    "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
  ],
  [
    "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
  ],
  [
    "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
  ],
  [
    "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc",
    "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
  ],
  [
    "0x976EA74026E726554dB657fA54763abd0C3a0aa9",
    "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
  ],
  [
    "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955",
    "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
  ],
  [
    "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f",
    "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
  ],
  [
    "0xa0Ee7A142d267c1f36714E4a8F75612F20a79720",
    "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
  ],
].map(([address, privateKey]) => ({ address, privateKey }));

export interface AnvilOptions {
  /** Chain id (default 1337). Ignored by anvil when the genesis file sets one. */
  readonly chainId?: number;
  /** EVM hardfork (default `london`). */
  readonly hardfork?: string;
  /** Seconds between blocks, like a QBFT block period (default: a block per transaction). */
  readonly blockTime?: number;
  /** Do not mine at all until `evm_mine` (transactions stay pending). */
  readonly noMining?: boolean;
  /** A Besu-style genesis file; `true` for chains/besu-genesis.json. */
  readonly genesis?: string | boolean;
  /** Further anvil arguments. */
  readonly extraArgs?: readonly string[];
  /** How long to wait for the node to answer, in ms (default 20 000). */
  readonly readyTimeoutMs?: number;
}

export interface AnvilNode {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** The PID of the anvil process itself. */
  readonly pid: number;
  readonly chainId: number;
  readonly hardfork: string;
  /** Everything anvil printed so far (for failure messages). */
  output(): string;
  /** Whether the process is still running. */
  running(): boolean;
  /** Kills the process by PID (SIGTERM, then SIGKILL) and waits for it to exit. Idempotent. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
let guardInstalled = false;

/** Kills every still-running child synchronously when the test process ends, however it ends. */
function installExitGuard(): void {
  if (guardInstalled) return;
  guardInstalled = true;
  const killAll = () => {
    for (const child of running) {
      if (child.pid !== undefined && child.exitCode === null) {
        try {
          process.kill(child.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
    running.clear();
  };
  process.on("exit", killAll);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      killAll();
      process.kill(process.pid, signal);
    });
  }
}

/** The anvil binary of this platform, from the `@foundry-rs/anvil-<os>-<arch>` package. */
export function anvilBinaryPath(): string {
  const arch = process.arch === "x64" ? "amd64" : process.arch;
  const pkg = `@foundry-rs/anvil-${process.platform}-${arch}`;
  let pkgJson: string;
  try {
    pkgJson = require.resolve(`${pkg}/package.json`);
  } catch (error) {
    throw new Error(
      `anvil is not installed for ${process.platform}/${process.arch} (${pkg}): run \`npm ci\``,
      { cause: error },
    );
  }
  return path.join(
    path.dirname(pkgJson),
    "bin",
    process.platform === "win32" ? "anvil.exe" : "anvil",
  );
}

/** Arguments that make anvil behave like a free-gas private chain. */
export function anvilArgs(options: AnvilOptions = {}): string[] {
  const args = [
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--chain-id",
    String(options.chainId ?? 1337),
    "--hardfork",
    options.hardfork ?? "london",
    "--gas-price",
    "0",
    "--base-fee",
    "0",
    "--disable-min-priority-fee",
  ];
  if (options.blockTime !== undefined) args.push("--block-time", String(options.blockTime));
  if (options.noMining === true) args.push("--no-mining");
  if (options.genesis !== undefined && options.genesis !== false) {
    args.push("--init", options.genesis === true ? BESU_GENESIS : options.genesis);
  }
  return [...args, ...(options.extraArgs ?? [])];
}

/**
 * Starts anvil on 127.0.0.1 on a port the OS picks, and resolves once it answers `eth_chainId`.
 * Rejects (after stopping it) if it exits or does not answer in time.
 */
export async function startAnvil(options: AnvilOptions = {}): Promise<AnvilNode> {
  installExitGuard();
  const child = spawn(anvilBinaryPath(), anvilArgs(options), { stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let output = "";
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => {
      running.delete(child);
      resolve();
    });
  });
  const stop = async () => {
    await stopByPid(child, exited, 3_000);
    running.delete(child);
  };

  try {
    const port = await new Promise<number>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const match = /Listening on [\d.]+:(\d+)/.exec(output);
        if (match !== null) resolve(Number(match[1]));
      };
      child.stdout?.on("data", onData);
      child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
      child.once("error", reject);
      child.once("exit", (code, signal) =>
        reject(new Error(`anvil exited (${code ?? signal}) before listening:\n${output.trim()}`)),
      );
      setTimeout(
        () => reject(new Error(`anvil did not start listening:\n${output.trim()}`)),
        options.readyTimeoutMs ?? 20_000,
      ).unref();
    });
    const url = `http://127.0.0.1:${port}`;
    const chainId = Number(await waitForRpc(url, options.readyTimeoutMs ?? 20_000));
    return {
      url,
      port,
      pid: child.pid as number,
      chainId,
      hardfork: options.hardfork ?? "london",
      output: () => output,
      running: () => child.exitCode === null && child.signalCode === null,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Polls `eth_chainId` until the node answers; returns the chain id (hex). */
export async function waitForRpc(url: string, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      return (await rpc(url, "eth_chainId", [])) as string;
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`no answer from ${url}`, { cause: lastError });
}

/** One raw JSON-RPC call (for tests that look at the node directly). */
export async function rpc(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await response.json()) as { result?: unknown; error?: { message: string } };
  if (body.error !== undefined) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

/** What the proxy does with a request whose method matches `dieOn`. */
export type DieMode =
  /** Die before forwarding: the node never sees the request. */
  | "before"
  /** Forward it, then die without answering: the node has it, the client cannot know. */
  | "after";

export interface RpcProxy {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** JSON-RPC methods forwarded so far, in order. */
  readonly methods: readonly string[];
  /** Arms the proxy to die on the next request for `method` (see {@link DieMode}). */
  dieOn(method: string, mode: DieMode): void;
  /** Resolves once the proxy has died (by {@link RpcProxy.kill} or `dieOn`). */
  readonly died: Promise<void>;
  /** Closes the port and drops every open connection at once, like a crashed node. Idempotent. */
  kill(): Promise<void>;
  readonly alive: boolean;
}

/**
 * An HTTP JSON-RPC proxy on 127.0.0.1 that forwards to `target` (e.g. an anvil node): a second
 * endpoint of the same chain, which a test can kill mid-scenario.
 */
export async function startRpcProxy(target: string): Promise<RpcProxy> {
  installExitGuard();
  const sockets = new Set<Socket>();
  const methods: string[] = [];
  let trap: { method: string; mode: DieMode } | undefined;
  let alive = true;
  let markDied: () => void = () => undefined;
  const died = new Promise<void>((resolve) => (markDied = resolve));

  const kill = async () => {
    if (!alive) return died;
    alive = false;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    server.closeAllConnections();
    await closed;
    markDied();
  };

  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      let method = "";
      try {
        const parsed = JSON.parse(body.toString()) as { method?: string } | { method?: string }[];
        method = (Array.isArray(parsed) ? parsed[0]?.method : parsed.method) ?? "";
      } catch {
        // forwarded as is: the node answers with a parse error
      }
      const armed = trap !== undefined && trap.method === method ? trap : undefined;
      if (armed?.mode === "before") {
        trap = undefined;
        void kill();
        return;
      }
      methods.push(method);
      const upstream = httpRequest(
        target,
        { method: "POST", headers: { "content-type": "application/json" } },
        (up) => {
          const parts: Buffer[] = [];
          up.on("data", (c: Buffer) => parts.push(c));
          up.on("end", () => {
            if (armed !== undefined) {
              trap = undefined;
              void kill();
              return;
            }
            if (!alive) return;
            res.writeHead(up.statusCode ?? 502, { "content-type": "application/json" });
            res.end(Buffer.concat(parts));
          });
        },
      );
      upstream.on("error", () => {
        if (alive) {
          res.writeHead(502);
          res.end();
        }
      });
      upstream.end(body);
    });
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve(typeof address === "object" && address !== null ? address.port : 0);
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    methods,
    dieOn: (method, mode) => (trap = { method, mode }),
    died,
    kill,
    get alive() {
      return alive;
    },
  };
}

export interface ConnectOptions {
  /** The configured network to override (default `privnet`). */
  readonly network?: string;
  /** Private keys of the connection's accounts (default: anvil's dev account 0). */
  readonly accounts?: readonly string[];
  /** Gas price (default 0: legacy transactions at price 0). */
  readonly gasPrice?: number | "auto";
  /** Chain id to insist on (default: the node's). */
  readonly chainId?: number;
}

/**
 * A Hardhat network connection to a running node, created at runtime from a configured http
 * network with its url, chain id and accounts overridden. Close it with `connection.close()`.
 */
export async function connectHardhat(
  node: { readonly url: string; readonly chainId: number },
  options: ConnectOptions = {},
): Promise<NetworkConnection> {
  return network.create({
    network: options.network ?? "privnet",
    override: {
      url: node.url,
      chainId: options.chainId ?? node.chainId,
      accounts: [...(options.accounts ?? [DEV_ACCOUNTS[0].privateKey])],
      gasPrice: options.gasPrice ?? 0,
    },
  });
}

export interface PrivateChain {
  readonly node: AnvilNode;
  /** A Hardhat connection to the node (accounts: dev account 0, the admin). */
  readonly connection: NetworkConnection;
  /** The deployed registry's address. */
  readonly registry: string;
  /** Ignition deployment id under ignition/deployments (unique per run, removed by `stop`). */
  readonly deploymentId: string;
  /** Closes the connection, stops the node by PID and removes the deployment record. */
  stop(): Promise<void>;
}

/**
 * Starts anvil like a private chain (default: chains/besu-genesis.json, london, gas price 0) and
 * deploys the registry with Ignition over JSON-RPC, the way `deployRegistry` does for a real
 * network. The deployment is recorded under a unique id, so parallel or repeated runs never
 * collide with `chain-1337`.
 */
export async function startPrivateChain(options: AnvilOptions = {}): Promise<PrivateChain> {
  const node = await startAnvil({ genesis: true, ...options });
  let connection: NetworkConnection | undefined;
  const deploymentId = `test-${node.port}-${randomBytes(4).toString("hex")}`;
  const stop = async () => {
    await connection?.close().catch(() => undefined);
    await node.stop();
    await rm(path.join(hre.config.paths.ignition, "deployments", deploymentId), {
      recursive: true,
      force: true,
    });
  };
  try {
    connection = await connectHardhat(node);
    const deployed = await deployRegistry(hre, connection, {
      deploymentId,
      hardfork: parseHardfork(options.hardfork ?? "london"),
    });
    return { node, connection, registry: deployed.address, deploymentId, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
