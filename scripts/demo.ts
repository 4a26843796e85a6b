/**
 * The mission scenario, end to end, on the in-process Hardhat network and a local folder store:
 * `npm run demo`. Every step runs the same Hardhat tasks a user runs, prints what each party's
 * screen shows, and checks what it must show. Exits non-zero if any expectation fails.
 */
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

import hre from "hardhat";

import { NotAPartyError } from "../lib/errors.js";
import { taskMode } from "../lib/cli/output.js";
import type { CreateResult } from "../lib/app/create.js";
import type { TicketView } from "../lib/app/tickets.js";
import type { InboxRow } from "../lib/app/watch.js";

const root = hre.config.paths.root;
const dataDir = join(root, ".settlement", "demo");
const common = { dataDir, registry: "", json: false };

const EVENT_ARGS: Record<string, string> = {
  TicketCreated: "bytes32,address,bytes32,bytes32,address[],bytes32,bytes8",
  TicketRevised: "bytes32,uint32,bytes32,bytes32,address[],bytes32,bytes8",
  TicketApproved: "bytes32,address,uint32,uint8",
  TicketReturned: "bytes32,address,uint32,uint8,bytes32",
};

const PARTIES = [
  { name: "asset-manager", title: "Asset Manager (foreign investment manager, originator)" },
  { name: "custodian-bank", title: "Custodian Bank (checks instruction and cash)" },
  { name: "securities-firm", title: "Securities Firm (checks instruction and securities)" },
  { name: "csd", title: "Settlement Institution / CSD (final approver)" },
  { name: "outsider", title: "Outsider (another member of the network)" },
] as const;
type PartyName = (typeof PARTIES)[number]["name"];

let failures = 0;
function expect(condition: boolean, what: string): void {
  if (condition) {
    console.log(`  ✔ ${what}`);
  } else {
    failures++;
    console.log(`  ✘ EXPECTED: ${what}`);
  }
}

async function run<T>(name: string, args: Record<string, unknown>): Promise<T> {
  return (await hre.tasks.getTask(name).run({ ...common, ...args })) as T;
}

function screen(party: PartyName, what: string): void {
  const title = PARTIES.find((p) => p.name === party)!.title;
  console.log(`\n── ${title} — ${what}`);
}

function step(n: string, title: string): void {
  console.log(`\n${"═".repeat(100)}\n${n}  ${title}\n${"═".repeat(100)}`);
}

