/**
 * Regression tests of the outside audit's findings that the client closes, each played through
 * the client library (`lib/app`) on a fresh in-process chain: an approval bound to the version its
 * approver read, a front-run create that cannot take the victim's record, reasons that never reach
 * the chain, junk announcements that break nobody's tools, and secrets kept owner-only on disk.
 * (Suspension and re-routing: test/app/membership.ts; a stale Ignition record:
 * test/integration/deploy.ts; the route graph: ./route-graph.ts.)
 */
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";
import { Wallet, hexlify, randomBytes, toUtf8Bytes, type Log } from "ethers";
import hre from "hardhat";

import { actAs, createApp, type Actor, type App } from "../../lib/app/context.js";
import { createTicket } from "../../lib/app/create.js";
import { mySlotIn } from "../../lib/app/inbox.js";
import { admitParty, registerKey } from "../../lib/app/parties.js";
import { stealthRouteFor } from "../../lib/app/sealing.js";
import {
  amendTicket,
  approveTicket,
  cancelTicket,
  rejectTicket,
  showTicket,
} from "../../lib/app/tickets.js";
import { listTickets } from "../../lib/app/watch.js";
import { deriveStealthRoute, stealthPrivateKey } from "../../lib/crypto/stealth.js";
import { ContractError, PartyError } from "../../lib/errors.js";
import { SqliteEnvelopeStore } from "../../lib/store/sqlite.js";
import { readTradeFile } from "../../lib/ticket/file.js";
import { recordKey } from "../../lib/ticket/id.js";
import type { Trade } from "../../lib/ticket/schema.js";

const NAMES = ["asset-manager", "custodian-bank", "csd", "mallory"] as const;

