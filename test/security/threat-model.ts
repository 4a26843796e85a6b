/**
 * One test per claim of docs/threat-model.md, played on a real (in-process) chain with the real
 * tasks, keys and embedded store. The outsider and the admin get everything an honest-but-curious
 * member of the consortium has: every block, every log, every storage slot, every file of the
 * store, and the ticket ID.
 */
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";
import { hexlify, keccak256, toUtf8Bytes, type Log } from "ethers";
import hre from "hardhat";

import { NotAPartyError, TamperError } from "../../lib/errors.js";
import { taskMode } from "../../lib/cli/output.js";
import type { CreateResult } from "../../lib/app/create.js";
import type { TicketView } from "../../lib/app/tickets.js";
import type { InboxRow } from "../../lib/app/watch.js";
import { merkleRoot } from "../../lib/crypto/merkle.js";
import { keccak } from "../../lib/crypto/abi.js";
import { CIPHERTEXT_SIZE, ENVELOPE_SIZE } from "../../lib/crypto/sealed-envelope.js";
import { ENVELOPE_DATABASE, nodeSqlite, RESERVE_ENTRIES } from "../../lib/store/sqlite.js";
import { tradeCommitment } from "../../lib/ticket/commitment.js";
import { ticketKey } from "../../lib/ticket/id.js";
import { quiet } from "../helpers/quiet.js";

const PARTIES = [
  "asset-manager",
  "custodian-bank",
  "securities-firm",
  "csd",
  "outsider",
  "operator",
];

