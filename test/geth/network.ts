/**
 * What a real Geth node does differently from anvil, each difference pinned by a test
 * (docs/private-chain.md, "What differs on Geth"): who accepts a zero-price transaction, log
 * queries past a node's head, finality, the EVM.
 */
import { expect } from "chai";
import { Transaction, Wallet } from "ethers";

import { FailoverProvider } from "../../lib/chain/failover.js";
import { probeNodeEvm } from "../../lib/chain/evm.js";
import { DEV_ACCOUNTS, rpc } from "../../lib/testing/anvil.js";
import {
  blockNumber,
  gethUnavailable,
  startCliqueNetwork,
  startGethDev,
  waitFor,
  type CliqueNetwork,
  type DevNode,
} from "../../lib/testing/geth.js";

const unavailable = gethUnavailable();
const suite = unavailable === undefined ? describe : describe.skip;
const skipped = unavailable === undefined ? "" : ` (skipped: ${unavailable})`;

interface Receipt {
  blockNumber: string;
  status: string;
}

async function receiptOf(url: string, hash: string): Promise<Receipt> {
  return waitFor(`the receipt of ${hash}`, async () => {
    const r = (await rpc(url, "eth_getTransactionReceipt", [hash])) as Receipt | null;
    return r ?? undefined;
  });
}

/** JSON-RPC to one node, with the error code kept (what the EVM probe reads as "refused"). */
function sendTo(url: string) {
  return async (method: string, params: unknown[]): Promise<unknown> => {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    });
    const body = (await response.json()) as {
      result?: unknown;
      error?: { code: number; message: string };
    };
    if (body.error !== undefined) throw Object.assign(new Error(body.error.message), body.error);
    return body.result;
  };
}

async function sealer(url: string, block: string): Promise<string> {
  return ((await rpc(url, "clique_getSigner", [block])) as string).toLowerCase();
}

