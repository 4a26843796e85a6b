/**
 * Where the SettlementRegistry lives on the connected chain, and how to put it there.
 *
 * Ignition records each deployment in `ignition/deployments/chain-<id>/deployed_addresses.json`;
 * the tasks pick the address up by chain id, so nobody copies addresses around. An explicit
 * address (a task option, or the `SR_<NETWORK>_REGISTRY_ADDRESS` configuration variable) wins.
 */
import { readFile, rename } from "node:fs/promises";
import path from "node:path";

import { getAddress, isAddress } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import type { NetworkConnection } from "hardhat/types/network";

import SettlementRegistryModule from "../../ignition/modules/SettlementRegistry.js";
import { ChainError, ConfigError } from "../errors.js";
import {
  assertBytecodeSupported,
  probeNodeEvm,
  rpcSendOf,
  type EvmCheckResult,
  type Hardfork,
} from "./evm.js";
import { readConfigVariable, resolveChainSettings, variableName } from "./node.js";

/** The Ignition future id of the registry in `SettlementRegistryModule`. */
export const REGISTRY_FUTURE_ID = "SettlementRegistryModule#SettlementRegistry";

/** The command that deploys the registry to `networkName`. */
export function deployCommand(networkName: string): string {
  return `npx hardhat ignition deploy ignition/modules/SettlementRegistry.ts --network ${networkName}`;
}

/** Anything that can read code at an address (an ethers provider, a FailoverProvider...). */
export interface CodeReader {
  getCode(address: string): Promise<string>;
}

export interface FindRegistryOptions {
  readonly chainId: bigint | number;
  readonly networkName: string;
  /** An explicit address; skips the deployment records. */
  readonly address?: string;
  /** Same as `address` (kept for callers that name it so). */
  readonly override?: string;
  /** Ignition's folder (default `<root>/ignition`, i.e. `hre.config.paths.ignition`). */
  readonly ignitionDir?: string;
  /** The project root, used when `ignitionDir` is not given (default: the working directory). */
  readonly root?: string;
  /** The Ignition deployment id (default `chain-<chainId>`). */
  readonly deploymentId?: string;
  /** If given, the address must hold code on this chain. */
  readonly provider?: CodeReader;
}

/** Reads `deployed_addresses.json` of a deployment, or `undefined` if there is none. */
export async function readDeployedAddresses(
  ignitionDir: string,
  deploymentId: string,
): Promise<Record<string, string> | undefined> {
  const file = path.join(ignitionDir, "deployments", deploymentId, "deployed_addresses.json");
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as Record<string, string>;
  } catch (error) {
    throw new ChainError(`unreadable deployment record ${file}`, {
      details: error instanceof Error ? error.message : String(error),
      hint: "restore the file from version control, or redeploy",
    });
  }
}

/**
 * The registry address for the chain: the explicit `address`, else Ignition's record for the
 * chain id. ChainError if there is none, or if `provider` is given and the address holds no code.
 */
export async function findRegistryAddress(options: FindRegistryOptions): Promise<string> {
  const chainId = BigInt(options.chainId);
  const deploymentId = options.deploymentId ?? `chain-${chainId}`;
  let address = options.address ?? options.override;
  let source = "the given address";
  if (address === undefined) {
    const ignitionDir = options.ignitionDir ?? path.join(options.root ?? ".", "ignition");
    const addresses = await readDeployedAddresses(ignitionDir, deploymentId);
    address = addresses?.[REGISTRY_FUTURE_ID];
    source = `ignition/deployments/${deploymentId}`;
    if (address === undefined) {
      throw new ChainError(
        `no SettlementRegistry deployed on chain ${chainId} (network ${options.networkName})`,
        {
          details: `nothing recorded in ${path.join(ignitionDir, "deployments", deploymentId, "deployed_addresses.json")}`,
          hint: `deploy it with \`${deployCommand(options.networkName)}\`, or give its address with ${variableName(options.networkName, "REGISTRY_ADDRESS")}`,
        },
      );
    }
  }
  if (!isAddress(address)) {
    throw new ConfigError(`registry address "${address}" from ${source} is not an address`, {
      hint: "use a 0x-prefixed 20-byte hex address",
    });
  }
  address = getAddress(address);
  if (options.provider !== undefined) {
    const code = await options.provider.getCode(address);
    if (code === "0x" || code === "") {
      throw new ChainError(
        `no SettlementRegistry deployed on chain ${chainId} (network ${options.networkName}): no code at ${address}`,
        {
          details: `address from ${source}; the chain was probably reset since`,
          hint: `redeploy with \`${deployCommand(options.networkName)}\` (remove the stale ignition/deployments/${deploymentId} first)`,
        },
      );
    }
  }
  return address;
}

/**
 * {@link findRegistryAddress} with the override taken from the `address` option or the
 * `SR_<NETWORK>_REGISTRY_ADDRESS` configuration variable, and Ignition's folder from the config.
 */