describe("threat model: one test per claim", function () {
  this.timeout(120_000);
  let dataDir: string;
  let id: string;
  let trade: Record<string, unknown>;
  let logs: Log[];
  let calldata: string[];
  let previousRethrow: boolean;

  const run = async <T>(name: string, args: Record<string, unknown>): Promise<T> =>
    (await hre.tasks.getTask(name).run({ dataDir, registry: "", json: true, ...args })) as T;
  /** Every row of the shared embedded store, as a copy of it gives them. */
  const storeRows = () => {
    const db = new (nodeSqlite().DatabaseSync)(join(dataDir, "store", ENVELOPE_DATABASE));
    try {
      return (
        db.prepare("SELECT locator, bytes FROM envelope").all() as {
          locator: Uint8Array;
          bytes: Uint8Array;
        }[]
      ).map((r) => ({ locator: Buffer.from(r.locator), bytes: Buffer.from(r.bytes) }));
    } finally {
      db.close();
    }
  };
  const refusal = async (body: () => Promise<unknown>): Promise<unknown> => {
    try {
      await quiet(body);
    } catch (error) {
      return error;
    }
    return undefined;
  };

  before(async function () {
    previousRethrow = taskMode.rethrow;
    taskMode.rethrow = true;
    dataDir = await mkdtemp(join(tmpdir(), "sr-threat-"));
    const { ethers } = await hre.network.getOrCreate();
    const accounts = await ethers.getSigners();
    await quiet(async () => {
      await run("registry:deploy", {});
      // The operator admits itself as a party too: the strongest admin there can be.
      for (const [i, name] of PARTIES.entries()) {
        await run("party:admit", {
          address: accounts[name === "operator" ? 0 : i + 1].address,
          name,
        });
        await run("party:register-key", { as: name });
      }
      const file = join(hre.config.paths.root, "examples", "dvp-japanese-equity-buy.json");
      trade = JSON.parse(await readFile(file, "utf8"));
      const created = await run<CreateResult>("ticket:create", {
        as: "asset-manager",
        file,
        route: "custodian-bank,securities-firm,csd",
        id: "",
      });
      id = created.id;
      await run("ticket:approve", { as: "custodian-bank", id });
      await run("ticket:reject", {
        as: "securities-firm",
        id,
        reason: "LACK",
        note: "short 1,000 units",
      });
    });
    const provider = ethers.provider;
    logs = await provider.getLogs({ fromBlock: 0, toBlock: "latest" });
    calldata = [];
    for (let b = 0; b <= (await provider.getBlockNumber()); b++) {
      const block = await provider.getBlock(b, true);
      for (const tx of block?.prefetchedTransactions ?? []) calldata.push(tx.data.toLowerCase());
    }
  });

  after(async function () {
    taskMode.rethrow = previousRethrow;
    await rm(dataDir, { recursive: true, force: true });
  });

  it("an outsider who knows the ticket ID reads nothing: `not a party to this ticket`", async function () {
    const error = await refusal(() => run("ticket:show", { as: "outsider", id }));
    expect(error).to.be.instanceOf(NotAPartyError);
    expect((error as NotAPartyError).oneLine()).to.equal("not a party to this ticket");
  });

  it("the outsider's inbox is empty: it cannot find the ticket's on-chain record", async function () {
    const rows = await quiet(() =>
      run<InboxRow[]>("ticket:list", { as: "outsider", state: "all" }),
    );
    expect(rows).to.deep.equal([]);
  });

  it("the operator, even admitted as a party, cannot read a ticket it is not routed to", async function () {
    const error = await refusal(() => run("ticket:show", { as: "operator", id }));
    expect(error).to.be.instanceOf(NotAPartyError);
  });

  it("neither the chain nor the store holds the trade, the reason or the note in the clear", async function () {
    const needles = [
      String(trade.isin),
      String(trade.safekeepingAccount),
      String(trade.senderReference),
      String((trade.settlementAmount as { amount: string }).amount),
      "LACK",
      "returned",
      "short 1,000 units",
    ];
    const files = await allFiles(join(dataDir, "store"));
    for (const file of files) {
      const text = (await readFile(file)).toString("latin1");
      for (const needle of needles) expect(text, `${needle} in ${file}`).to.not.include(needle);
    }
    const chainText = [...calldata, ...logs.map((l) => l.data)].join("");
    // The reason (qualifier and code) is sealed for the route: no needle reaches the chain.
    for (const needle of [...needles, "PEND", "REJT"]) {
      expect(chainText, needle).to.not.include(hexlify(toUtf8Bytes(needle)).slice(2));
    }
  });

  it("the ticket ID appears nowhere on the chain, and its obvious hashes are not the ticket key", async function () {
    const idHex = hexlify(toUtf8Bytes(id)).slice(2).toLowerCase();
    const everything = [...calldata, ...logs.flatMap((l) => [l.data, ...l.topics])]
      .join("")
      .toLowerCase();
    expect(everything).to.not.include(idHex);
    for (const guess of [
      keccak256(toUtf8Bytes(id)),
      ticketKey(id, "0x" + "00".repeat(32), "0x" + "00".repeat(20)),
    ]) {
      expect(everything).to.not.include(guess.slice(2).toLowerCase());
    }
  });

  it("the store's entries cannot be hashed into an on-chain envelope or reason commitment", async function () {
    const rows = storeRows();
    // Every leaf an outsider might try: of the whole entry, of its committed part, with its locator.
    const leafSets = [
      rows.map((r) => hexlify(keccak(r.bytes))),
      rows.map((r) => hexlify(keccak(r.bytes.subarray(0, CIPHERTEXT_SIZE)))),
      rows.map((r) => hexlify(keccak(Buffer.concat([r.locator, r.bytes])))),
      rows.map((r) =>
        hexlify(keccak(Buffer.concat([r.locator, keccak(r.bytes.subarray(0, CIPHERTEXT_SIZE))]))),
      ),
    ];
    const onChain = logs.map((l) => l.data.toLowerCase()).join("");
    for (const leaves of leafSets) {
      for (const leaf of leaves) expect(onChain).to.not.include(leaf.slice(2));
      for (let at = 0; at + 9 <= leaves.length; at += 9) {
        const root = merkleRoot(leaves.slice(at, at + 9));
        expect(onChain).to.not.include(root.slice(2).toLowerCase());
      }
    }
  });

  it("guessing the whole trade does not confirm it: every field is committed with a secret salt", async function () {
    const view = await quiet(() => run<TicketView>("ticket:show", { as: "csd", id }));
    const guess = tradeCommitment({
      id,
      version: 1,
      originator: view.originator.address,
      route: view.route.map((s) => s.party.address),
      trade: view.trade,
      salt: keccak256(toUtf8Bytes("a guessed salt")),
    });
    const onChain = logs.map((l) => l.data.toLowerCase()).join("");
    expect(onChain).to.not.include(guess.slice(2));
  });

  it("the store does not reveal the route length: every entry has one size, every set nine entries", async function () {
    const rows = storeRows();
    // Nine for the ticket (route 3 + originator, padded) and nine for the return, among the
    // reserve of random entries every store starts with.
    expect(rows.length).to.equal(RESERVE_ENTRIES + 18);
    expect(new Set(rows.map((r) => r.bytes.length))).to.deep.equal(new Set([ENVELOPE_SIZE]));
  });

  it("every route party reads the same trade, and a changed byte is reported as tampering", async function () {
    for (const party of ["custodian-bank", "securities-firm", "csd", "asset-manager"]) {
      const view = await quiet(() => run<TicketView>("ticket:show", { as: party, id }));
      expect(view.trade.isin).to.equal(trade.isin);
      expect(view.status).to.equal("returned");
    }
    const db = new (nodeSqlite().DatabaseSync)(join(dataDir, "store", ENVELOPE_DATABASE));
    const rows = storeRows();
    const update = db.prepare("UPDATE envelope SET bytes = ? WHERE locator = ?");
    try {
      for (const r of rows) {
        const changed = Buffer.from(r.bytes);
        changed[100] ^= 1;
        update.run(changed, r.locator);
      }
      const error = await refusal(() => run("ticket:show", { as: "csd", id }));
      expect(error).to.be.instanceOf(TamperError);
    } finally {
      for (const r of rows) update.run(r.bytes, r.locator);
      db.close();
    }
  });
});

async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await allFiles(path)));
    else out.push(path);
  }
  return out;
}
