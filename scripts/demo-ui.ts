/**
 * The scenario on screens: `npm run demo:ui` starts a local chain (anvil from the npm registry,
 * configured like a free-gas Besu chain with a one-second block period), deploys the registry,
 * admits the five parties, starts one dashboard per party, and prints the operator's and the
 * CSD's URLs. Press Enter (or set SR_DEMO_DRIVE=1) to let the script act out the scenario, the
 * same steps as `npm run demo`, while you watch the CSD's screen; or act in the browsers
 * yourself. Ctrl-C stops everything it started.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

import hre from "hardhat";
import { createHardhatRuntimeEnvironment } from "hardhat/hre";

import userConfig from "../hardhat.config.js";
import { partyKeyVariable } from "../lib/app/hardhat.js";
import { taskMode } from "../lib/cli/output.js";
import { describeError } from "../lib/errors.js";
import { DEV_ACCOUNTS, startAnvil } from "../lib/testing/anvil.js";
import { startPartyDashboards } from "../web/server/launch.js";

const ROOT = hre.config.paths.root;
const PARTIES = ["asset-manager", "custodian-bank", "securities-firm", "csd", "outsider"];
const ROUTE = "custodian-bank,securities-firm,csd";
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  taskMode.rethrow = true;
  const node = await startAnvil({ genesis: true, blockTime: 1 });
  const dataDir = await mkdtemp(join(tmpdir(), "sr-demo-ui-"));
  const deploymentId = `demo-ui-${node.port}`;
  process.env.SR_PRIVNET_RPC_URL = node.url;
  process.env.SR_PRIVNET_ADMIN_KEY = DEV_ACCOUNTS[0].privateKey;
  PARTIES.forEach(
    (name, i) => (process.env[partyKeyVariable("privnet", name)] = DEV_ACCOUNTS[i + 1].privateKey),
  );
  const privnet = await createHardhatRuntimeEnvironment(
    userConfig,
    { network: "privnet", config: join(ROOT, "hardhat.config.ts") },
    ROOT,
  );
  let registry = "";
  const run = (task: string, args: Record<string, unknown>) =>
    privnet.tasks.getTask(task).run({ dataDir, registry, as: "", json: false, ...args });

  const deployed = (await run("registry:deploy", { deploymentId })) as { address: string };
  registry = deployed.address;
  for (const [i, name] of PARTIES.entries())
    await run("party:admit", { address: DEV_ACCOUNTS[i + 1].address, name });
  for (const name of PARTIES) await run("party:register-key", { as: name });

  const dashboards = await startPartyDashboards(privnet, { parties: PARTIES, dataDir, registry });
  const url = (name: string) => dashboards.byName[name].url;
  console.log(`
  Operator screen (asset manager):  ${url("asset-manager")}
  CSD screen:                       ${url("csd")}
  custodian bank:                   ${url("custodian-bank")}
  securities firm:                  ${url("securities-firm")}
  outsider:                         ${url("outsider")}
`);

  let stopping = false;
  const stopAll = async () => {
    if (stopping) return;
    stopping = true;
    await dashboards.close();
    await node.stop();
    await rm(join(ROOT, "ignition", "deployments", deploymentId), { recursive: true, force: true });
    await rm(dataDir, { recursive: true, force: true });
  };

  const drive = async () => {
    const step = async (what: string, task: string, args: Record<string, unknown>) => {
      console.log(`\n▶ ${what}`);
      const result = await run(task, args);
      await pause(3_000);
      return result;
    };
    const created = (await step("the asset manager shares the trade", "ticket:create", {
      as: "asset-manager",
      file: join(ROOT, "examples", "dvp-japanese-equity-buy.json"),
      route: ROUTE,
      id: "",
    })) as { id: string };
    const id = created.id;
    await step("the custodian bank presses OK", "ticket:approve", { as: "custodian-bank", id });
    await step("the securities firm presses OK", "ticket:approve", { as: "securities-firm", id });
    await step("the CSD presses NG: DDAT", "ticket:reject", {
      as: "csd",
      id,
      reason: "DDAT",
      note: "2024-05-15 is not a settlement day for this market; please resubmit for 2024-05-16.",
    });
    console.log(
      `\n  the outsider opens ${url("outsider").split("?")[0]}#/ticket/${id}: "not a party to this ticket"`,
    );
    const amended = join(dataDir, "amended-ticket.json");
    const original = JSON.parse(
      await readFile(join(ROOT, "examples", "dvp-japanese-equity-buy.json"), "utf8"),
    );
    await writeFile(
      amended,
      JSON.stringify({ ...original, settlementDate: "2024-05-16" }, null, 2),
    );
    await step("the asset manager amends the settlement date", "ticket:amend", {
      as: "asset-manager",
      id,
      file: amended,
    });
    for (const as of ROUTE.split(","))
      await step(`${as} presses OK on version 2`, "ticket:approve", { as, id });
    console.log("\n  the scenario is complete; the screens stay up until Ctrl-C");
  };

  process.once("SIGINT", () => void stopAll().then(() => process.exit(0)));
  process.once("SIGTERM", () => void stopAll().then(() => process.exit(0)));
  if (process.env.SR_DEMO_DRIVE === "1") {
    await drive();
  } else if (process.stdin.isTTY) {
    console.log(
      "  Press Enter to run the scripted scenario, or act in the browsers; Ctrl-C to stop.",
    );
    const lines = createInterface({ input: process.stdin });
    lines.once(
      "line",
      () => void drive().catch((e) => console.error(`error: ${describeError(e)}`)),
    );
  }
  await new Promise<void>(() => undefined);
}

await main().catch((error) => {
  console.error(`error: ${describeError(error)}`);
  process.exit(1);
});
