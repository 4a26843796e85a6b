/**
 * The scenario on screens: `npm run demo:ui` starts a local chain (anvil from the npm registry,
 * configured like a free-gas Besu chain with a one-second block period), deploys the registry,
 * admits the five parties, starts one dashboard per party, and prints the operator's and the
 * CSD's URLs. Press Enter (or set SR_DEMO_DRIVE=1) to let the script act out the scenario, the
 * same steps as `npm run demo`, while you watch the CSD's screen; or act in the browsers
 * yourself. Ctrl-C stops everything it started.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

import { HDNodeWallet, Mnemonic } from "ethers";
import hre from "hardhat";
import { createHardhatRuntimeEnvironment } from "hardhat/hre";

import userConfig from "../hardhat.config.js";
import { partyKeyVariable } from "../lib/app/hardhat.js";
import { taskMode } from "../lib/cli/output.js";
import { describeError } from "../lib/errors.js";
import { startPartyDashboards } from "../web/server/launch.js";

const ROOT = hre.config.paths.root;
const PARTIES = ["asset-manager", "custodian-bank", "securities-firm", "csd", "outsider"];
const ROUTE = "custodian-bank,securities-firm,csd";
/** anvil's public development mnemonic: test keys only, never funded on a real chain. */
const DEV_MNEMONIC = Mnemonic.fromPhrase(
  "test test test test test test test test test test test junk",
);
const devKey = (i: number) => HDNodeWallet.fromMnemonic(DEV_MNEMONIC, `m/44'/60'/0'/0/${i}`);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() =>
        resolve(typeof address === "object" && address !== null ? address.port : 0),
      );
    });
  });
}

/** Starts anvil on `port` and resolves with a function that stops it by its PID. */
async function startChain(port: number): Promise<() => void> {
  const require = createRequire(import.meta.url);
  const arch = process.arch === "x64" ? "amd64" : process.arch;
  const binary = join(
    require.resolve(`@foundry-rs/anvil-${process.platform}-${arch}/package.json`),
    "..",
    "bin",
    "anvil",
  );
  const child = spawn(
    binary,
    [
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--block-time",
      "1",
      "--hardfork",
      "london",
      "--gas-price",
      "0",
      "--base-fee",
      "0",
      "--disable-min-priority-fee",
      "--init",
      join(ROOT, "chains", "besu-genesis.json"),
    ],
    { stdio: "ignore" },
  );
  const stop = () => {
    if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, "SIGTERM");
  };
  process.on("exit", stop);
  for (let i = 0; i < 200; i++) {
    const up = await fetch(`http://127.0.0.1:${port}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}',
    }).then(
      () => true,
      () => false,
    );
    if (up) return stop;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  stop();
  throw new Error("anvil did not start");
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  taskMode.rethrow = true;
  const port = await freePort();
  const stopChain = await startChain(port);
  const dataDir = await mkdtemp(join(tmpdir(), "sr-demo-ui-"));
  const deploymentId = `demo-ui-${port}`;
  process.env.SR_PRIVNET_RPC_URL = `http://127.0.0.1:${port}`;
  process.env.SR_PRIVNET_ADMIN_KEY = devKey(0).privateKey;
  PARTIES.forEach(
    (name, i) => (process.env[partyKeyVariable("privnet", name)] = devKey(i + 1).privateKey),
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
    await run("party:admit", { address: devKey(i + 1).address, name });
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
    stopChain();
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
