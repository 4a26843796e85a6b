/**
 * Which nodes a named network talks to, and how to connect to them.
 *
 * Hardhat 3 allows one `url` per http network. A consortium has one node per member, so the
 * full endpoint list is a configuration variable of its own. For a network `besu`:
 *
 * | variable            | meaning                                                   | default          |
 * |---------------------|-----------------------------------------------------------|------------------|
 * | `SR_BESU_RPC_URL`   | the network's `url` in hardhat.config.ts (Hardhat, Ignition) | —             |
 * | `SR_BESU_RPC_URLS`  | every endpoint, comma-separated, in order of preference   | `SR_BESU_RPC_URL` |
 * | `SR_BESU_CHAIN_ID`  | the chain id every endpoint must report                   | the network's `chainId` |
 * | `SR_BESU_HARDFORK`  | the EVM the chain promises (london, paris, shanghai...)   | per network, see {@link PRIVATE_NETWORKS} |
 * | `SR_BESU_ADMIN_KEY` | the deployer / consortium admin's private key (accounts)  | —                |
 * | `SR_BESU_GAS_PRICE` | gas price in wei, or `auto` (ask the node)                | the network's `gasPrice` |
 * | `SR_BESU_CONFIRMATIONS` | blocks on top before a block counts as settled (Clique) | 0             |
 * | `SR_BESU_LOG_RANGE` | blocks per `eth_getLogs` request                          | 5000             |
 *
 * Each is read like any Hardhat configuration variable: from the environment first, then from
 * Hardhat's keystore (`npx hardhat keystore set SR_BESU_RPC_URLS`).
 */
import { configVariable } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { ConfigError } from "../errors.js";
import { parseHardfork, type Hardfork } from "./evm.js";
import { FailoverProvider, parseEndpoints, type FailoverOptions } from "./failover.js";

/** What the project assumes about a named private network when nothing is configured. */
export interface PrivateNetworkProfile {
  /** Prefix of its configuration variables, e.g. `SR_BESU`. */
  readonly variablePrefix: string;
  /** The EVM the chain is assumed to run unless `<prefix>_HARDFORK` says otherwise. */
  readonly defaultHardfork: Hardfork;
}

/**
 * The private networks declared in hardhat.config.ts. Besu consortium chains are often frozen at
 * london; `geth --dev` follows mainnet; `privnet` is a local node configured like a Besu chain.
 */
export const PRIVATE_NETWORKS: Readonly<Record<string, PrivateNetworkProfile>> = {
  besu: { variablePrefix: "SR_BESU", defaultHardfork: "london" },
  geth: { variablePrefix: "SR_GETH", defaultHardfork: "cancun" },
  privnet: { variablePrefix: "SR_PRIVNET", defaultHardfork: "london" },
};

/** The profile of `networkName` (any other http network: `SR_<NAME>` and london). */
export function networkProfile(networkName: string): PrivateNetworkProfile {
  return (
    PRIVATE_NETWORKS[networkName] ?? {
      variablePrefix: `SR_${networkName.toUpperCase().replace(/[^A-Z0-9]+/g, "_")}`,
      defaultHardfork: "london",
    }
  );
}

/** The name of a network's configuration variable, e.g. `variableName("besu", "RPC_URLS")`. */
export function variableName(networkName: string, suffix: string): string {
  return `${networkProfile(networkName).variablePrefix}_${suffix}`;
}

/**
 * Reads a configuration variable the way Hardhat does (environment, then the keystore and any
 * other plugin), or `undefined` if it is not set anywhere.
 */
export async function readConfigVariable(
  hre: Pick<HardhatRuntimeEnvironment, "hooks">,
  name: string,
): Promise<string | undefined> {
  const fromEnv = process.env[name];
  if (fromEnv !== undefined) return fromEnv;
  const value = await hre.hooks.runHandlerChain(
    "configurationVariables",
    "fetchValue",
    [configVariable(name, { default: "" })],
    async (_context, variable) => process.env[variable.name] ?? variable.default ?? "",
  );
  return value === "" ? undefined : value;
}

