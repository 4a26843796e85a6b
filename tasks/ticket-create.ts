import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { actAs } from "../lib/app/context.js";
import { createTicket, parseRouteOption } from "../lib/app/tickets.js";
import { runTask } from "../lib/cli/output.js";
import { appFor, required, type CommonArgs } from "../lib/cli/task-args.js";
import { readTradeFile } from "../lib/ticket/file.js";

interface Args extends CommonArgs {
  file: string;
  route: string;
  id: string;
}

export default async function (args: Args, hre: HardhatRuntimeEnvironment) {
  return runTask(async () => {
    const trade = await readTradeFile(
      required(args.file, "file", "examples/dvp-japanese-equity-buy.json"),
    );
    const route = parseRouteOption(
      required(args.route, "route", "custodian-bank,securities-firm,csd"),
    );
    const app = await appFor(hre, args);
    const actor = await actAs(app, args.as);
    const result = await createTicket(app, actor, { trade, route, id: args.id });
    if (result.alreadyRegistered) {
      app.out.ok(
        `ticket ${result.id} was already registered by an earlier attempt: nothing sent again`,
      );
    } else {
      app.out.ok(`ticket ${result.id} registered`);
    }
    app.out.line(`  notified: ${result.notified.map((p) => p.name).join(" → ")}`);
    app.out.line(
      `  next: ${result.notified[0].name} approves with \`npx hardhat ticket:approve --id ${result.id} --as ${result.notified[0].name}\``,
    );
    app.out.result({
      id: result.id,
      version: result.version,
      alreadyRegistered: result.alreadyRegistered,
      notified: result.notified.map((p) => ({ name: p.name, address: p.address })),
      txHash: result.txHash,
    });
    return result;
  });
}
