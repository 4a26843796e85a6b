/**
 * The mission scenario, end to end, on the in-process Hardhat network and the embedded SQLite store:
 * `npm run demo`. Every step runs the same Hardhat tasks a user runs, prints what each party's
 * screen shows, and checks what it must show. Exits non-zero if any expectation fails.
 * The approvers decide on real checks: each matches the ticket with its own instruction (and
 * positions) in `examples/`, and the CSD's NG comes from its instruction's other settlement date.
 */
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";

import hre from "hardhat";

import { NotAPartyError } from "../lib/errors.js";
import { CheckResultError } from "../lib/matching/errors.js";
import type { AdviceReason } from "../lib/iso20022/sese024.js";
import type { CheckResult } from "../lib/matching/check.js";
import { formatReason } from "../lib/reasons.js";
import { taskMode } from "../lib/cli/output.js";
import type { CreateResult } from "../lib/app/create.js";
import type { DecisionResult, TicketView } from "../lib/app/tickets.js";
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

/** `examples/…`: the files each party checks against, as a user would name them. */
const example = (file: string) => join("examples", file);
const OWN = {
  "custodian-bank": {
    instruction: example("instructions/custodian-bank.json"),
    positions: example("positions/custodian-bank.json"),
  },
  "securities-firm": {
    instruction: example("instructions/securities-firm.json"),
    positions: example("positions/securities-firm.json"),
  },
  csd: { instruction: example("instructions/csd.json") },
};
type Approver = keyof typeof OWN;

/** `NMAT/DDAT`, `REJT/JASDEC/X001` */
const label = (r: { qualifier: string; scheme?: string; code: string }) =>
  [r.qualifier, r.scheme, r.code].filter((part) => part !== undefined).join("/");

