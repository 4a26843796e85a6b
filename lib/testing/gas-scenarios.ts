/**
 * Measures the gas of every registry operation on a fresh simulated london chain (the oldest EVM
 * the registry targets; london and later forks price these operations the same). Shared by
 * `scripts/gas-snapshot.ts`, which writes the snapshot, and `test/contracts/gas.ts`, which checks
 * against it. Approvals and returns are sent by real one-time addresses.
 */
import { network } from "hardhat";

import { oneTimeRouteFor, partyKeys } from "./keys.js";

import type { ContractTransactionResponse } from "ethers";

export const HARDFORK = "london";

/** Every measured operation, in the order they appear in the snapshot. */
export const OPERATIONS = [
  "admitParty",
  "registerKeys (first)",
  "registerKeys (rotate)",
  "createTicket (route 1)",
  "createTicket (route 3)",
  "createTicket (route 8)",
  "approve (route 3, step 0)",
  "approve (route 3, step 1)",
  "approve (route 3, final)",
  "reject (route 3, step 0)",
  "revise (route 3)",
  "cancel",
] as const;

export type Operation = (typeof OPERATIONS)[number];

/** The part of an operation's gas that no implementation can avoid. */
export interface Floor {
  intrinsic: number;
  calldata: number;
  storage: number;
  logs: number;
  total: number;
  /** What `storage` stands for. */
  storageNote: string;
}

export interface Measurement {
  gasUsed: number;
  floor: Floor;
}

const G_TX = 21_000;
const G_CALLDATA_ZERO = 4;
const G_CALLDATA_NONZERO = 16;
const G_LOG = 375;
const G_LOG_TOPIC = 375;
const G_LOG_DATA_BYTE = 8;
const G_COLD_SLOAD = 2_100;
/** SSTORE of a zero slot to non-zero (EIP-2929/3529), plus the cold access. */
const G_SSTORE_SET_COLD = 20_000 + G_COLD_SLOAD;
/** SSTORE of a non-zero slot to another non-zero value, plus the cold access. */
const G_SSTORE_RESET_COLD = 2_900 + G_COLD_SLOAD;

const KEYS: [number, string] = [
  3 * G_SSTORE_SET_COLD + G_SSTORE_RESET_COLD,
  "viewing key, spending key x and prefix (3 cold sets) + key version in the party record (cold reset)",
];
const CREATE: [number, string] = [
  2 * G_SSTORE_SET_COLD,
  "the ticket's state slot and route commitment (2 cold sets)",
];
const DECIDE: [number, string] = [
  G_SSTORE_RESET_COLD + G_COLD_SLOAD,
  "state slot (cold reset) + route commitment (cold read)",
];

/** The storage each operation must touch at least, whatever the implementation. */
const STORAGE_FLOOR: Record<Operation, [number, string]> = {
  admitParty: [
    4 * G_SSTORE_SET_COLD + G_SSTORE_RESET_COLD,
    "directory entry, party record, name and name index (4 cold sets) + directory length (cold reset)",
  ],
  "registerKeys (first)": KEYS,
  "registerKeys (rotate)": KEYS,
  "createTicket (route 1)": CREATE,
  "createTicket (route 3)": CREATE,
  "createTicket (route 8)": CREATE,
  "approve (route 3, step 0)": DECIDE,
  "approve (route 3, step 1)": DECIDE,
  "approve (route 3, final)": DECIDE,
  "reject (route 3, step 0)": DECIDE,
  "revise (route 3)": [2 * G_SSTORE_RESET_COLD, "state slot and route commitment (2 cold resets)"],
  cancel: [G_SSTORE_RESET_COLD, "state slot (cold reset)"],
};

function calldataGas(data: string): number {
  const bytes = Buffer.from(data.slice(2), "hex");
  let gas = 0;
  for (const b of bytes) gas += b === 0 ? G_CALLDATA_ZERO : G_CALLDATA_NONZERO;
  return gas;
}

async function measure(
  op: Operation,
  sent: Promise<ContractTransactionResponse>,
): Promise<Measurement> {
  const tx = await sent;
  const receipt = await tx.wait();
  if (receipt === null || receipt.status !== 1) throw new Error(`${op}: transaction failed`);
  const logs = receipt.logs.reduce(
    (sum, log) =>
      sum + G_LOG + G_LOG_TOPIC * log.topics.length + G_LOG_DATA_BYTE * ((log.data.length - 2) / 2),
    0,
  );
  const [storage, storageNote] = STORAGE_FLOOR[op];
  const calldata = calldataGas(tx.data);
  return {
    gasUsed: Number(receipt.gasUsed),
    floor: {
      intrinsic: G_TX,
      calldata,
      storage,
      logs,
      total: G_TX + calldata + storage + logs,
      storageNote,
    },
  };
}