describe("hardening: the audit's findings, closed in the client", function () {
  this.timeout(120_000);
  let dataDir: string;
  let app: App;
  let trade: Trade;
  let provider: Awaited<ReturnType<typeof hre.network.create>>["ethers"]["provider"];
  const actors = new Map<string, Actor>();
  const actor = (name: (typeof NAMES)[number]) => actors.get(name)!;

  before(async function () {
    const { ethers } = await hre.network.create();
    provider = ethers.provider;
    const signers = await ethers.getSigners();
    const registry = await ethers.deployContract("SettlementRegistry", [signers[0].address]);
    dataDir = await mkdtemp(join(tmpdir(), "sr-hardening-"));
    app = await createApp({
      provider,
      signers,
      store: SqliteEnvelopeStore.open(join(dataDir, "store")),
      config: { registry: await registry.getAddress(), dataDir, delivery: false },
    });
    for (const [i, name] of NAMES.entries()) {
      await admitParty(app, signers[0], signers[i + 1].address, name);
      await registerKey(app, await actAs(app, name));
      actors.set(name, await actAs(app, name));
    }
    trade = await readTradeFile("examples/dvp-japanese-equity-buy.json");
  });

  after(async function () {
    await rm(dataDir, { recursive: true, force: true });
  });

  it("an approval signed for a version that was since amended fails with one line naming the current version", async function () {
    const { id, ticketKey } = await createTicket(app, actor("asset-manager"), {
      trade,
      route: ["custodian-bank", "csd"],
    });
    // The bank reads version 1 and prepares its approval: its slot and one-time signer.
    const v1 = await app.registry.ticket(ticketKey);
    const bank = actor("custodian-bank");
    const match = mySlotIn(bank, v1)!;
    const signer = new Wallet(stealthPrivateKey(bank.keys[0].spendingPrivateKey, match), provider);
    // Meanwhile the originator amends the open ticket to 9,000 units.
    const bigger = { ...trade, quantity: { ...trade.quantity, amount: "9000" } };
    await amendTicket(app, actor("asset-manager"), id, bigger);

    const registry = bank.registry.connect(signer);
    registry.nameTicket(ticketKey, id);
    const stale = await registry
      .send(() => registry.contract.approve(ticketKey, 1, v1.route, { type: 0, gasPrice: 0n }))
      .catch((e: unknown) => e);
    expect(stale).to.be.instanceOf(ContractError);
    expect((stale as ContractError).errorName).to.equal("SettlementRegistryStaleVersion");
    expect((stale as ContractError).oneLine()).to.equal(
      `ticket ${id} is at version 2 now, not 1: re-open it (ticket:show) and decide on version 2`,
    );
    // The task opens and verifies the current version before it signs: it approves what it read.
    const view = await showTicket(app, bank, id);
    expect(view.trade.quantity.amount).to.equal("9000");
    const approved = await approveTicket(app, bank, id);
    expect(approved.version).to.equal(2);
  });

  it("a copied pending create makes the copier's own record; the victim's create lands and its retry reports it", async function () {
    await provider.send("evm_setAutomine", [false]);
    let victim: ReturnType<typeof createTicket>;
    let copied: Awaited<ReturnType<Wallet["sendTransaction"]>>;
    try {
      victim = createTicket(app, actor("asset-manager"), { trade, route: ["custodian-bank"] });
      // Mallory copies the create from the mempool and outbids it.
      let pending: { from: string; to: string; input: string }[] = [];
      for (let i = 0; i < 200 && pending.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
        const block = (await provider.send("eth_getBlockByNumber", ["pending", true])) as {
          transactions: { from: string; to: string; input: string }[];
        };
        pending = block.transactions;
      }
      expect(pending).to.have.length(1);
      const mallory = actor("mallory").signer;
      copied = await mallory.sendTransaction({
        to: pending[0].to,
        data: pending[0].input,
        gasPrice: 10n ** 10n,
        type: 0,
      });
      await provider.send("evm_mine", []);
    } finally {
      await provider.send("evm_setAutomine", [true]);
    }
    const created = await victim;
    expect((await copied.wait())?.status).to.equal(1);

    // Both landed, under different keys: the victim's record is its own.
    const own = await app.registry.ticket(created.ticketKey);
    expect(own.originator).to.equal(actor("asset-manager").party.address);
    const ref = app.registry.contract.interface.parseTransaction({ data: copied.data })!.args[0];
    const copy = await app.registry.ticket(recordKey(actor("mallory").party.address, ref));
    expect(copy.originator).to.equal(actor("mallory").party.address);
    expect(copy.key).to.not.equal(created.ticketKey);

    // The victim retries with --id as the tool advises: it finds its own record.
    const retry = await createTicket(app, actor("asset-manager"), {
      trade,
      route: ["custodian-bank"],
      id: created.id,
    });
    expect(retry).to.include({ alreadyRegistered: true, ticketKey: created.ticketKey });
    // The route party sees the real ticket by its ID; the copy never opens.
    const rows = await listTickets(app, actor("custodian-bank"), "all");
    expect(rows.find((r) => r.ticketKey === created.ticketKey)?.id).to.equal(created.id);
    expect(rows.find((r) => r.ticketKey === copy.key.toLowerCase())?.id).to.equal(undefined);
    // And the victim can still cancel its ticket.
    expect((await cancelTicket(app, actor("asset-manager"), created.id)).status).to.equal(
      "cancelled",
    );
  });

  it("several reasons and a note travel only in envelopes: the chain holds a commitment", async function () {
    const from = await provider.getBlockNumber();
    const { id } = await createTicket(app, actor("asset-manager"), {
      trade,
      route: ["custodian-bank", "csd"],
    });
    await approveTicket(app, actor("custodian-bank"), id);
    const returned = await rejectTicket(app, actor("csd"), id, {
      reason: "NMAT/DDAT,PEND/MONY,REJT/JASDEC/X001",
      note: "date and cash both differ",
    });
    expect(returned.reasons.map((r) => r.code)).to.deep.equal(["DDAT", "MONY", "X001"]);
    const logs: Log[] = await provider.getLogs({ fromBlock: from, toBlock: "latest" });
    const calldata: string[] = [];
    for (let b = from; b <= (await provider.getBlockNumber()); b++) {
      const block = await provider.getBlock(b, true);
      for (const tx of block?.prefetchedTransactions ?? []) calldata.push(tx.data);
    }
    const chain = [...calldata, ...logs.flatMap((l) => [l.data, ...l.topics])]
      .join("")
      .toLowerCase();
    for (const needle of [
      "NMAT",
      "DDAT",
      "PEND",
      "PENF",
      "MONY",
      "REJT",
      "JASDEC",
      "X001",
      "date and cash",
    ]) {
      expect(chain, needle).to.not.include(hexlify(toUtf8Bytes(needle)).slice(2));
    }
    // Every route party and the originator read them, in order, with the note.
    for (const name of ["asset-manager", "custodian-bank", "csd"] as const) {
      const view = await showTicket(app, actor(name), id);
      const ret = view.history.find((h) => h.kind === "returned");
      expect(
        ret?.kind === "returned" && ret.reasons?.map((r) => `${r.qualifier}/${r.code}`),
      ).to.deep.equal(["NMAT/DDAT", "PEND/MONY", "REJT/X001"]);
      expect(ret?.byName).to.equal("csd");
      expect(ret?.note).to.equal("date and cash both differ");
    }
  });

  it("junk announcements (copies, random routes and keys) break no party's tools", async function () {
    const mallory = actor("mallory");
    for (let i = 0; i < 4; i++) {
      const junk = deriveStealthRoute([
        {
          viewingKey: hexlify(randomBytes(32)),
          spendingKey: Wallet.createRandom().signingKey.compressedPublicKey,
        },
      ]).route;
      const eph = deriveStealthRoute([
        {
          viewingKey: actor("csd").keys[0].publicKey,
          spendingKey: actor("csd").keys[0].spendingPublicKey,
        },
      ]);
      await mallory.registry.send(() =>
        mallory.registry.contract.createTicket(
          hexlify(randomBytes(32)),
          hexlify(randomBytes(32)),
          hexlify(randomBytes(32)),
          i % 2 === 0 ? junk : eph.route,
          eph.ephemeralKey,
          eph.viewTags,
        ),
      );
    }
    // The CSD is "on" two junk tickets whose envelopes do not exist: they stay unnamed, and its
    // real tickets list, show and approve as before.
    const { id } = await createTicket(app, actor("asset-manager"), { trade, route: ["csd"] });
    const rows = await listTickets(app, actor("csd"), "waiting");
    expect(rows.filter((r) => r.id !== undefined).map((r) => r.id)).to.include(id);
    expect((await showTicket(app, actor("csd"), id)).status).to.equal("open");
    expect((await approveTicket(app, actor("csd"), id)).status).to.equal("completed");
  });

  it("one unusable key fails only the tickets that name it, with one line naming its holder", async function () {
    const csd = await app.registry.resolveParty("csd");
    // A low-order x25519 key, as the audit registered on the old registry (v2 refuses it).
    const broken = { ...csd, name: "broken-party", encryptionKey: `0x01${"00".repeat(31)}` };
    const refused = (() => {
      try {
        stealthRouteFor([csd, broken]);
      } catch (error) {
        return error;
      }
    })();
    expect(refused).to.be.instanceOf(PartyError);
    expect((refused as PartyError).shortMessage).to.equal(
      "broken-party has registered keys that cannot be used",
    );
    expect(stealthRouteFor([csd]).stealth.route).to.have.length(1);
  });

  it("keeps every secret on disk owner-only: data and party folders 0700, index and journals 0600", async function () {
    const modes: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      modes.push(`${dir}:${((await stat(dir)).mode & 0o777).toString(8)}`);
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await walk(path);
        else modes.push(`${path}:${((await stat(path)).mode & 0o777).toString(8)}`);
      }
    };
    await walk(join(dataDir, "parties"));
    expect(((await stat(dataDir)).mode & 0o777).toString(8)).to.equal("700");
    const files = modes.filter((m) => /\.json:/.test(m));
    expect(files.some((m) => m.includes("index.json"))).to.equal(true);
    // The party index (`index.sqlite`, ID → key) and its journal files are owner-only too.
    for (const m of modes) expect(m).to.match(/\.(json|sqlite(-wal|-shm)?):600$|[^n]:700$/);
  });
});
