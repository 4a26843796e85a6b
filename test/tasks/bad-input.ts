/**
 * Every wrong input a user can give the role tasks: a non-zero exit, one readable line on stderr
 * that names the field or the cause, and nothing written half-way (no envelope, no journal entry,
 * no transaction). Each command runs as a real CLI process on its own copy of the data folder.
 */
import { createServer } from "node:net";
import { writeFile } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";
import { Contract } from "ethers";
import hre from "hardhat";

import { closeApps } from "../../lib/cli/task-args.js";
import { newTicketId } from "../../lib/ticket/id.js";
import {
  DEV_ACCOUNTS,
  startAnvil,
  startPrivateChain,
  type AnvilNode,
  type PrivateChain,
} from "../../lib/testing/anvil.js";
import {
  EXAMPLE,
  PARTIES,
  ROUTE,
  Session,
  cli,
  copyDataDir,
  json,
  keyVariable,
  limited,
  nonceOf,
  privnetEnv,
  removeDir,
  show,
  tempDir,
  ticketFile,
  writeAheadState,
  type PartyName,
  type RunResult,
  type TaskOptions,
} from "./cli.js";

/** A loopback port nobody listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === "object" && address !== null ? address.port : 1;
}

interface Case {
  title: string;
  task: string;
  options: TaskOptions;
  /** The acting party, whose nonce must not move. */
  actor: PartyName;
  /** What the single stderr line must say. */
  expected: string | RegExp | (() => string | RegExp);
  /** Changes to the environment (undefined removes a variable). */
  env?: () => Record<string, string | undefined>;
  /** Leave out `--registry` (the registry is looked up by chain id). */
  noRegistry?: boolean;
}

