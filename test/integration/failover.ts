/**
 * Zero downtime: two RPC endpoints in front of one chain (proxies standing in for two consortium
 * nodes); one dies between steps or while a transaction is in flight. Reads and writes go on, no
 * transaction is sent twice, and nonces stay right under concurrent submission.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { Contract, Transaction, encodeBytes32String, type InterfaceAbi } from "ethers";
import hre from "hardhat";

import { findRegistryAddress } from "../../lib/chain/deployment.js";
import { FailoverProvider, TransactionFateError } from "../../lib/chain/failover.js";
import { connectChain, resolveChainSettings } from "../../lib/chain/node.js";
import { ChainError } from "../../lib/errors.js";
import {
  DEV_ACCOUNTS,
  rpc,
  startAnvil,
  startPrivateChain,
  startRpcProxy,
  type AnvilNode,
  type PrivateChain,
  type RpcProxy,
} from "../../lib/testing/anvil.js";

const [admin, ...others] = DEV_ACCOUNTS;

async function nonceOf(url: string, address: string, tag = "latest"): Promise<number> {
  return Number(await rpc(url, "eth_getTransactionCount", [address, tag]));
}

/** A zero-value transfer: free on a zero-gas chain, so zero-balance accounts can send it. */
function ping(to: string) {
  return { to, value: 0n };
}

