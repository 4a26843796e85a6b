/**
 * Everything a role task needs: the chain (with failover across a consortium's nodes), the
 * registry, the caller's identity and keys, the off-chain store, and the caller's local state.
 *
 * Two kinds of network:
 * - simulated in-process (Hardhat's EDR): one chain per process, the local accounts act;
 * - http (besu, geth, privnet...): the FailoverProvider over every endpoint of the network;
 *   each party's key is the configuration variable `SR_<NET>_KEY_<PARTY>` (keystore or
 *   environment), the admin's `SR_<NET>_ADMIN_KEY`. Transactions are signed here and sent raw.
 */
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";

import type { Provider, Signer } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { ConfigError, InputError, PartyError } from "../errors.js";
import { Output } from "../cli/output.js";
import { deriveKeyRing, type EncryptionKeyPair } from "./keys.js";
import { loadRegistryAbi, RegistryClient, type PartyInfo } from "../chain/registry.js";
import { resolveRegistryAddress } from "../chain/deployment.js";
import {
  connectChain,
  readConfigVariable,
  readPrivateKey,
  resolveChainSettings,
  variableName,
} from "../chain/node.js";
import type { FailoverProvider } from "../chain/failover.js";
import { FolderStore } from "../store/folder.js";
import type { EnvelopeStore } from "../store/types.js";
import { Delivery } from "../delivery/deliver.js";

export interface AppOptions {
  /** Folder for the local store and per-party state (default `.settlement`, or SR_DATA_DIR). */
  dataDir?: string;
  /** Registry address, overriding the one Ignition recorded for this chain. */
  registry?: string;
  json?: boolean;
  out?: Output;
}

export interface App {
  hre: HardhatRuntimeEnvironment;
  networkName: string;
  chainId: bigint;
  provider: Provider;
  registry: RegistryClient;
  store: EnvelopeStore;
  /** Pushes sealed sets to the recipients' published stores (a no-op for parties without one). */
  delivery?: Delivery;
  dataDir: string;
  out: Output;
  /** The signer of `address` on this network (ConfigError if no key is configured for it). */
  signerFor(address: string, name?: string): Promise<Signer>;
  /** The network's first configured account (the default consortium admin). */
  defaultSigner(): Promise<Signer>;
}

/** A party acting through its own signer, with its encryption key ring. */
export interface Actor {
  party: PartyInfo;
  signer: Signer;
  registry: RegistryClient;
  /** Every key version up to the current one; empty before the party registers a key. */
  keys: EncryptionKeyPair[];
  /** Folder for this party's own state (inbox cache, watch cursor, create journal). */
  stateDir: string;
}

/** Registries deployed in this process on in-process networks (they keep no deployment file). */
const deployedHere = new Map<string, string>();

export function rememberDeployment(networkName: string, chainId: bigint, address: string): void {
  deployedHere.set(`${networkName}:${chainId}`, address);
}

export function currentNetworkName(hre: HardhatRuntimeEnvironment): string {
  return hre.globalOptions.network ?? "default";
}

export const partyKeyVariable = (networkName: string, partyName: string) =>
  variableName(networkName, `KEY_${partyName.toUpperCase().replace(/[^A-Z0-9]+/g, "_")}`);

interface Chain {
  provider: Provider;
  signerFor(address: string, name?: string): Promise<Signer>;
  defaultSigner(): Promise<Signer>;
}

async function simulatedChain(hre: HardhatRuntimeEnvironment, networkName: string): Promise<Chain> {
  // One connection per process: on the in-process network every role must see the same chain.
  const connection = await hre.network.getOrCreate();
  const signers = await connection.ethers.getSigners();
  return {
    provider: connection.ethers.provider,
    defaultSigner: async () => signers[0],
    async signerFor(address) {
      const signer = signers.find((s) => s.address.toLowerCase() === address.toLowerCase());
      if (signer === undefined) {
        throw new ConfigError(`no local account ${address} on network ${networkName}`);
      }
      return signer;
    },
  };
}

