/**
 * A consortium for the store tests: anvil configured like a private chain, the registry, and one
 * party per dev account, each with its own data folder (its own store, outbox and state), its own
 * App and, when started, its own store server on a free loopback port.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import hre from "hardhat";

import { actAs, createApp, type Actor, type App } from "../app/context.js";
import { admitParty, registerKey } from "../app/parties.js";
import { FailoverProvider } from "../chain/failover.js";
import { startStoreServer, type StoreServer } from "../store/server.js";
import { createTicketArgs, routeParties, stealthRouteFor } from "../app/sealing.js";
import { sealTicket, type SealedTicket } from "../ticket/seal.js";
import { readTradeFile } from "../ticket/file.js";
import { PUSH_FORMAT, type PushV2 } from "../store/read-protocol.js";
import { DEV_ACCOUNTS, startPrivateChain, type PrivateChain } from "./anvil.js";

export const NAMES = [
  "asset-manager",
  "custodian-bank",
  "securities-firm",
  "csd",
  "outsider",
] as const;
export type Name = (typeof NAMES)[number];
export const ROUTE = ["custodian-bank", "securities-firm", "csd"];

export interface Party {
  name: Name;
  privateKey: string;
  dataDir: string;
  app: App;
  actor: Actor;
  server?: StoreServer;
}

export interface Consortium {
  chain: PrivateChain;
  provider: FailoverProvider;
  parties: Record<Name, Party>;
  /** Starts (or restarts) a party's store server and publishes its URL on-chain. */
  serve(name: Name): Promise<StoreServer>;
  /** Stops a party's store server. */
  halt(name: Name): Promise<void>;
  publish(name: Name, url: string): Promise<void>;
  stop(): Promise<void>;
}

async function makeApp(
  provider: FailoverProvider,
  registry: string,
  dataDir: string,
  keys: Map<string, string>,
): Promise<App> {
  return createApp({
    provider,
    signers: async (address) => {
      const key = keys.get(address.toLowerCase());
      if (key === undefined) throw new Error(`no key for ${address}`);
      return provider.signer(key);
    },
    defaultSigner: async () => provider.signer(DEV_ACCOUNTS[0].privateKey),
    config: { registry, dataDir, networkName: "privnet", deliveryTimeoutMs: 2_000 },
  });
}

export async function startConsortium(): Promise<Consortium> {
  const chain = await startPrivateChain();
  const provider = await FailoverProvider.connect([chain.node.url], {
    networkName: "privnet",
    chainId: 1337,
    pollingInterval: 20,
  });
  const keys = new Map(DEV_ACCOUNTS.map((a) => [a.address.toLowerCase(), a.privateKey]));
  const admin = provider.signer(DEV_ACCOUNTS[0].privateKey);
  const parties = {} as Record<Name, Party>;
  for (const [i, name] of NAMES.entries()) {
    const account = DEV_ACCOUNTS[i + 1];
    const dataDir = await mkdtemp(join(tmpdir(), `sr-${name}-`));
    const app = await makeApp(provider, chain.registry, dataDir, keys);
    await admitParty(app, admin, account.address, name);
    const actor = await actAs(app, name);
    await registerKey(app, actor);
    parties[name] = { name, privateKey: account.privateKey, dataDir, app, actor };
  }
  for (const p of Object.values(parties)) p.app.registry.refreshParties();

  const publish = async (name: Name, url: string) => {
    const { actor, app } = parties[name];
    await actor.registry.send(() => actor.registry.contract.setStoreEndpoint(url));
    app.registry.refreshParties();
  };
  const serve = async (name: Name) => {
    const p = parties[name];
    p.server = await startStoreServer({
      root: join(p.dataDir, "store"),
      registry: p.app.registry,
      chainId: 1337n,
      owner: { address: p.actor.party.address, keys: p.actor.keys },
      refreshOwnerKeys: async () => p.actor.keys,
    });
    await publish(name, p.server.url);
    return p.server;
  };
  const halt = async (name: Name) => {
    await parties[name].server?.close();
    parties[name].server = undefined;
  };
  return {
    chain,
    provider,
    parties,
    serve,
    halt,
    publish,
    async stop() {
      for (const name of NAMES) await halt(name).catch(() => undefined);
      provider.destroy();
      await chain.stop();
      for (const p of Object.values(parties)) await rm(p.dataDir, { recursive: true, force: true });
    },
  };
}