describe("failover between two endpoints of one chain", function () {
  let chain: PrivateChain | undefined;
  let abi: InterfaceAbi;
  let a: RpcProxy | undefined;
  let b: RpcProxy | undefined;
  let provider: FailoverProvider | undefined;

  before(async function () {
    chain = await startPrivateChain();
    abi = (await hre.artifacts.readArtifact("SettlementRegistry")).abi as InterfaceAbi;
  });

  beforeEach(async function () {
    a = await startRpcProxy(chain!.node.url);
    b = await startRpcProxy(chain!.node.url);
    provider = await FailoverProvider.connect([a.url, b.url], {
      networkName: "privnet",
      chainId: 1337,
      pollingInterval: 50,
    });
  });

  afterEach(async function () {
    provider?.destroy();
    await a?.kill();
    await b?.kill();
  });

  after(async function () {
    await chain?.stop();
  });

  it("keeps reading and writing when the first endpoint dies between steps", async function () {
    const p = provider!;
    const registry = new Contract(chain!.registry, abi, p.signer(admin.privateKey));
    const count = Number(await registry.partyCount());
    const nonce = await nonceOf(chain!.node.url, admin.address);

    await (await registry.admitParty(others[5].address, encodeBytes32String("party-a"))).wait();
    expect(p.activeEndpoint).to.equal(a!.url);
    expect(a!.methods).to.include("eth_sendRawTransaction");

    await a!.kill();
    expect(Number(await registry.partyCount())).to.equal(count + 1);
    await (await registry.admitParty(others[6].address, encodeBytes32String("party-b"))).wait();
    expect(Number(await registry.partyCount())).to.equal(count + 2);

    expect(p.activeEndpoint).to.equal(b!.url);
    expect(p.health().map((h) => h.up)).to.deep.equal([false, true]);
    expect(b!.methods).to.include("eth_sendRawTransaction");
    // Exactly two transactions from the admin: nothing was sent twice.
    expect(await nonceOf(chain!.node.url, admin.address)).to.equal(nonce + 2);
  });

  it("keeps nonces right under concurrent submission from several accounts across a failover", async function () {
    const p = provider!;
    const senders = others.slice(0, 4).map((acc) => p.signer(acc.privateKey));
    const start = await Promise.all(senders.map((s) => nonceOf(chain!.node.url, s.address)));
    const round = () =>
      Promise.all(
        senders.flatMap((s) =>
          Array.from({ length: 5 }, () => s.sendTransaction(ping(admin.address))),
        ),
      );

    const first = await round();
    await a!.kill();
    const second = await round();
    const sent = [...first, ...second];
    const receipts = await Promise.all(sent.map((tx) => tx.wait()));

    expect(receipts.every((r) => r?.status === 1)).to.equal(true);
    expect(new Set(sent.map((tx) => tx.hash)).size).to.equal(sent.length);
    for (const [i, s] of senders.entries()) {
      const nonces = sent.filter((tx) => tx.from === s.address).map((tx) => tx.nonce);
      expect(nonces.sort((x, y) => x - y)).to.deep.equal(
        Array.from({ length: 10 }, (_, k) => start[i] + k),
      );
      expect(await nonceOf(chain!.node.url, s.address)).to.equal(start[i] + 10);
    }
  });

  it("resolves a send whose endpoint died after receiving it, and sends it only once", async function () {
    const p = provider!;
    const signer = p.signer(others[7].privateKey);
    const nonce = await nonceOf(chain!.node.url, signer.address);
    a!.dieOn("eth_sendRawTransaction", "after");

    const record = await signer.send(ping(admin.address));
    await a!.died;
    expect(record.status).to.equal("mined");
    expect((await p.waitForTransaction(record.hash))?.status).to.equal(1);
    expect(await p.resolveTransaction(record)).to.equal("mined");
    expect(await nonceOf(chain!.node.url, signer.address)).to.equal(nonce + 1);
  });

  it("re-broadcasts the same signed bytes when the endpoint died before receiving them", async function () {
    const p = provider!;
    const signer = p.signer(others[8].privateKey);
    const nonce = await nonceOf(chain!.node.url, signer.address);
    a!.dieOn("eth_sendRawTransaction", "before");

    const tx = await signer.sendTransaction(ping(admin.address));
    await a!.died;
    expect(a!.methods).not.to.include("eth_sendRawTransaction");
    expect(b!.methods).to.include("eth_sendRawTransaction");
    expect((await tx.wait())?.status).to.equal(1);
    expect(await nonceOf(chain!.node.url, signer.address)).to.equal(nonce + 1);
  });

  it("prices a transaction at the network's price, never above the caller's maxFeePerGas", async function () {
    const priced = await FailoverProvider.connect([b!.url], {
      networkName: "privnet",
      chainId: 1337,
      gasPrice: 100n,
    });
    try {
      const signer = priced.signer(admin.privateKey);
      const bounded = await signer.send({ ...ping(admin.address), maxFeePerGas: 7n });
      expect(Transaction.from(bounded.raw).gasPrice).to.equal(7n);
      const above = await signer.send({ ...ping(admin.address), maxFeePerGas: 1_000n });
      expect(Transaction.from(above.raw).gasPrice).to.equal(100n);
      expect((await priced.waitForTransaction(above.hash))?.status).to.equal(1);
    } finally {
      priced.destroy();
    }
  });
});

