/**
 * The application: the use cases' view of one registry on one chain, built from explicit parts
 * (a provider, the signers this process holds, a store and a config) with no framework object.
 * Any front end builds one: the Hardhat tasks through `./hardhat.js`, a web server or a plain
 * Node script directly with `createApp`.
 */
import { chmod, mkdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";

import { Wallet, type Overrides, type Provider, type Signer } from "ethers";

import { ConfigError, InputError, PartyError } from "../errors.js";
import { RegistryClient, type PartyInfo } from "../chain/registry.js";
import { PartyIndex } from "../store/party-index.js";
import { SqliteEnvelopeStore } from "../store/sqlite.js";
import type { EnvelopeStore } from "../ticket/store.js";
import { Delivery } from "../delivery/deliver.js";
import { deriveKeyRing, type EncryptionKeyPair } from "./keys.js";

/** The signer of `address` (a party's, or the admin's); `name` is the party's name if known. */
export type SignerLookup = (address: string, name?: string) => Promise<Signer>;

export interface AppConfig {
  /** The SettlementRegistry's address. */
  registry: string;
  /** Folder for the per-party state and the outbox (and the embedded store, unless one is given). */
  dataDir: string;
  /** How messages name the network (default `chain-<id>`). */
  networkName?: string;
  /** Push sealed sets to the recipients' published stores (default true). */
  delivery?: boolean;
  /** Per-request timeout of those pushes (default 5 s). */
  deliveryTimeoutMs?: number;
}

export interface AppParts {
  provider: Provider;
  /**
   * The accounts this process acts for: a list of signers (the first is the default admin), or a
   * lookup by address. A party's encryption keys are derived from its signer (see `./keys.ts`).
   */
  signers: readonly Signer[] | SignerLookup;
  /** The default admin when `signers` is a lookup. */
  defaultSigner?: () => Promise<Signer>;
  /**
   * A signer for a one-time route address's private key (default: an ethers Wallet on
   * `provider`). Node networks pass their failover provider's signer.
   */
  oneTimeSigner?: (privateKey: string) => Signer;
  /**
   * Transaction fields of one-time addresses (default: a legacy transaction at gas price 0, as a
   * free-gas chain takes from an address that holds no ether).
   */
  oneTimeOverrides?: Overrides;
  /**
   * On a chain that charges gas: pay each one-time address's decision from the party's own
   * address, just before it is sent. The transfer links the two addresses on the chain and so
   * tells every member the party's place on that ticket: an explicit choice, off by default.
   */
  fundOneTime?: boolean;
  /** The envelope store (default: the embedded SQLite store under `<dataDir>/store`). */
  store?: EnvelopeStore;
  config: AppConfig;
  /** Where the use cases report what went wrong but did not fail them (default: dropped). */
  warn?: (text: string) => void;
}

export interface App {
  networkName: string;
  chainId: bigint;
  provider: Provider;
  registry: RegistryClient;
  store: EnvelopeStore;
  /** Pushes sealed sets to the recipients' published stores (a no-op for parties without one). */
  delivery?: Delivery;
  dataDir: string;
  /** Reports a problem that does not fail the use case (e.g. a set left in the outbox). */
  warn(text: string): void;
  /** The signer of `address` (ConfigError if no key is held for it). */
  signerFor(address: string, name?: string): Promise<Signer>;
  /** The default admin (the first account). */
  defaultSigner(): Promise<Signer>;
  /** A signer for the private key of a one-time route address. */
  oneTimeSigner(privateKey: string): Signer;
  oneTimeOverrides: Overrides;
  fundOneTime: boolean;
}

/** A party acting through its own signer, with its encryption key ring. */
export interface Actor {
  party: PartyInfo;
  signer: Signer;
  registry: RegistryClient;
  /** Every key version up to the current one; empty before the party registers a key. */
  keys: EncryptionKeyPair[];
  /** Folder for this party's own state (index, watch cursor, create journal): 0700. */
  stateDir: string;
  /** What a typed ticket ID resolves through: ID → on-chain key (`<stateDir>/index.sqlite`, 0600). */
  ids: PartyIndex;
}

/** Creates `dir` (and its parents) readable by its owner only: it holds secrets. */
export async function privateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
}

function signerSource(
  parts: AppParts,
  networkName: string,
): Pick<App, "signerFor" | "defaultSigner"> {
  const { signers } = parts;
  if (typeof signers === "function") {
    return {
      signerFor: signers,
      defaultSigner:
        parts.defaultSigner ??
        (async () => {
          throw new ConfigError(`no default signer on network ${networkName}`);
        }),
    };
  }
  return {
    async defaultSigner() {
      if (signers.length === 0) throw new ConfigError(`no signer on network ${networkName}`);
      return signers[0];
    },
    async signerFor(address) {
      for (const signer of signers) {
        if ((await signer.getAddress()).toLowerCase() === address.toLowerCase()) return signer;
      }
      throw new ConfigError(`no local account ${address} on network ${networkName}`);
    },
  };
}

/** Builds the application from its parts: no Hardhat runtime, no terminal. */
export async function createApp(parts: AppParts): Promise<App> {
  const { provider, config } = parts;
  const dataDir = resolve(config.dataDir);
  await privateDir(dataDir);
  const chainId = (await provider.getNetwork()).chainId;
  const networkName = config.networkName ?? `chain-${chainId}`;
  const registry = new RegistryClient(config.registry, provider);
  return {
    networkName,
    chainId,
    provider,
    registry,
    store: parts.store ?? SqliteEnvelopeStore.open(join(dataDir, "store")),
    delivery:
      config.delivery === false
        ? undefined
        : new Delivery({ registry, chainId, dataDir, timeoutMs: config.deliveryTimeoutMs }),
    dataDir,
    warn: parts.warn ?? (() => undefined),
    oneTimeSigner: parts.oneTimeSigner ?? ((key) => new Wallet(key, provider)),
    oneTimeOverrides:
      parts.oneTimeOverrides ?? (parts.fundOneTime === true ? {} : { type: 0, gasPrice: 0n }),
    fundOneTime: parts.fundOneTime ?? false,
    ...signerSource(parts, networkName),
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

/**
 * The caller `--as <name|address>`: an admitted party whose signer this app holds. Its
 * encryption keys are derived from that signer unless `keys` gives them.
 */
export async function actAs(
  app: App,
  as: string | undefined,
  options: { keys?: EncryptionKeyPair[] } = {},
): Promise<Actor> {
  if (as === undefined || as === "") {
    throw new PartyError("no party chosen", {
      hint: "say who acts with --as <party name or address>",
    });
  }
  const party = await resolvePartyOption(app, "as", as);
  const signer = await app.signerFor(party.address, party.name);
  const keys =
    options.keys ??
    (await deriveKeyRing(signer, app.chainId, app.registry.address, party.keyVersion));
  const stateDir = join(
    app.dataDir,
    "parties",
    `${app.chainId}-${app.registry.address.slice(2, 10).toLowerCase()}`,
    party.address.toLowerCase(),
  );
  for (const dir of [join(app.dataDir, "parties"), dirname(stateDir), stateDir])
    await privateDir(dir);
  return {
    party,
    signer,
    registry: app.registry.connect(signer),
    keys,
    stateDir,
    ids: PartyIndex.open(stateDir),
  };
}

/** The consortium admin: `--as` (a name or address whose key is held), else the default signer. */
export async function adminSigner(app: App, as: string | undefined): Promise<Signer> {
  if (as === undefined || as === "") return app.defaultSigner();
  const party = await app.registry.resolveParty(as).catch(() => undefined);
  return app.signerFor(party?.address ?? as, party?.name);
}
