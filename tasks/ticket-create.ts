import { createTicket } from "../lib/app/create.js";
import { roleTask } from "../lib/cli/task.js";
import { parseRouteOption, required, type CommonArgs } from "../lib/cli/task-args.js";
import { readInstructionFile } from "../lib/iso20022/instruction.js";
import { readTradeFile } from "../lib/ticket/file.js";

interface Args extends CommonArgs {
  file: string;
  route: string;
  id: string;
}

export default roleTask(async (args: Args, open) => {
  const file = required(args.file, "file", "examples/dvp-japanese-equity-buy.json");
  // A sese.023 instruction (.xml) is mapped to the ticket's fields; anything else is ticket JSON.
  const trade = /\.xml$/i.test(file)
    ? (await readInstructionFile(file)).trade
    : await readTradeFile(file);
  const route = parseRouteOption(
    required(args.route, "route", "custodian-bank,securities-firm,csd"),
  );
  const { app, out, actor } = await open();
  const result = await createTicket(app, actor, { trade, route, id: args.id });
  if (result.alreadyRegistered) {
    out.ok(
      `ticket ${result.id} was already registered by your earlier attempt: nothing sent again`,
    );
    out.line(
      "  the record is yours: the registry files a create under its sender, so a copy made by anyone else is a record of its own",
    );
  } else {
    out.ok(`ticket ${result.id} registered`);
  }
  out.line(`  notified: ${result.notified.map((p) => p.name).join(" → ")}`);
  out.line(
    `  next: ${result.notified[0].name} approves with \`npx hardhat ticket:approve --id ${result.id} --as ${result.notified[0].name}\``,
  );
  out.result({
    id: result.id,
    version: result.version,
    alreadyRegistered: result.alreadyRegistered,
    notified: result.notified.map((p) => ({ name: p.name, address: p.address })),
    txHash: result.txHash,
  });
  return result;
});