async function httpChain(
  hre: HardhatRuntimeEnvironment,
  networkName: string,
  dataDir: string,
): Promise<Chain> {
  const settings = await resolveChainSettings(hre, networkName);
  const journalDir = join(dataDir, "journal");
  await mkdir(journalDir, { recursive: true });
  const provider: FailoverProvider = await connectChain(settings, {
    journalPath: join(journalDir, `${networkName}-${settings.chainId ?? "any"}.json`),
  });
  const adminVar = variableName(networkName, "ADMIN_KEY");
  const adminSigner = async () => provider.signer(await readPrivateKey(hre, adminVar));
  return {
    provider,
    defaultSigner: adminSigner,
    async signerFor(address, name) {
      const candidates =
        name === undefined || name === "" ? [] : [partyKeyVariable(networkName, name)];
      candidates.push(adminVar);
      for (const variable of candidates) {
        if ((await readConfigVariable(hre, variable)) === undefined) continue;
        const signer = provider.signer(await readPrivateKey(hre, variable));
        if ((await signer.getAddress()).toLowerCase() === address.toLowerCase()) return signer;
      }
      throw new ConfigError(
        `no signing key for ${name === undefined || name === "" ? address : `${name} (${address})`} on network ${networkName}`,
        {
          hint: `store it with \`npx hardhat keystore set ${partyKeyVariable(networkName, name || "PARTY")}\` (or set that environment variable)`,
        },
      );
    },
  };
}

export async function openApp(
  hre: HardhatRuntimeEnvironment,
  options: AppOptions = {},
): Promise<App> {
  const networkName = currentNetworkName(hre);
  const config = hre.config.networks[networkName];
  if (config === undefined) {
    throw new ConfigError(`unknown network "${networkName}"`, {
      hint: `use one of ${Object.keys(hre.config.networks).join(", ")}`,
    });
  }
  const dataDir = resolve(
    hre.config.paths.root,
    options.dataDir ?? process.env.SR_DATA_DIR ?? ".settlement",
  );
  await mkdir(dataDir, { recursive: true });
  const chain =
    config.type === "http"
      ? await httpChain(hre, networkName, dataDir)
      : await simulatedChain(hre, networkName);
  const { provider } = chain;
  const chainId = (await provider.getNetwork()).chainId;
  const address = await resolveRegistryAddress(hre, {
    chainId,
    networkName,
    address: options.registry ?? deployedHere.get(`${networkName}:${chainId}`),
    provider,
  }).catch((error) => {
    if (config.type !== "http" && options.registry === undefined) {
      throw new ConfigError(
        `no SettlementRegistry deployed on the in-process network ${networkName}`,
        {
          details: "the in-process chain starts empty with every command",
          hint: "use `npm run demo`, or start a node and run the tasks with --network privnet (see README)",
          cause: error,
        },
      );
    }
    throw error;
  });
  const abi = await loadRegistryAbi(hre.config.paths.root);
  const registry = new RegistryClient(address, abi, provider);
  return {
    hre,
    networkName,
    chainId,
    provider,
    registry,
    delivery: new Delivery({ registry, chainId, dataDir }),
    store: new FolderStore(join(dataDir, "store")),
    dataDir,
    out: options.out ?? new Output({ json: options.json }),
    signerFor: chain.signerFor,
    defaultSigner: chain.defaultSigner,
  };
}

/** Resolves the party named by option `--<option>`; a refusal names the option. */
export async function resolvePartyOption(
  app: App,
  option: string,
  nameOrAddress: string,
): Promise<PartyInfo> {
  try {
    return await app.registry.resolveParty(nameOrAddress);
  } catch (error) {
    if (error instanceof PartyError || error instanceof InputError) {
      throw new PartyError(`--${option}: ${error.shortMessage}`, {
        details: error.details,
        hint: error.hint,
        cause: error,
      });
    }
    throw error;
  }
}

/** The caller `--as <name|address>`: an admitted party whose key this machine holds. */
export async function actAs(app: App, as: string | undefined): Promise<Actor> {
  if (as === undefined || as === "") {
    throw new PartyError("no party chosen", {
      hint: "say who acts with --as <party name or address>",
    });
  }
  const party = await resolvePartyOption(app, "as", as);
  const signer = await app.signerFor(party.address, party.name);
  const keys = await deriveKeyRing(signer, app.chainId, app.registry.address, party.keyVersion);
  const stateDir = join(
    app.dataDir,
    "parties",
    `${app.chainId}-${app.registry.address.slice(2, 10).toLowerCase()}`,
    party.address.toLowerCase(),
  );
  await mkdir(stateDir, { recursive: true });
  return { party, signer, registry: app.registry.connect(signer), keys, stateDir };
}

/** The consortium admin: `--as` (a name or address whose key is configured), else the first account. */
export async function adminSigner(app: App, as: string | undefined): Promise<Signer> {
  if (as === undefined || as === "") return app.defaultSigner();
  const party = await app.registry.resolveParty(as).catch(() => undefined);
  return app.signerFor(party?.address ?? as, party?.name);
}
