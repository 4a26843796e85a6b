/**
 * Every ticket that concerns me, with the columns an operations desk works from, filters and a
 * search by ticket ID or by my own references (SEME, COMM).
 */
import { html } from "htm/preact";
import { useState } from "preact/hooks";

import type { InboxItem } from "../server/port.js";
import { amount, daysLabel, DIRECTION, TableHead, today } from "./format.js";
import { useLoad } from "./load.js";
import type { Session } from "./main.js";

const FILTERS = {
  all: { label: "All", test: () => true },
  waiting: { label: "Waiting for me", test: (t: InboxItem) => t.myTurn },
  returned: { label: "Returned", test: (t: InboxItem) => t.status === "returned" },
  completed: { label: "Completed", test: (t: InboxItem) => t.status === "completed" },
  due: {
    label: "Due today",
    test: (t: InboxItem) => t.settlementDate === today() && t.status !== "cancelled",
  },
} as const;
type Filter = keyof typeof FILTERS;

function matches(t: InboxItem, query: string): boolean {
  const q = query.trim().toUpperCase();
  if (q === "") return true;
  return [t.id, t.senderReference, t.commonReference ?? ""].some((v) =>
    v.toUpperCase().includes(q),
  );
}

function Row({ t }: { t: InboxItem }) {
  return html`<tr data-testid="inbox-row" data-id=${t.id} class=${t.myTurn ? "my-turn" : ""}>
    <th scope="row">
      <a href=${`#/ticket/${t.id}`}>${t.id}</a><br /><small
        >v${t.version} · ${t.senderReference}</small
      >
    </th>
    <td>
      <span class="mono">${t.isin}</span><br /><small>${t.instrumentDescription ?? ""}</small>
    </td>
    <td>${DIRECTION[t.direction] ?? t.direction}</td>
    <td class="num">${amount(t.quantity.amount)} <small>${t.quantity.type}</small></td>
    <td class="num">
      ${t.settlementAmount === undefined ? "free" : `${t.settlementAmount.currency} ${amount(t.settlementAmount.amount)}`}
    </td>
    <td>${t.settlementDate}<br /><small>${daysLabel(t.settlementDate)}</small></td>
    <td class="mono">
      <small>${t.deliveringAgent} →<br />${t.receivingAgent}</small>
    </td>
    <td>${t.myRole === "originator" ? "originator" : `step ${t.myStep}`}</td>
    <td>
      <span class=${`badge ${t.status}`}>${t.myTurn ? "waiting for me" : t.status}</span>
      ${t.waitingFor !== undefined && !t.myTurn ? html`<br /><small>next: ${t.waitingFor.name}</small>` : ""}
    </td>
    <td>
      <small
        >${t.lastEvent === undefined ? "" : `${t.lastEvent.kind}${t.lastEvent.by === undefined ? "" : ` by ${t.lastEvent.by}`}`}</small
      >
    </td>
  </tr>`;
}

export function Inbox({ session, tick }: { session: Session; tick: number }) {
  const { data, error } = useLoad<InboxItem[]>("/api/inbox", tick);
  const [filter, setFilter] = useState<Filter>("all");
  const [query, setQuery] = useState("");
  const rows = (data ?? []).filter((t) => FILTERS[filter].test(t) && matches(t, query)).reverse();
  return html`<h1>Inbox of ${session.me.name}</h1>
    <div class="tools">
      <fieldset class="filters">
        <legend>Show</legend>
        ${(Object.keys(FILTERS) as Filter[]).map(
          (f) =>
            html`<label key=${f}
              ><input
                type="radio"
                name="filter"
                value=${f}
                checked=${filter === f}
                onChange=${() => setFilter(f)}
              />
              ${FILTERS[f].label}</label
            >`,
        )}
      </fieldset>
      <p>
        <label for="search">Search by ticket ID, SEME or COMM</label><br />
        <input
          id="search"
          type="search"
          value=${query}
          onInput=${(e: Event) => setQuery((e.target as HTMLInputElement).value)}
        />
      </p>
    </div>
    ${error}
    ${
      data === undefined
        ? html`<p>Loading…</p>`
        : rows.length === 0
          ? html`<p data-testid="inbox-empty">
              No tickets${filter === "all" && query === "" ? " concern you yet" : " match"}.
            </p>`
          : html`<table class="inbox">
              <caption>
                ${rows.length} ticket${rows.length === 1 ? "" : "s"}
              </caption>
              <${TableHead}
                cols=${["Ticket", "Instrument", "Direction", "Quantity", "Settlement amount", "Settlement date", "Agents (delivering → receiving)", "My step", "Status", "Last event"]}
              />
              <tbody>
                ${rows.map((t) => html`<${Row} key=${t.id} t=${t} />`)}
              </tbody>
            </table>`
    }`;
}