/** Everything needed to talk to a private network's nodes. */
export interface ChainSettings {
  readonly networkName: string;
  /** Every endpoint, in order of preference. */
  readonly endpoints: readonly string[];
  /** Where `endpoints` came from (a variable name), for messages. */
  readonly endpointsSource: string;
  /** The chain id every endpoint must report, if configured. */
  readonly chainId?: number;
  /** The EVM the chain promises. */
  readonly hardfork: Hardfork;
  /** Where `hardfork` came from, for messages. */
  readonly hardforkSource: string;
  /** Gas price for transactions: the network's `gasPrice` (0 on free-gas chains) or `auto`. */
  readonly gasPrice: bigint | "auto";
  /** Blocks on top before a block counts as settled (0 on chains with immediate finality). */
  readonly confirmations: number;
  /** Blocks per log query. */
  readonly logRange?: number;
  /** Where `logRange` came from, for hints. */
  readonly logRangeSource?: string;
}

/** Values that replace configuration, e.g. from task options or a test. */
export type ChainSettingsOverride = Partial<
  Pick<ChainSettings, "endpoints" | "chainId" | "hardfork" | "gasPrice" | "confirmations">
>;

/**
 * Resolves the settings of http network `networkName` from hardhat.config.ts and its
 * configuration variables. Throws ConfigError if the network is not an http network or has no
 * endpoint.
 */
export async function resolveChainSettings(
  hre: Pick<HardhatRuntimeEnvironment, "hooks" | "config">,
  networkName: string,
  override: ChainSettingsOverride = {},
): Promise<ChainSettings> {
  const config = hre.config.networks[networkName];
  if (config === undefined) {
    throw new ConfigError(`unknown network "${networkName}"`, {
      hint: `use one of ${Object.keys(hre.config.networks).join(", ")}`,
    });
  }
  if (config.type !== "http") {
    throw new ConfigError(`network ${networkName} is simulated in-process, not a node`, {
      hint: "use an http network such as besu, geth or privnet (--network besu)",
    });
  }
  const profile = networkProfile(networkName);
  const urlsVar = `${profile.variablePrefix}_RPC_URLS`;
  const chainIdVar = `${profile.variablePrefix}_CHAIN_ID`;
  const hardforkVar = `${profile.variablePrefix}_HARDFORK`;

  let endpoints: string[];
  let endpointsSource = urlsVar;
  if (override.endpoints !== undefined) {
    endpoints = parseEndpoints(override.endpoints, "the endpoint override");
    endpointsSource = "the endpoint override";
  } else {
    const list = await readConfigVariable(hre, urlsVar);
    if (list !== undefined) {
      endpoints = parseEndpoints(list, urlsVar);
    } else {
      const urlVar = "name" in config.url ? String(config.url.name) : `network ${networkName} url`;
      let url: string;
      try {
        url = await config.url.getUrl();
      } catch (error) {
        throw new ConfigError(`network ${networkName} has no RPC URL`, {
          details: error instanceof Error ? error.message.split("\n")[0] : String(error),
          hint: `npx hardhat keystore set ${urlsVar} (comma-separated, one URL per node) or set ${urlVar}`,
          cause: error,
        });
      }
      endpoints = parseEndpoints(url, urlVar);
      endpointsSource = urlVar;
    }
  }

  let chainId = override.chainId ?? config.chainId;
  const chainIdText =
    override.chainId === undefined ? await readConfigVariable(hre, chainIdVar) : undefined;
  if (chainIdText !== undefined) {
    chainId = Number(chainIdText);
    if (!Number.isSafeInteger(chainId) || chainId <= 0) {
      throw new ConfigError(`${chainIdVar} is not a chain id: "${chainIdText}"`, {
        hint: "a positive integer, e.g. 1337",
      });
    }
  }

  let hardfork = override.hardfork ?? profile.defaultHardfork;
  let hardforkSource =
    override.hardfork !== undefined
      ? "the hardfork override"
      : `the default for ${networkName} (set ${hardforkVar} to change it)`;
  if (override.hardfork === undefined) {
    const text = await readConfigVariable(hre, hardforkVar);
    if (text !== undefined) {
      hardfork = parseHardfork(text, hardforkVar);
      hardforkSource = hardforkVar;
    }
  }

  const gasPriceVar = `${profile.variablePrefix}_GAS_PRICE`;
  const gasPriceText = await readConfigVariable(hre, gasPriceVar);
  let gasPrice = override.gasPrice ?? config.gasPrice;
  if (override.gasPrice === undefined && gasPriceText !== undefined) {
    if (gasPriceText.trim() === "auto") gasPrice = "auto";
    else gasPrice = BigInt(wholeNumber(gasPriceText, gasPriceVar, "a price in wei, or auto"));
  }
  const confirmationsVar = `${profile.variablePrefix}_CONFIRMATIONS`;
  const confirmationsText = await readConfigVariable(hre, confirmationsVar);
  const confirmations =
    override.confirmations ??
    (confirmationsText === undefined
      ? 0
      : wholeNumber(confirmationsText, confirmationsVar, "a number of blocks, e.g. 2 on Clique"));
  const logRangeSource = `${profile.variablePrefix}_LOG_RANGE`;
  const logRangeText = await readConfigVariable(hre, logRangeSource);
  const logRange =
    logRangeText === undefined
      ? undefined
      : wholeNumber(logRangeText, logRangeSource, "a number of blocks, e.g. 1000", 1);

  return {
    networkName,
    endpoints,
    endpointsSource,
    chainId,
    hardfork,
    hardforkSource,
    gasPrice,
    confirmations,
    logRange,
    logRangeSource,
  };
}