/** Runs every operation once on a fresh london chain and returns its gas. */
export async function measureGas(): Promise<Record<Operation, Measurement>> {
  const { ethers, networkHelpers } = await network.create({ override: { hardfork: HARDFORK } });
  const signers = await ethers.getSigners();
  const [admin, originator] = signers;
  const parties = signers.slice(2, 10); // eight route parties
  const registry = await ethers.deployContract("SettlementRegistry", [admin.address]);
  const r = (op: Operation, sent: Promise<ContractTransactionResponse>) => measure(op, sent);
  const out = {} as Record<Operation, Measurement>;
  const id = (s: string) => ethers.id(s);
  const label = (i: number) => `party-${i}`;
  const register = (signer: (typeof signers)[number], name: string, version = 1) => {
    const k = partyKeys(name, version);
    return registry.connect(signer).registerKeys(k.viewingKey, k.spendingKey);
  };

  // Membership: the originator and the first parties are admitted before the measured one, so
  // the directory length is already non-zero, as it is on any live consortium.
  await registry.admitParty(originator.address, ethers.encodeBytes32String(label(1)));
  await register(originator, label(1));
  for (const [i, p] of parties.slice(0, 7).entries()) {
    await registry.admitParty(p.address, ethers.encodeBytes32String(label(i + 2)));
    await register(p, label(i + 2));
  }
  const last = parties[7];
  out.admitParty = await r(
    "admitParty",
    registry.admitParty(last.address, ethers.encodeBytes32String(label(9))),
  );
  out["registerKeys (first)"] = await r("registerKeys (first)", register(last, label(9)));
  out["registerKeys (rotate)"] = await r("registerKeys (rotate)", register(last, label(9), 2));

  const labels = (n: number) => Array.from({ length: n }, (_, i) => label(i + 2));
  const route = async (n: number) => {
    const derived = oneTimeRouteFor(labels(n), ethers.provider);
    for (const w of derived.wallets) await networkHelpers.setBalance(w.address, 10n ** 18n);
    return derived;
  };
  const create = (ref: string, x: Awaited<ReturnType<typeof route>>) =>
    registry
      .connect(originator)
      .createTicket(
        id(`ref:${ref}`),
        id(`trade:${ref}`),
        id(`envelope:${ref}`),
        x.route,
        x.ephemeralKey,
        x.viewTags,
      );
  const key = (ref: string) => registry.ticketKey(originator.address, id(`ref:${ref}`));

  out["createTicket (route 1)"] = await r("createTicket (route 1)", create("one", await route(1)));
  out["createTicket (route 8)"] = await r(
    "createTicket (route 8)",
    create("eight", await route(8)),
  );
  const three = await route(3);
  out["createTicket (route 3)"] = await r("createTicket (route 3)", create("three", three));
  const t3 = await key("three");
  const steps = [
    "approve (route 3, step 0)",
    "approve (route 3, step 1)",
    "approve (route 3, final)",
  ] as const;
  for (const [i, op] of steps.entries()) {
    out[op] = await r(op, registry.connect(three.wallets[i]).approve(t3, 1, three.route));
  }

  const returned = await route(3);
  await create("returned", returned);
  const tr = await key("returned");
  out["reject (route 3, step 0)"] = await r(
    "reject (route 3, step 0)",
    registry.connect(returned.wallets[0]).reject(tr, 1, returned.route, id("reason:returned")),
  );
  const v2 = await route(3);
  out["revise (route 3)"] = await r(
    "revise (route 3)",
    registry
      .connect(originator)
      .revise(
        tr,
        1,
        id("trade:returned:v2"),
        id("envelope:returned:v2"),
        v2.route,
        v2.ephemeralKey,
        v2.viewTags,
      ),
  );
  out.cancel = await r("cancel", registry.connect(originator).cancel(tr));

  const ordered = {} as Record<Operation, Measurement>;
  for (const op of OPERATIONS) ordered[op] = out[op];
  return ordered;
}
