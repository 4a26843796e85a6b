/**
 * Deployment to a separate node configured like a free-gas Besu chain (anvil: london, chain id
 * 1337, gas price and base fee 0, Besu-style genesis), through Ignition over JSON-RPC.
 */
import { mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";
import { Contract, Wallet, encodeBytes32String, hexlify, randomBytes } from "ethers";
import hre from "hardhat";

import {
  deployRegistry,
  findRegistryAddress,
  REGISTRY_FUTURE_ID,
} from "../../lib/chain/deployment.js";
import { partyKeys } from "../../lib/testing/keys.js";
import { FailoverProvider } from "../../lib/chain/failover.js";
import {
  DEV_ACCOUNTS,
  connectHardhat,
  rpc,
  startPrivateChain,
  type PrivateChain,
} from "../../lib/testing/anvil.js";

const [admin, bank, broker] = DEV_ACCOUNTS;

async function registryAbi() {
  return (await hre.artifacts.readArtifact("SettlementRegistry")).abi;
}

for (const blockTime of [undefined, 1]) {
  const label = blockTime === undefined ? "a block per transaction" : `a ${blockTime} s block time`;

  describe(`deployment to a london private chain (anvil, ${label})`, function () {
    let chain: PrivateChain | undefined;
    let provider: FailoverProvider | undefined;

    before(async function () {
      chain = await startPrivateChain({ blockTime });
      provider = await FailoverProvider.connect([chain.node.url], {
        networkName: "privnet",
        chainId: 1337,
        pollingInterval: 100,
      });
    });

    after(async function () {
      provider?.destroy();
      await chain?.stop();
    });

    it("records the address per chain id where the tasks find it", async function () {
      const c = chain as PrivateChain;
      const file = path.join(
        hre.config.paths.ignition,
        "deployments",
        c.deploymentId,
        "deployed_addresses.json",
      );
      const recorded = JSON.parse(await readFile(file, "utf8")) as Record<string, string>;
      expect(recorded[REGISTRY_FUTURE_ID]).to.equal(c.registry);
      const found = await findRegistryAddress({
        chainId: 1337,
        networkName: "privnet",
        deploymentId: c.deploymentId,
        ignitionDir: hre.config.paths.ignition,
        provider: provider as FailoverProvider,
      });
      expect(found).to.equal(c.registry);
    });

    it("lets zero-balance accounts transact at gas price 0 (raw, signed locally)", async function () {
      const p = provider as FailoverProvider;
      const registry = new Contract(chain!.registry, await registryAbi(), p);
      expect(await p.getBalance(bank.address)).to.equal(0n);

      await (
        await (registry.connect(p.signer(admin.privateKey)) as Contract).admitParty(
          bank.address,
          encodeBytes32String("custodian-bank"),
        )
      ).wait();
      const keys = partyKeys(`bank-${hexlify(randomBytes(4))}`);
      const tx = await (registry.connect(p.signer(bank.privateKey)) as Contract).registerKeys(
        keys.viewingKey,
        keys.spendingKey,
      );
      const receipt = await tx.wait();
      expect(receipt?.status).to.equal(1);
      expect(tx.type).to.equal(0);
      expect(tx.gasPrice).to.equal(0n);
      expect((await registry.partyKeys(bank.address, 1))[0]).to.equal(keys.viewingKey);
      expect(await p.getBalance(bank.address)).to.equal(0n);
    });

    it("lets zero-balance accounts transact through a Hardhat connection with gasPrice 0", async function () {
      const connection = await connectHardhat(chain!.node, {
        accounts: [admin.privateKey, broker.privateKey],
      });
      try {
        const { ethers } = connection;
        const [adminSigner, brokerSigner] = await ethers.getSigners();
        const registry = new Contract(chain!.registry, await registryAbi(), adminSigner);
        await (
          await registry.admitParty(broker.address, encodeBytes32String("securities-firm"))
        ).wait();
        expect(await ethers.provider.getBalance(broker.address)).to.equal(0n);
        const keys = partyKeys(`broker-${hexlify(randomBytes(4))}`);
        const receipt = await (
          await (registry.connect(brokerSigner) as Contract).registerKeys(
            keys.viewingKey,
            keys.spendingKey,
          )
        ).wait();
        expect(receipt?.status).to.equal(1);
        expect((await registry.partyKeys(broker.address, 1))[0]).to.equal(keys.viewingKey);
      } finally {
        await connection.close();
      }
    });

    it("deploys afresh over a stale Ignition record (no code at the recorded address), keeping the record aside", async function () {
      const deploymentId = `test-stale-${hexlify(randomBytes(4)).slice(2)}`;
      const folder = path.join(hre.config.paths.ignition, "deployments", deploymentId);
      const ghost = Wallet.createRandom().address;
      // What a restarted chain leaves behind: a record of a registry that no longer exists.
      await mkdir(folder, { recursive: true });
      await writeFile(
        path.join(folder, "deployed_addresses.json"),
        JSON.stringify({ [REGISTRY_FUTURE_ID]: ghost }),
      );
      // A deployer of its own: Ignition waits for confirmations of the admin's earlier transactions.
      const connection = await connectHardhat(chain!.node, {
        accounts: [DEV_ACCOUNTS[DEV_ACCOUNTS.length - 1].privateKey],
      });
      try {
        const deployed = await deployRegistry(hre, connection, { deploymentId });
        expect(deployed.staleRecord?.address).to.equal(ghost);
        expect(deployed.address).to.not.equal(ghost);
        expect(
          await rpc(chain!.node.url, "eth_getCode", [deployed.address, "latest"]),
        ).to.not.equal("0x");
        const recorded = JSON.parse(
          await readFile(path.join(folder, "deployed_addresses.json"), "utf8"),
        ) as Record<string, string>;
        expect(recorded[REGISTRY_FUTURE_ID]).to.equal(deployed.address);
      } finally {
        await connection.close();
        await rm(folder, { recursive: true, force: true });
        const aside = (await readdir(path.dirname(folder))).filter((f) =>
          f.startsWith(`${deploymentId}.stale-`),
        );
        expect(aside, "the stale record is kept aside").to.have.length(1);
        for (const f of aside)
          await rm(path.join(path.dirname(folder), f), { recursive: true, force: true });
      }
    });

    it("runs like a Besu chain: chain id 1337, base fee 0, genesis balances", async function () {
      const node = chain!.node;
      expect(await rpc(node.url, "eth_chainId")).to.equal("0x539");
      const block = (await rpc(node.url, "eth_getBlockByNumber", ["latest", false])) as {
        baseFeePerGas: string;
      };
      expect(BigInt(block.baseFeePerGas)).to.equal(0n);
      const stranger = Wallet.createRandom().address;
      expect(await rpc(node.url, "eth_getBalance", [stranger, "latest"])).to.equal("0x0");
    });
  });
}
