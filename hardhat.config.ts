import { createRequire } from "node:module";

import hardhatToolboxMochaEthers from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { defineConfig } from "hardhat/config";

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

export default defineConfig({
  plugins: [hardhatToolboxMochaEthers],
  solidity: {
    // Ignition builds with `production`; both profiles must target the same EVM.
    profiles: { default: compiler, production: compiler },
  },
  typechain: { outDir: "typechain-types" },
  networks: {
    hardhatMainnet: { type: "edr-simulated", chainType: "l1", hardfork: "london" },
  },
});