suite(`Geth 1.13 Clique network of four sealing nodes${skipped}`, function () {
  this.timeout(300_000);
  let net: CliqueNetwork | undefined;

  before(async function () {
    net = await startCliqueNetwork({ signers: 4 });
  });

  after(async function () {
    await net?.stop();
  });

  it("seals about a block a second, every signer in turn, every node peered with the others", async function () {
    const { nodes } = net!;
    const signers = ((await rpc(nodes[0].url, "clique_getSigners", ["latest"])) as string[]).map(
      (a) => a.toLowerCase(),
    );
    expect(signers).to.deep.equal(nodes.map((n) => n.address.toLowerCase()));
    for (const n of nodes) expect(Number(await rpc(n.url, "net_peerCount"))).to.equal(3);
    const start = await blockNumber(nodes[0].url);
    await waitFor("eight more blocks", async () => (await blockNumber(nodes[0].url)) >= start + 8);
    const sealers = new Set<string>();
    for (let n = start + 1; n <= start + 8; n++) {
      sealers.add(await sealer(nodes[0].url, `0x${n.toString(16)}`));
    }
    expect([...sealers].sort()).to.deep.equal([...signers].sort());
  });

  it("takes a zero-price transaction only from its own clients: peers refuse it as gossip", async function () {
    const { nodes, chainId } = net!;
    // Sent to node 0 alone, a zero-price transfer waits for a block node 0 seals itself.
    const alone = await FailoverProvider.connect([nodes[0].url], {
      chainId,
      broadcast: "first",
    });
    try {
      const wallet = new Wallet(DEV_ACCOUNTS[7].privateKey);
      expect(await alone.getBalance(wallet.address)).to.equal(0n);
      for (let i = 0; i < 3; i++) {
        const tx = await alone.signer(wallet).sendTransaction({ to: wallet.address, value: 0n });
        const receipt = await receiptOf(nodes[0].url, tx.hash);
        expect(receipt.status).to.equal("0x1");
        expect(await sealer(nodes[0].url, receipt.blockNumber)).to.equal(
          nodes[0].address.toLowerCase(),
        );
        // If peers took the gossip, the next in-turn signer (node 0 one time in four) would seal it.
      }
    } finally {
      alone.destroy();
    }
  });

  it("seals a zero-price transaction from a zero-balance account in the next block once every node holds it", async function () {
    const { nodes, urls, chainId } = net!;
    const all = await FailoverProvider.connect(urls, { chainId });
    try {
      const wallet = new Wallet(DEV_ACCOUNTS[8].privateKey);
      const sealedBy = new Set<string>();
      for (let i = 0; i < 4; i++) {
        const head = await blockNumber(nodes[0].url);
        const tx = await all.signer(wallet).sendTransaction({ to: wallet.address, value: 0n });
        const receipt = await receiptOf(nodes[0].url, tx.hash);
        expect(Number(receipt.blockNumber)).to.be.at.most(head + 2);
        sealedBy.add(await sealer(nodes[0].url, receipt.blockNumber));
        expect(Transaction.from(tx).gasPrice).to.equal(0n);
      }
      expect(await all.getBalance(wallet.address)).to.equal(0n);
      expect(sealedBy.size).to.be.greaterThan(1);
    } finally {
      all.destroy();
    }
  });

  it("has no finalized block: Clique gives no finality, so clients wait for confirmations", async function () {
    let error: unknown;
    try {
      await rpc(net!.urls[0], "eth_getBlockByNumber", ["finalized", false]);
    } catch (e) {
      error = e;
    }
    expect(String(error)).to.match(/finalized block not found/);
  });

  it("answers a log query past its head with fewer logs and no error", async function () {
    const head = await blockNumber(net!.urls[0]);
    const logs = await rpc(net!.urls[0], "eth_getLogs", [
      { fromBlock: "0x0", toBlock: `0x${(head + 1000).toString(16)}` },
    ]);
    expect(logs).to.deep.equal([]);
  });

  it("runs the london EVM: neither PUSH0 nor TLOAD (Clique stops before Shanghai)", async function () {
    expect(await probeNodeEvm(sendTo(net!.urls[0]))).to.deep.equal({ push0: false, cancun: false });
  });

  it("sends again what only a killed node held, and it lands once (kept last: kills node 3)", async function () {
    const { nodes, urls, chainId } = net!;
    const victim = nodes[3];
    // Node 3 first, no copies to the others: only node 3 holds the transaction.
    const p = await FailoverProvider.connect([victim.url, ...urls.slice(0, 3)], {
      chainId,
      broadcast: "first",
      pollingInterval: 100,
    });
    try {
      const wallet = new Wallet(DEV_ACCOUNTS[6].privateKey);
      const nonce = await p.getTransactionCount(wallet.address);
      // Right after a block node 3 sealed, Clique lets it seal none of the next two.
      const start = await blockNumber(victim.url);
      await waitFor(
        "a block sealed by node 3",
        async () => {
          const head = await blockNumber(victim.url);
          return (
            head > start &&
            (await sealer(victim.url, `0x${head.toString(16)}`)) === victim.address.toLowerCase()
          );
        },
        30_000,
        50,
      );
      const tx = await p.signer(wallet).sendTransaction({ to: wallet.address, value: 0n });
      await victim.kill9();
      const receipt = await tx.wait(1, 30_000);
      expect(receipt?.status).to.equal(1);
      expect(await sealer(urls[0], `0x${receipt!.blockNumber.toString(16)}`)).to.not.equal(
        victim.address.toLowerCase(),
      );
      expect(await p.getTransactionCount(wallet.address)).to.equal(nonce + 1);
    } finally {
      p.destroy();
    }
  });
});

suite(`geth --dev of the current release${skipped}`, function () {
  this.timeout(120_000);
  let dev: DevNode | undefined;

  before(async function () {
    dev = await startGethDev();
  });

  after(async function () {
    await dev?.stop();
  });

  it("refuses a zero-price transaction, even from a funded account sent to its own RPC", async function () {
    const wallet = new Wallet(DEV_ACCOUNTS[9].privateKey);
    const raw = await wallet.signTransaction({
      type: 0,
      chainId: dev!.chainId,
      nonce: 0,
      to: wallet.address,
      value: 0n,
      gasLimit: 21_000n,
      gasPrice: 0n,
    });
    let error: unknown;
    try {
      await rpc(dev!.url, "eth_sendRawTransaction", [raw]);
    } catch (e) {
      error = e;
    }
    expect(String(error)).to.match(/transaction gas price below minimum: gas tip cap 0/);
  });

  it("refuses a log query past its head", async function () {
    const head = await blockNumber(dev!.url);
    let error: unknown;
    try {
      await rpc(dev!.url, "eth_getLogs", [
        { fromBlock: "0x0", toBlock: `0x${(head + 1000).toString(16)}` },
      ]);
    } catch (e) {
      error = e;
    }
    expect(String(error)).to.match(/beyond current head block/);
  });

  it("runs a cancun-or-later EVM: PUSH0 and TLOAD execute", async function () {
    expect(await probeNodeEvm(sendTo(dev!.url))).to.deep.equal({ push0: true, cancun: true });
  });
});