describe("tasks: one readable line for every bad input, and nothing half-done", function () {
  this.timeout(180_000);
  let chain: PrivateChain | undefined;
  let empty: AnvilNode | undefined;
  let work: string | undefined;
  let template: string;
  let s: Session;
  let open: string; // waiting for custodian-bank
  let done: string; // completed
  let files: Record<string, string>;
  const unreachable = { port: 0 };
  const initial = { nonces: [] as number[] };
  const results = new Map<string, Promise<{ run: RunResult; dataDir: string }>>();

  const cases = (): Case[] => [
    {
      title: "unknown party name",
      task: "ticket:create",
      options: { as: "asset-manager", file: EXAMPLE, route: "custodian-bank,nobody,csd" },
      actor: "asset-manager",
      expected:
        /^--route: unknown party "nobody" \(known parties: asset-manager, custodian-bank, securities-firm, csd, outsider\)/,
    },
    {
      title: "wrong role: the securities firm approves out of turn",
      task: "ticket:approve",
      options: { as: "securities-firm", id: open },
      actor: "securities-firm",
      expected: () =>
        `not your turn: ticket ${open} waits for custodian-bank (${PARTIES["custodian-bank"].address})`,
    },
    {
      title: "wrong role: a route party amends",
      task: "ticket:amend",
      options: { as: "custodian-bank", id: open, file: EXAMPLE },
      actor: "custodian-bank",
      expected: () =>
        `only the originator asset-manager (${PARTIES["asset-manager"].address}) may amend ticket ${open}`,
    },
    {
      title: "unreadable ticket file",
      task: "ticket:create",
      options: { as: "asset-manager", file: "/nonexistent/ticket.json", route: ROUTE },
      actor: "asset-manager",
      expected: /^\/nonexistent\/ticket\.json: no such file — /,
    },
    {
      title: "invalid JSON",
      task: "ticket:create",
      options: { as: "asset-manager", file: "broken.json", route: ROUTE },
      actor: "asset-manager",
      expected:
        /^\/.*broken\.json: not valid JSON at line 3, column 11 \(.*\) — fix the JSON syntax/,
    },
    {
      title: "invalid ticket: bad ISIN check digit",
      task: "ticket:create",
      options: { as: "asset-manager", file: "bad-isin.json", route: ROUTE },
      actor: "asset-manager",
      expected: /^isin: "JP3633400000" fails its check digit \(in .*bad-isin\.json\)/,
    },
    {
      title: "unknown reason code",
      task: "ticket:reject",
      options: { as: "custodian-bank", id: "OPEN", reason: "ABCD" },
      actor: "custodian-bank",
      expected: /^reason code "ABCD" is not an ISO 15022\/20022 status reason code/,
    },
    {
      title: "unknown ticket ID",
      task: "ticket:show",
      options: { as: "csd", id: "T-AAAA-BBBB-CCCC" },
      actor: "csd",
      // The stores know no IDs: an unknown ID gets the answer someone else's ticket gets.
      expected: "not a party to this ticket",
    },
    {
      title: "acting on a finished ticket",
      task: "ticket:approve",
      options: { as: "custodian-bank", id: "DONE" },
      actor: "custodian-bank",
      expected: () => `ticket ${done} is completed, not open`,
    },
    {
      title: "missing registry deployment on the selected network",
      task: "ticket:show",
      options: { as: "csd", id: "OPEN" },
      actor: "csd",
      noRegistry: true,
      env: () => ({ SR_PRIVNET_RPC_URL: empty!.url }),
      expected: /^no SettlementRegistry deployed on chain 1337 \(network privnet\)/,
    },
    {
      title: "unreachable RPC URL",
      task: "ticket:show",
      options: { as: "csd", id: "OPEN" },
      actor: "csd",
      env: () => ({ SR_PRIVNET_RPC_URL: `http://127.0.0.1:${unreachable.port}` }),
      expected: () => new RegExp(`^cannot reach http://127\\.0\\.0\\.1:${unreachable.port}`),
    },
    {
      title: "missing key for --as",
      task: "ticket:show",
      options: { as: "csd", id: "OPEN" },
      actor: "csd",
      env: () => ({ [keyVariable("csd")]: undefined }),
      expected: () =>
        `no signing key for csd (${PARTIES.csd.address}) on network privnet — store it with \`npx hardhat keystore set ${keyVariable("csd")}\` (or set that environment variable)`,
    },
    {
      title: "wrong chain id",
      task: "ticket:show",
      options: { as: "csd", id: "OPEN" },
      actor: "csd",
      env: () => ({ SR_PRIVNET_CHAIN_ID: "4242" }),
      expected: /^wrong chain id: network privnet expects chain id 4242 .* reports chain id 1337/,
    },
  ];

  /** Options with the placeholders filled in and the files put in `dir`. */
  const resolve = (c: Case, dir: string): TaskOptions => {
    const o: TaskOptions = { ...c.options, dataDir: dir };
    if (o.id === "OPEN") o.id = open;
    if (o.id === "DONE") o.id = done;
    if (typeof o.file === "string" && files[o.file] !== undefined) o.file = files[o.file];
    if (c.noRegistry !== true) o.registry = s.registry;
    return o;
  };

  before(async function () {
    chain = await startPrivateChain();
    empty = await startAnvil({ genesis: true });
    unreachable.port = await closedPort();
    work = await tempDir("bad-input");
    template = path.join(work, "template");
    s = new Session(privnetEnv([chain.node.url]), template, chain.registry);
    await s.setUpParties("task");
    const create = async () =>
      json<{ id: string }>(
        await s.run(
          "ticket:create",
          { as: "asset-manager", file: EXAMPLE, route: ROUTE, json: true },
          "task",
        ),
      ).id;
    open = await create();
    done = await create();
    for (const as of ["custodian-bank", "securities-firm", "csd"])
      await s.ok("ticket:approve", { as, id: done }, "task");
    await closeApps();

    files = {
      "broken.json": path.join(work, "broken.json"),
      "bad-isin.json": await ticketFile(work, "bad-isin.json", { isin: "JP3633400000" }),
    };
    await writeFile(files["broken.json"], '{\n  "senderReference": "AM-1",\n  "isin": ,\n}\n');

    // Every command at once (two at a time), each on its own copy of the data folder.
    const all = cases();
    const jobs = all.map((c, i) => async () => {
      const dataDir = await copyDataDir(template, path.join(work!, `case-${i}`));
      const run = await cli(c.task, resolve(c, dataDir), { ...s.env, ...(c.env?.() ?? {}) });
      return { run, dataDir };
    });
    const nonces = await Promise.all(
      Object.values(PARTIES).map((p) => nonceOf(chain!.node.url, p.address)),
    );
    initial.nonces = nonces;
    limited(2, jobs).forEach((p, i) => results.set(all[i].title, p));
  });

  after(async function () {
    await Promise.allSettled(results.values());
    await closeApps();
    await empty?.stop();
    await chain?.stop();
    await removeDir(work);
  });

  for (const c of cases()) {
    it(`refuses ${c.title}`, async function () {
      const { run, dataDir } = await results.get(c.title)!;
      expect(run.code, show(run)).to.not.equal(0);
      const lines = run.stderr.split("\n").filter((l) => l !== "");
      expect(lines, show(run)).to.have.length(1);
      expect(lines[0]).to.match(/^error: /);
      const message = lines[0].slice("error: ".length);
      const expected = typeof c.expected === "function" ? c.expected() : c.expected;
      if (typeof expected === "string") expect(message).to.equal(expected);
      else expect(message).to.match(expected);
      expect(run.stdout, show(run)).to.equal("");
      // Nothing written half-way: the envelopes and journals are those of the template.
      expect(await writeAheadState(dataDir)).to.deep.equal(await writeAheadState(template));
      // No transaction: the acting party's nonce has not moved.
      const index = Object.keys(PARTIES).indexOf(c.actor);
      expect(await nonceOf(chain!.node.url, PARTIES[c.actor].address)).to.equal(
        initial.nonces[index],
      );
    });
  }

  describe("ticket:create retries", function () {
    it("does not create a second ticket when a create that landed is retried", async function () {
      const id = newTicketId();
      const originator = PARTIES["asset-manager"].address;
      const options = { as: "asset-manager", file: EXAMPLE, route: ROUTE, id, json: true };
      const first = json<{ id: string; alreadyRegistered: boolean }>(
        await s.run("ticket:create", options, "task"),
      );
      expect(first).to.include({ id, alreadyRegistered: false });
      const nonce = await nonceOf(chain!.node.url, originator);
      const state = await writeAheadState(template);

      const retry = await s.run("ticket:create", options, "cli");
      expect(retry.code, show(retry)).to.equal(0);
      expect(json(retry)).to.include({ id, alreadyRegistered: true });
      expect(await nonceOf(chain!.node.url, originator)).to.equal(nonce);
      expect(await writeAheadState(template)).to.deep.equal(state);
    });

    it("leaves no envelope when the create transaction reverts, and a retry works", async function () {
      const id = newTicketId();
      const abi = (await hre.artifacts.readArtifact("SettlementRegistry")).abi;
      const admin = new Contract(
        chain!.registry,
        abi,
        await chain!.connection.ethers.getSigner(DEV_ACCOUNTS[0].address),
      );
      const options = { as: "asset-manager", file: EXAMPLE, route: ROUTE, id, json: true };
      const state = await writeAheadState(template);

      await (await admin.pause()).wait();
      try {
        const refused = await s.run("ticket:create", options, "cli");
        expect(refused.code, show(refused)).to.not.equal(0);
        expect(refused.stderr).to.equal(
          "error: the registry is paused by the consortium admin — wait until it is unpaused\n",
        );
        expect(await writeAheadState(template)).to.deep.equal(state);
      } finally {
        await (await admin.unpause()).wait();
      }

      const retry = await s.run("ticket:create", options, "cli");
      expect(retry.code, show(retry)).to.equal(0);
      expect(json(retry)).to.include({ id, alreadyRegistered: false });
      const shown = json<{ status: string }>(
        await s.run("ticket:show", { as: "csd", id, json: true }, "task"),
      );
      expect(shown.status).to.equal("open");
    });
  });
});