/** The command line of a task, as the party would type it. */
function command(task: string, party: PartyName, options: Record<string, string>): string {
  const flags = Object.entries(options).map(
    ([k, v]) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${v}`,
  );
  return `npx hardhat ${task} ${flags.join(" ")} --as ${party}`;
}

/** Runs a task that must fail; gives its error (printed as the party sees it), or undefined. */
async function refusal(name: string, args: Record<string, unknown>): Promise<unknown> {
  try {
    await run(name, args);
  } catch (error) {
    console.log(`  error: ${(error as { oneLine?: () => string }).oneLine?.() ?? String(error)}`);
    return error;
  }
  return undefined;
}

/** `party` checks the ticket against its own files (`ticket:check`), keeping the result in `out`. */
async function check(
  party: Approver,
  id: string,
  own: { instruction: string; positions?: string },
  out: string,
): Promise<CheckResult> {
  screen(party, command("ticket:check", party, { id, ...own, out }));
  const absolute = Object.fromEntries(Object.entries(own).map(([k, v]) => [k, join(root, v)]));
  return run<CheckResult>("ticket:check", { as: party, id, ...absolute, out: join(dataDir, out) });
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

  step(
    "3.",
    "Share approval status: the custodian bank and the securities firm check, then press OK",
  );
  const bankCheck = await check("custodian-bank", id, OWN["custodian-bank"], "bank-check.json");
  expect(
    bankCheck.proposal === "OK" && bankCheck.balances?.sufficient === true,
    "the custodian bank's instruction matches and its cash covers the settlement amount: OK",
  );
  screen(
    "custodian-bank",
    command("ticket:approve", "custodian-bank", { id, checked: "bank-check.json" }),
  );
  const bankOk = await run<DecisionResult>("ticket:approve", {
    as: "custodian-bank",
    id,
    checked: join(dataDir, "bank-check.json"),
  });
  expect(bankOk.version === 1, "the custodian bank approves version 1, the version it checked");
  screen(
    "securities-firm",
    command("ticket:approve", "securities-firm", { id, ...OWN["securities-firm"] }),
  );
  const firmOk = await run<DecisionResult>("ticket:approve", {
    as: "securities-firm",
    id,
    instruction: join(root, OWN["securities-firm"].instruction),
    positions: join(root, OWN["securities-firm"].positions),
  });
  expect(
    firmOk.version === 1 && firmOk.next?.name === "csd",
    "the securities firm checks in place (instruction and securities: OK) and approves",
  );
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

  step("4.", "Reject with a reason: the CSD's instruction has another settlement date: NG");
  const csdInstruction = JSON.parse(await readFile(join(root, OWN.csd.instruction), "utf8"));
  const csdCheck = await check("csd", id, OWN.csd, "csd-check.json");
  expect(
    csdCheck.proposal === "NG" && csdCheck.reasons.map(formatReason).join(",") === "NMAT/DDAT",
    "the CSD's check proposes NG with NMAT/DDAT: the settlement dates differ",
  );
  screen("csd", command("ticket:approve", "csd", { id, checked: "csd-check.json" }));
  expect(
    (await refusal("ticket:approve", {
      as: "csd",
      id,
      checked: join(dataDir, "csd-check.json"),
    })) instanceof CheckResultError,
    "approving over the NG proposal is refused",
  );
  screen("csd", command("ticket:reject", "csd", { id, checked: "csd-check.json" }));
  await run("ticket:reject", { as: "csd", id, checked: join(dataDir, "csd-check.json") });
  for (const party of ["asset-manager", "custodian-bank", "securities-firm"] as const) {
    screen(party, `npx hardhat ticket:show --id ${id}`);
    const view = await run<TicketView>("ticket:show", { as: party, id });
    const ret = view.history.find((h) => h.kind === "returned");
    expect(view.status === "returned", `${party} sees that the ticket was returned`);
    const codes = ret?.kind === "returned" ? (ret.reasons ?? []).map(label) : [];
    expect(
      ret?.kind === "returned" && ret.byName === "csd" && codes.join(",") === "NMAT/DDAT",
      `${party} sees it was returned by the CSD with the check's reasons (${codes.join(", ")})`,
    );
    expect(
      ret?.kind === "returned" && (ret.note ?? "").includes(csdInstruction.settlementDate),
      `${party} reads the CSD's encrypted note: the mismatch, both values`,
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
  // The whole embedded store, database and write-ahead log, byte for byte.
  const storeDir = join(dataDir, "store");
  const raw = Buffer.concat(
    await Promise.all((await readdir(storeDir)).map((file) => readFile(join(storeDir, file)))),
  );
  expect(
    !raw.toString("latin1").includes(original.isin) && !raw.toString("latin1").includes("returned"),
    "the raw store holds no readable trade detail or status",
  );

  step("6.", "The return path: the asset manager amends, the route checks again and approves");
  // The corrected settlement date is the CSD's. The custodian bank's instruction is its client's
  // (the same sender's reference), so the amended ticket is its amended instruction; the
  // securities firm amends its own instruction to the agreed date.
  const settlementDate: string = csdInstruction.settlementDate;
  const amendedFile = join(dataDir, "amended-ticket.json");
  await writeFile(amendedFile, JSON.stringify({ ...original, settlementDate }, null, 2));
  const firmInstruction = JSON.parse(
    await readFile(join(root, OWN["securities-firm"].instruction), "utf8"),
  );
  const firmAmended = join(dataDir, "securities-firm-amended.json");
  await writeFile(firmAmended, JSON.stringify({ ...firmInstruction, settlementDate }, null, 2));
  screen(
    "asset-manager",
    command("ticket:amend", "asset-manager", { id, file: "amended-ticket.json" }),
  );
  await run("ticket:amend", { as: "asset-manager", id, file: amendedFile });
  screen(
    "custodian-bank",
    command("ticket:approve", "custodian-bank", { id, checked: "bank-check.json" }),
  );
  expect(
    (await refusal("ticket:approve", {
      as: "custodian-bank",
      id,
      checked: join(dataDir, "bank-check.json"),
    })) instanceof CheckResultError,
    "the custodian bank's check of version 1 cannot approve version 2",
  );
  const rechecks: Array<[Approver, { instruction: string; positions?: string }]> = [
    ["custodian-bank", { ...OWN["custodian-bank"], instruction: amendedFile }],
    ["securities-firm", { ...OWN["securities-firm"], instruction: firmAmended }],
    ["csd", OWN.csd],
  ];
  for (const [party, own] of rechecks) {
    // Files of the demo's own folder by their name, examples by their path in the repository.
    const shown = Object.fromEntries(
      Object.entries(own).map(([k, v]) => [k, v.startsWith(dataDir) ? basename(v) : v]),
    );
    screen(party, command("ticket:approve", party, { id, ...shown }));
    const absolute = Object.fromEntries(
      Object.entries(own).map(([k, v]) => [k, v.startsWith(dataDir) ? v : join(root, v)]),
    );
    const ok = await run<DecisionResult>("ticket:approve", { as: party, id, ...absolute });
    expect(ok.version === 2, `${party}'s check of version 2 passes and it approves`);
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

  step("7.", "ISO 20022 out: the asset manager exports each version's status advice (sese.024)");
  screen(
    "asset-manager",
    command("ticket:export", "asset-manager", { id, format: "sese.024", out: "advice.xml" }),
  );
  const exported = await run<{
    advices: Array<{ version: number; status: string; reasons?: AdviceReason[] }>;
  }>("ticket:export", {
    as: "asset-manager",
    id,
    format: "sese.024",
    out: join(dataDir, "advice.xml"),
  });
  const [v1, v2] = exported.advices;
  expect(
    v1?.status === "NG" && (v1.reasons ?? []).map(label).join(",") === "NMAT/DDAT",
    "version 1: NG with the CSD's NMAT/DDAT",
  );
  expect(v2?.status === "OK", "version 2: OK, approved by the whole route");
  const advice = await readFile(join(dataDir, "advice.v1.xml"), "utf8");
  expect(
    advice.includes("urn:iso:std:iso:20022:tech:xsd:sese.024") && advice.includes("DDAT"),
    "each advice is written as a sese.024 message (advice.v1.xml, advice.v2.xml)",
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
