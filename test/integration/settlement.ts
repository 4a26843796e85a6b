/**
 * The client's answers to what a real network does (docs/private-chain.md, section 7), checked
 * on anvil where a test can steer the blocks: log queries in pieces, a settlement depth, and the
 * configuration variables behind them. The same behaviour on Geth is in test/geth/.
 */
import { expect } from "chai";
import { Wallet } from "ethers";
import hre from "hardhat";

import { FailoverProvider } from "../../lib/chain/failover.js";
import { resolveChainSettings } from "../../lib/chain/node.js";
import { ConfigError } from "../../lib/errors.js";
import {
  DEV_ACCOUNTS,
  rpc,
  startAnvil,
  startRpcProxy,
  type AnvilNode,
} from "../../lib/testing/anvil.js";

/** Runs `body` with the environment variables `vars` set. */
async function withEnv<T>(vars: Record<string, string>, body: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await body();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe("settlement depth, log pieces and their settings", function () {
  let node: AnvilNode | undefined;

  before(async function () {
    node = await startAnvil({ genesis: true, noMining: true });
  });

  after(async function () {
    await node?.stop();
  });

  const mine = (n: number) => rpc(node!.url, "anvil_mine", [`0x${n.toString(16)}`]);

  it("asks for logs in pieces and returns the same logs as one query", async function () {
    const sender = new Wallet(DEV_ACCOUNTS[0].privateKey);
    const whole = await FailoverProvider.connect([node!.url], { chainId: 1337 });
    const pieces = await FailoverProvider.connect([node!.url], { chainId: 1337, logRange: 3 });
    const proxy = await startRpcProxy(node!.url);
    const viaProxy = await FailoverProvider.connect([proxy.url], { chainId: 1337, logRange: 3 });
    try {
      // Ten blocks with one log each: a contract whose init code emits LOG0 and stops.
      for (let i = 0; i < 10; i++) {
        await whole.signer(sender).sendTransaction({ data: "0x60006000a000" });
        await mine(1);
      }
      const expected = await whole.getLogs({ fromBlock: 0, toBlock: "latest" });
      expect(expected).to.have.length(10);
      const got = await pieces.getLogs({ fromBlock: 0, toBlock: "latest" });
      expect(got.map((l) => `${l.blockNumber}:${l.index}`)).to.deep.equal(
        expected.map((l) => `${l.blockNumber}:${l.index}`),
      );
      // A raw query (as a cold scan of announcements sends it) goes in pieces too.
      const asked = proxy.methods.filter((m) => m === "eth_getLogs").length;
      const raw = (await viaProxy.send("eth_getLogs", [
        { fromBlock: "0x0", toBlock: "latest" },
      ])) as {
        blockNumber: string;
        logIndex: string;
      }[];
      expect(raw.map((l) => `${Number(l.blockNumber)}:${Number(l.logIndex)}`)).to.deep.equal(
        expected.map((l) => `${l.blockNumber}:${l.index}`),
      );
      const head = Number(await rpc(node!.url, "eth_blockNumber"));
      expect(proxy.methods.filter((m) => m === "eth_getLogs").length - asked).to.equal(
        Math.ceil((head + 1) / 3),
      );
    } finally {
      whole.destroy();
      pieces.destroy();
      viaProxy.destroy();
      await proxy.kill();
    }
  });

  it("shows a receipt and a log only once N blocks follow its block", async function () {
    const settled = await FailoverProvider.connect([node!.url], {
      chainId: 1337,
      confirmations: 2,
    });
    try {
      const head = Number(await rpc(node!.url, "eth_blockNumber"));
      expect(await settled.getBlockNumber()).to.equal(head - 2);
      const tx = await settled
        .signer(new Wallet(DEV_ACCOUNTS[0].privateKey))
        .sendTransaction({ data: "0x60006000a000" });
      await mine(1);
      expect(await rpc(node!.url, "eth_getTransactionReceipt", [tx.hash])).to.not.equal(null);
      expect(await settled.getTransactionReceipt(tx.hash)).to.equal(null);
      expect(await settled.getLogs({ fromBlock: head + 1, toBlock: "latest" })).to.deep.equal([]);
      await mine(2);
      expect((await settled.getTransactionReceipt(tx.hash))?.blockNumber).to.equal(head + 1);
      expect(await settled.getLogs({ fromBlock: head + 1, toBlock: "latest" })).to.have.length(1);
    } finally {
      settled.destroy();
    }
  });

  it("reads gas price, confirmations and log range from the network's variables", async function () {
    const settings = await withEnv(
      {
        SR_PRIVNET_RPC_URLS: node!.url,
        SR_PRIVNET_GAS_PRICE: "auto",
        SR_PRIVNET_CONFIRMATIONS: "2",
        SR_PRIVNET_LOG_RANGE: "1000",
      },
      () => resolveChainSettings(hre, "privnet"),
    );
    expect(settings).to.include({ gasPrice: "auto", confirmations: 2, logRange: 1000 });
    const defaults = await withEnv({ SR_PRIVNET_RPC_URLS: node!.url }, () =>
      resolveChainSettings(hre, "privnet"),
    );
    expect(defaults).to.include({ gasPrice: 0n, confirmations: 0, logRange: undefined });
  });

  for (const [name, value, message] of [
    [
      "SR_PRIVNET_CONFIRMATIONS",
      "two",
      'SR_PRIVNET_CONFIRMATIONS is not a number of blocks: "two"',
    ],
    ["SR_PRIVNET_GAS_PRICE", "-1", 'SR_PRIVNET_GAS_PRICE is not a price in wei: "-1"'],
    ["SR_PRIVNET_LOG_RANGE", "0", 'SR_PRIVNET_LOG_RANGE is not a number of blocks: "0"'],
  ] as const) {
    it(`refuses ${name}=${value} naming the variable`, async function () {
      let error: unknown;
      try {
        await withEnv({ SR_PRIVNET_RPC_URLS: node!.url, [name]: value }, () =>
          resolveChainSettings(hre, "privnet"),
        );
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(ConfigError);
      expect((error as ConfigError).shortMessage).to.equal(message);
    });
  }
});
