/**
 * Deployment with Ignition over JSON-RPC, and the watcher and decisions across a lost endpoint
 * (test/tasks/watching.ts), on a Clique network of four Geth 1.13 nodes and on geth --dev of the
 * current release.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";
import hre from "hardhat";

import { findRegistryAddress, REGISTRY_FUTURE_ID } from "../../lib/chain/deployment.js";
import { FailoverProvider } from "../../lib/chain/failover.js";
import { rpc } from "../../lib/testing/anvil.js";
import {
  gethUnavailable,
  startGethChain,
  type GethChain,
  type GethKind,
} from "../../lib/testing/geth.js";
import { watchAcrossFailover } from "../tasks/watching.js";

const unavailable = gethUnavailable();
const suite = unavailable === undefined ? describe : describe.skip;
const skipped = unavailable === undefined ? "" : ` (skipped: ${unavailable})`;
const LABEL: Record<GethKind, string> = {
  clique: "a Clique network of four Geth 1.13 nodes",
  dev: "geth --dev of the current release",
};

for (const kind of ["clique", "dev"] as const) {
  suite(`Ignition deployment and watching on ${LABEL[kind]}${skipped}`, function () {
    this.timeout(300_000);
    let chain: GethChain | undefined;

    before(async function () {
      chain = await startGethChain(kind);
    });

    after(async function () {
      await chain?.stop();
    });

    it("records the address where the tasks find it, and every node holds the code", async function () {
      const c = chain!;
      const file = path.join(
        hre.config.paths.ignition,
        "deployments",
        c.deploymentId,
        "deployed_addresses.json",
      );
      const recorded = JSON.parse(await readFile(file, "utf8")) as Record<string, string>;
      expect(recorded[REGISTRY_FUTURE_ID]).to.equal(c.registry);
      const provider = await FailoverProvider.connect(c.urls, { chainId: c.chainId });
      try {
        const found = await findRegistryAddress({
          chainId: c.chainId,
          networkName: "privnet",
          deploymentId: c.deploymentId,
          ignitionDir: hre.config.paths.ignition,
          provider,
        });
        expect(found).to.equal(c.registry);
      } finally {
        provider.destroy();
      }
      const code = await rpc(c.urls[0], "eth_getCode", [c.registry, "latest"]);
      expect(code).to.match(/^0x[0-9a-f]{100,}$/);
      for (const url of c.urls.slice(1)) {
        // The other nodes hold it as soon as they have the block.
        for (
          let i = 0;
          i < 50 && (await rpc(url, "eth_getCode", [c.registry, "latest"])) === "0x";
          i++
        )
          await new Promise((resolve) => setTimeout(resolve, 100));
        expect(await rpc(url, "eth_getCode", [c.registry, "latest"])).to.equal(code);
      }
    });

    // The same chain and registry; the parties are admitted there.
    watchAcrossFailover(
      "tasks: ticket:watch and decisions when one of two endpoints dies",
      async () => {
        const c = chain!;
        return { urls: c.urls, registry: c.registry, env: c.env, stop: async () => undefined };
      },
    );
  });
}
