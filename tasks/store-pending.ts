import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { actAs } from "../lib/app/context.js";
import { runTask } from "../lib/cli/output.js";
import { appFor, type CommonArgs } from "../lib/cli/task-args.js";

export default async function (args: CommonArgs, hre: HardhatRuntimeEnvironment) {
  return runTask(async () => {
    const app = await appFor(hre, args);
    const actor = await actAs(app, args.as);
    const pending = (await app.delivery?.pending(actor.party.address)) ?? [];
    app.out.heading(`Outbox of ${actor.party.name}: ${pending.length} set(s) not yet delivered`);
    await Promise.all(pending.map((e) => app.registry.party(e.recipient)));
    app.out.table(
      ["recipient", "ticket key", "set", "since", "attempts", "last error"],
      pending.map((e) => [
        app.registry.label(e.recipient),
        `${e.ticketKey.slice(0, 10)}…`,
        `${e.kind} v${e.version}`,
        e.createdAt,
        String(e.attempts),
        e.lastError ?? "",
      ]),
    );
    const rows = pending.map(({ envelopes: _envelopes, ...rest }) => rest);
    app.out.result(rows);
    return rows;
  });
}
