/**
 * The Hardhat adapter: builds the plain application (`./context.ts`) from Hardhat's runtime.
 *
 * Two kinds of network:
 * - simulated in-process (Hardhat's EDR): one chain per process, the local accounts act;
 * - http (besu, geth, privnet...): the FailoverProvider over every endpoint of the network;
 *   each party's key is the configuration variable `SR_<NET>_KEY_<PARTY>` (keystore or
 *   environment), the admin's `SR_<NET>_ADMIN_KEY`. Transactions are signed here and sent raw.
 */
import { resolve } from "node:path";

import type { Provider, Signer } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { ConfigError } from "../errors.js";
import { resolveRegistryAddress } from "../chain/deployment.js";
import {
  connectChain,
  readConfigVariable,
  readPrivateKey,
  resolveChainSettings,
  variableName,
} from "../chain/node.js";
import { createApp, type App } from "./context.js";

export interface AppOptions {
  /** Folder for the local store and per-party state (default `.settlement`, or SR_DATA_DIR). */
  dataDir?: string;
  /** Registry address, overriding the one Ignition recorded for this chain. */
  registry?: string;
  /** Where the use cases' warnings go. */
  warn?: (text: string) => void;
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
  /** The in-process network's local accounts; or, on a node network, a lookup of configured keys. */
  signers?: Signer[];
  signerFor?(address: string, name?: string): Promise<Signer>;
  defaultSigner?(): Promise<Signer>;
  oneTimeSigner?(privateKey: string): Signer;
}

async function simulatedChain(hre: HardhatRuntimeEnvironment): Promise<Chain> {
  // One connection per process: on the in-process network every role must see the same chain.
  const connection = await hre.network.getOrCreate();
  return { provider: connection.ethers.provider, signers: await connection.ethers.getSigners() };
}

async function httpChain(hre: HardhatRuntimeEnvironment, networkName: string): Promise<Chain> {
  const settings = await resolveChainSettings(hre, networkName);
  const provider = await connectChain(settings);
  const adminVar = variableName(networkName, "ADMIN_KEY");
  const adminSigner = async () => provider.signer(await readPrivateKey(hre, adminVar));
  return {
    provider,
    defaultSigner: adminSigner,
    oneTimeSigner: (privateKey) => provider.signer(privateKey),
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
  const chain =
    config.type === "http" ? await httpChain(hre, networkName) : await simulatedChain(hre);
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
  return createApp({
    provider,
    signers: chain.signers ?? chain.signerFor!,
    defaultSigner: chain.defaultSigner,
    oneTimeSigner: chain.oneTimeSigner,
    // Node networks sign through the failover provider, which prices by the network's config.
    oneTimeOverrides: config.type === "http" ? {} : undefined,
    fundOneTime:
      config.type === "http" &&
      /^(1|true|yes)$/i.test(
        (await readConfigVariable(hre, variableName(networkName, "FUND_ONE_TIME"))) ?? "",
      ),
    config: { registry: address, dataDir, networkName },
    warn: options.warn,
  });
}
