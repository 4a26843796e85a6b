import { roleTask } from "../lib/cli/task.js";
import type { CommonArgs } from "../lib/cli/task-args.js";

export default roleTask(async (args: CommonArgs, open) => {
  const { app, out, actor } = await open();
  const pending = (await app.delivery?.pending(actor.party.address)) ?? [];
  out.heading(`Outbox of ${actor.party.name}: ${pending.length} set(s) not yet delivered`);
  await Promise.all(pending.map((e) => app.registry.party(e.recipient)));
  out.table(
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
  out.result(rows);
  return rows;
});