export async function resolveRegistryAddress(
  hre: Pick<HardhatRuntimeEnvironment, "hooks" | "config">,
  options: Omit<FindRegistryOptions, "ignitionDir">,
): Promise<string> {
  const address =
    options.address ??
    (await readConfigVariable(hre, variableName(options.networkName, "REGISTRY_ADDRESS")));
  return findRegistryAddress({ ...options, address, ignitionDir: hre.config.paths.ignition });
}

export interface DeployRegistryOptions {
  /** The EVM the chain promises; default: the network's configured hardfork. */
  readonly hardfork?: Hardfork;
  /** Ignition deployment id (default `chain-<id>`). */
  readonly deploymentId?: string;
  /** The consortium admin (default: the deploying account). */
  readonly admin?: string;
  /** Show Ignition's progress output. */
  readonly displayUi?: boolean;
}

export interface DeployedRegistry {
  readonly address: string;
  readonly chainId: number;
  readonly deploymentId: string;
  readonly evm: EvmCheckResult;
  /**
   * A record of this deployment id that pointed at an address without code (the chain was reset
   * since): where it was moved before the fresh deployment, and the address it named.
   */
  readonly staleRecord?: { movedTo: string; address: string };
}

/**
 * Ignition trusts its record of a deployment id and deploys nothing if the record says done. After
 * a local chain restarts with the same chain id, that record names an address without code: move
 * it aside (kept for inspection, never deleted) so that the deployment really runs.
 */
export async function setAsideStaleRecord(
  ignitionDir: string,
  deploymentId: string,
  code: CodeReader,
): Promise<{ movedTo: string; address: string } | undefined> {
  const recorded = (await readDeployedAddresses(ignitionDir, deploymentId))?.[REGISTRY_FUTURE_ID];
  if (recorded === undefined || !isAddress(recorded)) return undefined;
  const held = await code.getCode(getAddress(recorded));
  if (held !== "0x" && held !== "") return undefined;
  const folder = path.join(ignitionDir, "deployments", deploymentId);
  const movedTo = `${folder}.stale-${new Date().toISOString().replace(/[:.]/g, "-")}`;
  try {
    await rename(folder, movedTo);
  } catch (error) {
    throw new ChainError(`the deployment record ${folder} is stale: no code at ${recorded}`, {
      details: error instanceof Error ? error.message : String(error),
      hint: `the chain was reset since; remove ${folder} and deploy again`,
    });
  }
  return { movedTo, address: getAddress(recorded) };
}

/**
 * Deploys the registry over `connection` with Ignition (no confirmation prompt), after checking
 * that its bytecode runs on the chain: against the network's promised hardfork and against a
 * probe of the node. ConfigError before any transaction if it does not.
 */
export async function deployRegistry(
  hre: Pick<HardhatRuntimeEnvironment, "hooks" | "config" | "artifacts">,
  connection: NetworkConnection,
  options: DeployRegistryOptions = {},
): Promise<DeployedRegistry> {
  const networkName = connection.networkName;
  let hardfork = options.hardfork;
  let hardforkSource = "the hardfork option";
  // Ignition waits for 5 blocks on a node it does not know as automining; a node that makes
  // blocks only for transactions (geth --dev without --dev.period) never makes them. Wait for
  // the network's own settlement depth instead.
  let requiredConfirmations: number | undefined;
  if (connection.networkConfig.type === "http") {
    const settings = await resolveChainSettings(hre, networkName);
    requiredConfirmations = settings.confirmations + 1;
    if (hardfork === undefined) {
      hardfork = settings.hardfork;
      hardforkSource = settings.hardforkSource;
    }
  } else if (hardfork === undefined) {
    hardfork = connection.networkConfig.hardfork as Hardfork;
    hardforkSource = `the hardfork of network ${networkName}`;
  }
  const artifact = await hre.artifacts.readArtifact("SettlementRegistry");
  const send = rpcSendOf(connection.provider);
  const evm = assertBytecodeSupported({
    contractName: "SettlementRegistry",
    bytecode: artifact.bytecode,
    networkName,
    hardfork,
    hardforkSource,
    probe: await probeNodeEvm(send),
  });

  const chainId = Number(await send("eth_chainId", []));
  const deploymentId = options.deploymentId ?? `chain-${chainId}`;
  const staleRecord = await setAsideStaleRecord(hre.config.paths.ignition, deploymentId, {
    getCode: async (address) => String(await send("eth_getCode", [address, "latest"])),
  });
  const parameters: Record<string, Record<string, string>> = options.admin === undefined
    ? {}
    : { SettlementRegistryModule: { admin: options.admin } };
  const { registry } = await connection.ignition.deploy(SettlementRegistryModule, {
    deploymentId,
    parameters,
    displayUi: options.displayUi ?? false,
    config: requiredConfirmations === undefined ? {} : { requiredConfirmations },
  });
  return {
    address: getAddress(await registry.getAddress()),
    chainId,
    deploymentId,
    evm,
    ...(staleRecord === undefined ? {} : { staleRecord }),
  };
}