describe("a node dies while a transaction is pending", function () {
  let node: AnvilNode | undefined;
  let proxies: RpcProxy[] = [];
  let providers: FailoverProvider[] = [];

  beforeEach(async function () {
    node = await startAnvil({ genesis: true, noMining: true });
    proxies = [await startRpcProxy(node.url), await startRpcProxy(node.url)];
  });

  afterEach(async function () {
    for (const p of providers) p.destroy();
    providers = [];
    for (const proxy of proxies) await proxy.kill();
    await node?.stop();
  });

  async function open(urls: string[]): Promise<FailoverProvider> {
    const p = await FailoverProvider.connect(urls, { networkName: "privnet", chainId: 1337 });
    providers.push(p);
    return p;
  }

  it("reports sent while it waits in a node's pool, mined once mined, and never sends it twice", async function () {
    const [a, b] = proxies;
    const p = await open([a.url, b.url]);
    const signer = p.signer(others[0].privateKey);
    a.dieOn("eth_sendRawTransaction", "after");

    const record = await signer.send(ping(admin.address));
    expect(record.status).to.equal("sent");
    expect(await nonceOf(node!.url, signer.address, "pending")).to.equal(1);

    // Another connection finds it by hash: nothing is sent again.
    const other = await open([b.url]);
    expect(await other.resolveTransaction(record)).to.equal("sent");
    expect(await nonceOf(node!.url, signer.address, "pending")).to.equal(1);

    await rpc(node!.url, "evm_mine");
    expect(await other.resolveTransaction(record)).to.equal("mined");
    expect(await nonceOf(node!.url, signer.address)).to.equal(1);
  });

  it("reports unknown when no node can tell, and a node that answers later resolves it", async function () {
    const [a, b] = proxies;
    const p = await open([a.url, b.url]);
    const signer = p.signer(others[1].privateKey);
    await b.kill();
    a.dieOn("eth_sendRawTransaction", "after");

    let error: unknown;
    try {
      await signer.send(ping(admin.address));
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(TransactionFateError);
    const fate = error as TransactionFateError;
    expect(fate.status).to.equal("unknown");
    expect(fate.oneLine()).to.match(/rerun the same command/);

    const c = await startRpcProxy(node!.url);
    proxies.push(c);
    const later = await open([c.url]);
    expect(await later.resolveTransaction(fate)).to.equal("sent");
    expect(await nonceOf(node!.url, signer.address, "pending")).to.equal(1);
  });
});

describe("bad chain configuration", function () {
  let node: AnvilNode | undefined;

  before(async function () {
    node = await startAnvil();
  });

  after(async function () {
    await node?.stop();
  });

  it("refuses a node with the wrong chain id, naming both ids", async function () {
    const settings = await resolveChainSettings(hre, "besu", {
      endpoints: [node!.url],
      chainId: 2018,
    });
    let error: unknown;
    try {
      await connectChain(settings);
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(ChainError);
    expect((error as ChainError).shortMessage).to.equal(
      `wrong chain id: network besu expects chain id 2018 (configured) but ${node!.url} reports chain id 1337`,
    );
  });

  it("says which URL it cannot reach at start, with a hint", async function () {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, "127.0.0.1", () => {
        const address = server.address();
        server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
      });
    });
    const url = `http://127.0.0.1:${port}`;
    let error: unknown;
    try {
      await FailoverProvider.connect([url], {
        networkName: "besu",
        endpointsSource: "SR_BESU_RPC_URLS",
      });
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(ChainError);
    expect((error as ChainError).shortMessage).to.equal(`cannot reach ${url}: ECONNREFUSED`);
    expect((error as ChainError).hint).to.match(/SR_BESU_RPC_URLS of network besu/);
  });

  it("starts with one endpoint down, and uses the other", async function () {
    const dead = await startRpcProxy(node!.url);
    await dead.kill();
    const p = await FailoverProvider.connect([dead.url, node!.url], { chainId: 1337 });
    try {
      expect(p.health().map((h) => h.up)).to.deep.equal([false, true]);
      expect(await p.getBlockNumber()).to.be.a("number");
    } finally {
      p.destroy();
    }
  });

  it("says the registry is not deployed on this chain, with the deploy command", async function () {
    const empty = await mkdtemp(path.join(tmpdir(), "sr-ignition-"));
    try {
      let error: unknown;
      try {
        await findRegistryAddress({ chainId: 1337, networkName: "privnet", ignitionDir: empty });
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(ChainError);
      expect((error as ChainError).shortMessage).to.equal(
        "no SettlementRegistry deployed on chain 1337 (network privnet)",
      );
      expect((error as ChainError).hint).to.include(
        "npx hardhat ignition deploy ignition/modules/SettlementRegistry.ts --network privnet",
      );

      const p = await FailoverProvider.connect([node!.url], { chainId: 1337 });
      try {
        let stale: unknown;
        try {
          await findRegistryAddress({
            chainId: 1337,
            networkName: "privnet",
            address: admin.address,
            provider: p,
          });
        } catch (e) {
          stale = e;
        }
        expect(stale).to.be.instanceOf(ChainError);
        expect((stale as ChainError).shortMessage).to.match(/no code at/);
      } finally {
        p.destroy();
      }
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