/** A whole number of at least `min` from a configuration variable; ConfigError naming it. */
function wholeNumber(text: string, name: string, expected: string, min = 0): number {
  const value = Number(text.trim());
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min) {
    throw new ConfigError(`${name} is not ${expected.split(",")[0]}: "${text}"`, {
      hint: expected,
    });
  }
  return value;
}

/**
 * Opens a failover provider on the network's endpoints, after checking that at least one answers
 * and that every answer has the configured chain id (ChainError otherwise).
 */
export async function connectChain(
  settings: ChainSettings,
  options: Omit<
    FailoverOptions,
    "networkName" | "chainId" | "gasPrice" | "endpointsSource" | "confirmations" | "logRange"
  > = {},
): Promise<FailoverProvider> {
  return FailoverProvider.connect(settings.endpoints, {
    ...options,
    networkName: settings.networkName,
    chainId: settings.chainId,
    gasPrice: settings.gasPrice,
    endpointsSource: settings.endpointsSource,
    confirmations: settings.confirmations,
    logRange: settings.logRange,
    logRangeSource: settings.logRangeSource,
  });
}

/** Reads a private key from a configuration variable; ConfigError naming the variable if absent. */
export async function readPrivateKey(
  hre: Pick<HardhatRuntimeEnvironment, "hooks">,
  name: string,
): Promise<string> {
  const value = await readConfigVariable(hre, name);
  if (value === undefined) {
    throw new ConfigError(`no key configured in ${name}`, {
      hint: `npx hardhat keystore set ${name}`,
    });
  }
  const key = value.trim().startsWith("0x") ? value.trim() : `0x${value.trim()}`;
  if (!/^0x[0-9a-fA-F]{64}$/.test(key)) {
    // Never echo the value: it is meant to be a secret.
    throw new ConfigError(`${name} is not a 32-byte hex private key`, {
      hint: `npx hardhat keystore set ${name} --force`,
    });
  }
  return key;
}
