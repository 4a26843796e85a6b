import { createRequire } from "node:module";

import hardhatToolboxMochaEthers from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { configVariable, defineConfig } from "hardhat/config";

import { settlementTasks } from "./tasks/index.js";
import { storeTasks } from "./tasks/store.js";

// The compiler is the npm `solc` package (WASM build): nothing is downloaded, and the version
// Hardhat records is the one that package really is.
const require = createRequire(import.meta.url);
const solcPath = require.resolve("solc/soljson.js");
const solcVersion: string = require("solc/package.json").version;

// Private chains often run an older EVM than mainnet. `paris` has no PUSH0 / MCOPY, so the
// bytecode runs on london- and paris-era Besu and Geth networks.
const evmVersion = process.env.SR_EVM_VERSION ?? "paris";

const compiler = {
  version: solcVersion,
  path: solcPath,
  settings: { evmVersion, optimizer: { enabled: true, runs: 200 } },
};

/**
 * A network served by the nodes of a private chain. Nothing about a real chain is in the repo:
 * URL and admin key are configuration variables, read from the environment or from Hardhat's
 * keystore (`npx hardhat keystore set SR_BESU_RPC_URL`). Hardhat takes one URL per network;
 * `<prefix>_RPC_URLS` lists every node (comma-separated) for the failover client, and
 * `<prefix>_CHAIN_ID` / `<prefix>_HARDFORK` give the chain id to insist on and the EVM the chain
 * promises (defaults in lib/chain/node.ts: london for besu and privnet, cancun for geth).
 * Transactions are signed locally and sent raw: Besu holds no keys. See docs/private-chain.md.
 */
function privateChain(
  prefix: string,
  options: { url?: string; chainId?: number; freeGas: boolean },
) {
  return {
    type: "http" as const,
    chainType: "l1" as const,
    url: configVariable(
      `${prefix}_RPC_URL`,
      options.url === undefined ? {} : { default: options.url },
    ),
    chainId: options.chainId,
    accounts: [configVariable(`${prefix}_ADMIN_KEY`)],
    // Free-gas chains: legacy transactions at price 0. Fee discovery would pick a 1 gwei tip
    // that zero-balance accounts cannot pay.
    gasPrice: options.freeGas ? 0 : ("auto" as const),
  };
}

export default defineConfig({
  plugins: [hardhatToolboxMochaEthers],
  tasks: [...settlementTasks, ...storeTasks],
  solidity: {
    // Ignition builds with `production`; both profiles must target the same EVM.
    profiles: { default: compiler, production: compiler },
  },
  typechain: { outDir: "typechain-types" },
  networks: {
    // The in-process chain of the tasks, tests and demo, priced like a free-gas Besu chain: a
    // one-time route address holds no ether and sends its approval at gas price 0.
    default: {
      type: "edr-simulated",
      chainType: "l1",
      initialBaseFeePerGas: 0,
    },
    hardhatMainnet: { type: "edr-simulated", chainType: "l1", hardfork: "london" },
    // Hyperledger Besu, QBFT, `--min-gas-price=0` and `zeroBaseFee`: EVM london unless SR_BESU_HARDFORK.
    besu: privateChain("SR_BESU", { freeGas: true }),
    // `geth --dev` (chain id 1337): EVM cancun unless SR_GETH_HARDFORK; gas is priced by the node.
    geth: privateChain("SR_GETH", { chainId: 1337, freeGas: false }),
    // A local node configured like a Besu chain (anvil, `hardhat node`): EVM london, free gas.
    privnet: privateChain("SR_PRIVNET", {
      url: "http://127.0.0.1:8545",
      chainId: 1337,
      freeGas: true,
    }),
  },
});