/** What `ticket:watch --once` delivers to `party` now, as text lines. */
async function notifications(party: PartyName): Promise<string[]> {
  const lines: string[] = [];
  const original = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    lines.push(String(chunk).trimEnd());
    return (original as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stdout.write;
  try {
    await run("ticket:watch", { as: party, once: true, interval: 1000 });
  } finally {
    process.stdout.write = original;
  }
  return lines;
}

async function main(): Promise<void> {
  taskMode.rethrow = true;
  await rm(dataDir, { recursive: true, force: true });
  await mkdir(dataDir, { recursive: true });
  const { ethers } = await hre.network.getOrCreate();
  const accounts = await ethers.getSigners();

  step("0.", "The consortium: the operator deploys the registry and admits the parties");
  await run("registry:deploy", {});
  for (const [i, p] of PARTIES.entries()) {
    await run("party:admit", { address: accounts[i + 1].address, name: p.name });
  }
  for (const p of PARTIES) await run("party:register-key", { as: p.name });
  await run("party:list", {});

  step("1.", "Share the trade: the asset manager registers the ticket and its approval route");
  const ticketFile = join(root, "examples", "dvp-japanese-equity-buy.json");
  const created = await run<CreateResult>("ticket:create", {
    as: "asset-manager",
    file: ticketFile,
    route: "custodian-bank,securities-firm,csd",
    id: "",
  });
  const id = created.id;
  expect(
    /^T-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/.test(id),
    `the ticket has a readable ID (${id})`,
  );
  for (const party of ["custodian-bank", "securities-firm", "csd"] as const) {
    screen(party, "notifications");
    const seen = await notifications(party);
    expect(
      seen.some((l) => l.includes(id) && l.includes("you are on its route")),
      `${party} is notified of ticket ${id}`,
    );
  }

  step("2.", "See it on your own ledger: the CSD enters the ticket ID");
  screen("csd", `npx hardhat ticket:show --id ${id} --as csd`);
  const csdView = await run<TicketView>("ticket:show", { as: "csd", id });
  const original = JSON.parse(await readFile(ticketFile, "utf8"));
  expect(
    csdView.trade.isin === original.isin &&
      csdView.trade.settlementDate === original.settlementDate,
    "the CSD reads the trade exactly as registered",
  );
  expect(csdView.verified, "what it reads matches the commitments on its own node");
  expect(
    csdView.route.map((s) => s.party.name).join(">") === "custodian-bank>securities-firm>csd",
    "the CSD sees the route custodian bank → securities firm → CSD",
  );

  step("3.", "Share approval status: the custodian bank and the securities firm press OK");
  screen("custodian-bank", "cash balance checked for JPY 3,405,000: OK");
  await run("ticket:approve", { as: "custodian-bank", id });
  screen("securities-firm", "securities balance checked for 1,000 units of JP3633400001: OK");
  await run("ticket:approve", { as: "securities-firm", id });
  screen("csd", "notifications");
  const csdSeen = await notifications("csd");
  expect(
    csdSeen.some((l) => l.includes("approved by custodian-bank")),
    "the CSD sees the custodian bank's OK",
  );
  expect(
    csdSeen.some((l) => l.includes("approved by securities-firm")),
    "the CSD sees the securities firm's OK",
  );
  expect(
    csdSeen.some((l) => l.includes("waits for your approval")),
    "the CSD sees it is its turn",
  );
  screen("asset-manager", "notifications");
  const amSeen = await notifications("asset-manager");
  expect(
    amSeen.filter((l) => l.includes("approved by")).length === 2,
    "the asset manager sees both decisions",
  );

  step("4.", "Reject with a reason: the CSD finds the settlement date invalid and presses NG");
  screen("csd", `npx hardhat ticket:reject --id ${id} --reason DDAT --note … --as csd`);
  await run("ticket:reject", {
    as: "csd",
    id,
    reason: "DDAT",
    note: "2024-05-15 is not a settlement day for this market; please resubmit for 2024-05-16.",
  });
  for (const party of ["asset-manager", "custodian-bank", "securities-firm"] as const) {
    screen(party, `npx hardhat ticket:show --id ${id}`);
    const view = await run<TicketView>("ticket:show", { as: party, id });
    const ret = view.history.find((h) => h.kind === "returned");
    expect(view.status === "returned", `${party} sees that the ticket was returned`);
    expect(
      ret?.kind === "returned" && ret.byName === "csd" && ret.reason === "DDAT",
      `${party} sees it was returned by the CSD with DDAT (${ret?.kind === "returned" ? ret.meaning : "?"})`,
    );
    expect(
      ret?.kind === "returned" && (ret.note ?? "").includes("2024-05-16"),
      `${party} reads the CSD's encrypted note`,
    );
  }

  step("5.", "Confidentiality: an outsider enters the ticket ID");
  screen("outsider", `npx hardhat ticket:show --id ${id} --as outsider`);
  let refused: unknown;
  try {
    await run("ticket:show", { as: "outsider", id });
  } catch (error) {
    refused = error;
    console.log(`  error: ${(error as NotAPartyError).oneLine()}`);
  }
  expect(
    refused instanceof NotAPartyError,
    "the outsider is told only that it is not a party to this ticket",
  );
  const outsiderInbox = await run<InboxRow[]>("ticket:list", { as: "outsider", state: "all" });
  expect(
    outsiderInbox.length === 0,
    "the outsider's inbox is empty: it cannot find the ticket's on-chain record",
  );
  // Everything the outsider's node holds about the route: one-time addresses, none of them a
  // party's. (A create names its originator, as the sender of the transaction does anyway.)
  const parties = await run<Array<{ address: string }>>("party:list", { json: true });
  const ticketEvents = ["TicketCreated", "TicketRevised", "TicketApproved", "TicketReturned"].map(
    (name) => ethers.id(`${name}(${EVENT_ARGS[name]})`),
  );
  const onChain = (await ethers.provider.getLogs({ fromBlock: 0, toBlock: "latest" }))
    .filter((l) => ticketEvents.includes(l.topics[0]))
    .map((l) => [l.data, ...(l.topics[0] === ticketEvents[0] ? [] : l.topics.slice(1))].join(""))
    .join("")
    .toLowerCase();
  expect(
    onChain.length > 0 && parties.every((p) => !onChain.includes(p.address.slice(2).toLowerCase())),
    "no ticket event names a party on the route: the route is one-time addresses",
  );
  const storeDir = join(dataDir, "store");
  const raw = await readFile(
    join(
      storeDir,
      "tickets",
      id,
      "v1",
      (
        await import("node:fs/promises").then((fs) =>
          fs.readdir(join(storeDir, "tickets", id, "v1")),
        )
      )[0],
    ),
  );
  expect(
    !raw.toString("latin1").includes(original.isin) && !raw.toString("latin1").includes("returned"),
    "the raw store holds no readable trade detail or status",
  );

  step("6.", "The return path: the asset manager amends, the route approves, the ticket completes");
  const amended = { ...original, settlementDate: "2024-05-16" };
  const amendedFile = join(dataDir, "amended-ticket.json");
  await writeFile(amendedFile, JSON.stringify(amended, null, 2));
  screen("asset-manager", `npx hardhat ticket:amend --id ${id} --file amended-ticket.json`);
  await run("ticket:amend", { as: "asset-manager", id, file: amendedFile });
  for (const party of ["custodian-bank", "securities-firm", "csd"] as const) {
    screen(party, "OK");
    await run("ticket:approve", { as: party, id });
  }
  screen("securities-firm", `npx hardhat ticket:show --id ${id}`);
  const final = await run<TicketView>("ticket:show", { as: "securities-firm", id });
  expect(final.status === "completed" && final.version === 2, "version 2 is completed");
  expect(
    final.trade.settlementDate === "2024-05-16",
    "every party reads the amended settlement date",
  );
  screen("asset-manager", "notifications");
  const done = await notifications("asset-manager");
  expect(
    done.some((l) => l.includes("completed")),
    "the asset manager is told the ticket completed",
  );

  console.log(
    `\n${failures === 0 ? "✔ every expectation of the scenario holds" : `✘ ${failures} expectation(s) failed`}`,
  );
  if (failures > 0) process.exitCode = 1;
}

await main().catch((error) => {
  console.error(
    `error: ${error instanceof Error ? ((error as { oneLine?: () => string }).oneLine?.() ?? error.message) : String(error)}`,
  );
  process.exitCode = 1;
});
