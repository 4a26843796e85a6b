import hre from "hardhat";
import { taskMode } from "../lib/cli/output.js";
const dataDir = "/tmp/dbg/data";
const run = async (name: string, args: Record<string, unknown>) =>
  hre.tasks.getTask(name).run({ dataDir, registry: "", json: false, ...args });
taskMode.rethrow = true;
const { ethers } = await hre.network.getOrCreate();
const a = await ethers.getSigners();
await run("registry:deploy", {});
const names = ["asset-manager", "custodian-bank", "securities-firm", "csd"];
for (const [i, n] of names.entries()) await run("party:admit", { address: a[i + 1].address, name: n });
for (const n of names) await run("party:register-key", { as: n });
const c = (await run("ticket:create", { as: "asset-manager", file: "examples/dvp-japanese-equity-buy.json", route: "custodian-bank,securities-firm,csd", id: "" })) as { id: string };
await run("ticket:watch", { as: "securities-firm", once: true, interval: 1000 });
await run("ticket:approve", { as: "custodian-bank", id: c.id });
await run("ticket:approve", { as: "securities-firm", id: c.id });
await run("ticket:reject", { as: "csd", id: c.id, reason: "NMAT/DDAT", note: "x" });
await run("ticket:watch", { as: "securities-firm", once: true, interval: 1000 });
