/**
 * Measures the gas of every registry operation on a fresh simulated london chain (the oldest EVM
 * the registry targets; london and later forks price these operations the same). Shared by
 * `scripts/gas-snapshot.ts`, which writes the snapshot, and `test/contracts/gas.ts`, which checks
 * against it.
 */
import { network } from "hardhat";

import type { ContractTransactionResponse } from "ethers";

export const HARDFORK = "london";

/** Every measured operation, in the order they appear in the snapshot. */
export const OPERATIONS = [
  "admitParty",
  "registerEncryptionKey (first)",
  "registerEncryptionKey (rotate)",
  "createTicket (route 1)",
  "createTicket (route 3)",
  "createTicket (route 8)",
  "approve (route 3, step 0)",
  "approve (route 3, step 1)",
  "approve (route 3, final)",
  "reject (route 3, step 0)",
  "amend",
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

/** The storage each operation must touch at least, whatever the implementation. */
const STORAGE_FLOOR: Record<Operation, [number, string]> = {
  admitParty: [
    4 * G_SSTORE_SET_COLD + G_SSTORE_RESET_COLD,
    "directory entry, party record, name and name index (4 cold sets) + directory length (cold reset)",
  ],
  "registerEncryptionKey (first)": [
    G_SSTORE_SET_COLD + G_SSTORE_RESET_COLD,
    "key slot (cold set) + key version in the party record (cold reset)",
  ],
  "registerEncryptionKey (rotate)": [
    G_SSTORE_SET_COLD + G_SSTORE_RESET_COLD,
    "key slot (cold set) + key version in the party record (cold reset)",
  ],
  "createTicket (route 1)": [3 * G_SSTORE_SET_COLD, "3 ticket slots (cold sets)"],
  "createTicket (route 3)": [3 * G_SSTORE_SET_COLD, "3 ticket slots (cold sets)"],
  "createTicket (route 8)": [3 * G_SSTORE_SET_COLD, "3 ticket slots (cold sets)"],
  "approve (route 3, step 0)": [G_SSTORE_RESET_COLD, "ticket hot slot (cold reset)"],
  "approve (route 3, step 1)": [G_SSTORE_RESET_COLD, "ticket hot slot (cold reset)"],
  "approve (route 3, final)": [G_SSTORE_RESET_COLD, "ticket hot slot (cold reset)"],
  "reject (route 3, step 0)": [G_SSTORE_RESET_COLD, "ticket hot slot (cold reset)"],
  amend: [3 * G_SSTORE_RESET_COLD, "ticket hot slot and both commitments (3 cold resets)"],
  cancel: [G_SSTORE_RESET_COLD, "ticket hot slot (cold reset)"],
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
  const { ethers } = await network.create({ override: { hardfork: HARDFORK } });
  const signers = await ethers.getSigners();
  const [admin, originator] = signers;
  const approvers = signers.slice(2, 10); // eight route parties
  const registry = await ethers.deployContract("SettlementRegistry", [admin.address]);
  const r = (op: Operation, sent: Promise<ContractTransactionResponse>) => measure(op, sent);
  const out = {} as Record<Operation, Measurement>;
  const id = (s: string) => ethers.id(s);
  const label = (i: number) => ethers.encodeBytes32String(`party-${i}`);

  // Membership: the originator and the first approvers are admitted before the measured one, so
  // the directory length is already non-zero, as it is on any live consortium.
  await registry.admitParty(originator.address, label(1));
  await registry.connect(originator).registerEncryptionKey(id("key:1"));
  for (const [i, a] of approvers.slice(0, 7).entries()) {
    await registry.admitParty(a.address, label(i + 2));
    await registry.connect(a).registerEncryptionKey(id(`key:${i + 2}`));
  }
  const last = approvers[7];
  out.admitParty = await r("admitParty", registry.admitParty(last.address, label(9)));
  out["registerEncryptionKey (first)"] = await r(
    "registerEncryptionKey (first)",
    registry.connect(last).registerEncryptionKey(id("key:9")),
  );
  out["registerEncryptionKey (rotate)"] = await r(
    "registerEncryptionKey (rotate)",
    registry.connect(last).registerEncryptionKey(id("key:9:rotated")),
  );

  const route = (n: number) => approvers.slice(0, n).map((a) => a.address);
  const create = (key: string, n: number) =>
    registry
      .connect(originator)
      .createTicket(id(`ticket:${key}`), id(`trade:${key}`), id(`envelope:${key}`), route(n));

  out["createTicket (route 1)"] = await r("createTicket (route 1)", create("one", 1));
  out["createTicket (route 8)"] = await r("createTicket (route 8)", create("eight", 8));
  out["createTicket (route 3)"] = await r("createTicket (route 3)", create("three", 3));
  const three = id("ticket:three");
  out["approve (route 3, step 0)"] = await r(
    "approve (route 3, step 0)",
    registry.connect(approvers[0]).approve(three),
  );
  out["approve (route 3, step 1)"] = await r(
    "approve (route 3, step 1)",
    registry.connect(approvers[1]).approve(three),
  );
  out["approve (route 3, final)"] = await r(
    "approve (route 3, final)",
    registry.connect(approvers[2]).approve(three),
  );

  await create("returned", 3);
  const returned = id("ticket:returned");
  out["reject (route 3, step 0)"] = await r(
    "reject (route 3, step 0)",
    registry
      .connect(approvers[0])
      .reject(returned, "0x4e4d4154", "0x44444154", id("narrative:returned")), // NMAT, DDAT
  );
  out.amend = await r(
    "amend",
    registry
      .connect(originator)
      .amend(returned, id("trade:returned:v2"), id("envelope:returned:v2")),
  );
  out.cancel = await r("cancel", registry.connect(originator).cancel(returned));

  const ordered = {} as Record<Operation, Measurement>;
  for (const op of OPERATIONS) ordered[op] = out[op];
  return ordered;
}