/** Seals and registers a ticket without delivering it: the test holds the set and its proofs. */
export async function createRaw(c: Consortium, route = ROUTE): Promise<SealedTicket> {
  const am = c.parties["asset-manager"];
  const trade = await readTradeFile("examples/dvp-japanese-equity-buy.json");
  const parties = await Promise.all(route.map((n) => am.app.registry.resolveParty(n)));
  const { stealth, slots } = stealthRouteFor(parties);
  const sealed = sealTicket({
    trade,
    originator: { address: am.actor.party.address, keyPair: am.actor.keys.at(-1)! },
    route: routeParties(parties),
    slots,
  });
  await am.actor.registry.send(() =>
    am.actor.registry.contract.createTicket(...createTicketArgs(sealed, stealth)),
  );
  return sealed;
}

/** The push body of a sealed ticket, as delivery sends it. */
export function pushOf(sealed: SealedTicket): PushV2 {
  return {
    format: PUSH_FORMAT,
    kind: "ticket",
    ticketKey: sealed.ticketKey,
    version: sealed.version,
    envelopes: sealed.entries
      .map((e) => ({ locator: e.locator, bytes: Buffer.from(e.bytes).toString("base64") }))
      .sort((a, b) => a.locator.localeCompare(b.locator)),
  };
}

export async function post(url: string, body: string, contentType = "application/json") {
  const response = await fetch(`${url}/v2/sets`, {
    method: "POST",
    headers: { "content-type": contentType },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

/** `npx hardhat store:serve` as a separate process (stopped by its PID). */
export interface ServeProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  kill(signal: NodeJS.Signals): Promise<void>;
}

/** Spawns `hardhat <task> --network privnet --as <name> --registry … --data-dir …` for a party. */
function spawnTask(c: Consortium, name: Name, task: string, args: string[]): ChildProcess {
  const p = c.parties[name];
  const bin = join(hre.config.paths.root, "node_modules", ".bin");
  return spawn(
    join(bin, "hardhat"),
    [
      task,
      "--network",
      "privnet",
      "--as",
      name,
      "--registry",
      c.chain.registry,
      "--data-dir",
      p.dataDir,
      ...args,
    ],
    {
      env: {
        ...process.env,
        PATH: `${bin}:${process.env.PATH}`,
        NO_COLOR: "1",
        SR_PRIVNET_RPC_URL: c.chain.node.url,
        SR_PRIVNET_ADMIN_KEY: DEV_ACCOUNTS[0].privateKey,
        [`SR_PRIVNET_KEY_${name.toUpperCase().replace(/-/g, "_")}`]: p.privateKey,
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
}

/** Runs a task to its end: exit code, stdout and stderr. */
export async function runCli(
  c: Consortium,
  name: Name,
  task: string,
  args: string[] = [],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnTask(c, name, task, args);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  return { code, stdout, stderr };
}

export async function spawnServe(c: Consortium, name: Name): Promise<ServeProcess> {
  const child = spawnTask(c, name, "store:serve", ["--port", "0", "--retry-seconds", "0"]);
  let output = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/[\d.]+:\d+)/.exec(output);
      if (match !== null) resolve(match[1]);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`store:serve exited (${code}):\n${output}`)));
  });
  process.once("exit", () => child.exitCode === null && child.kill("SIGKILL"));
  return {
    url,
    child,
    output: () => output,
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(child.pid!, signal);
        await exited;
      }
    },
  };
}
