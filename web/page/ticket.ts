/**
 * One ticket: the verified trade, the route as a progress line, the history with reasons and
 * notes, the check result when there is one, and the actions my role allows now. Every decision
 * names the version on screen; the server refuses it if the chain holds another one.
 */
import { html } from "htm/preact";
import { useState } from "preact/hooks";

import type { ActionOutcome, HistoryItem, RouteStep, TicketDetail } from "../server/port.js";
import { ApiError, post } from "./api.js";
import { useLoad } from "./load.js";
import type { Session } from "./main.js";

const STEP_WORD: Record<RouteStep["state"], string> = {
  approved: "approved (OK)",
  waiting: "next to decide",
  returned: "returned (NG)",
  pending: "not yet",
  skipped: "not needed",
};

function Progress({ t }: { t: TicketDetail }) {
  const returned = [...t.history]
    .reverse()
    .find((h) => h.kind === "returned" && h.version === t.version);
  return html`<ol class="progress" aria-label="Approval route" data-testid="route">
    <li class="done">
      <span class="dot" aria-hidden="true"></span>${t.originator.name}<br /><small
        >originator</small
      >
    </li>
    ${t.route.map(
      (s) =>
        html`<li
          key=${s.step}
          class=${s.state}
          data-state=${s.state}
          aria-current=${s.state === "waiting" ? "step" : undefined}
        >
          <span class="dot" aria-hidden="true"></span>${s.party.name}<br />
          <small>step ${s.step}: ${STEP_WORD[s.state]}</small>
          ${
            s.state === "returned" && returned?.reasons !== undefined
              ? html`<br /><small
                    >${returned.reasons.map((r) => `${r.qualifier}/${r.code} ${r.meaning}`).join("; ")}</small
                  >`
              : ""
          }
        </li>`,
    )}
  </ol>`;
}

function show(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "object")
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${k} ${show(v)}`)
      .join(", ");
  return String(value);
}

function Trade({ trade }: { trade: Record<string, unknown> }) {
  return html`<dl class="trade" data-testid="trade">
    ${Object.entries(trade).map(
      ([k, v]) =>
        html`<div key=${k}>
          <dt>${k}</dt>
          <dd>${show(v)}</dd>
        </div>`,
    )}
  </dl>`;
}

/** `version 1 · by csd (step 3) · block 21`, as one string: templates collapse line breaks. */
const describe = (h: HistoryItem) =>
  [
    `version ${h.version}`,
    h.by === undefined
      ? undefined
      : `by ${h.by.name}${h.step === undefined ? "" : ` (step ${h.step})`}`,
    `block ${h.block}`,
  ]
    .filter(Boolean)
    .join(" · ");

function History({ items }: { items: HistoryItem[] }) {
  return html`<ol class="history" data-testid="history">
    ${items.map(
      (h) =>
        html`<li key=${h.tx + h.kind}>
          <strong>${h.kind}</strong>${` · ${describe(h)}`}
          ${
            h.reasons === undefined
              ? ""
              : html`<ul class="reasons">
                  ${h.reasons.map((r) => html`<li><abbr title=${r.meaning}>${r.qualifier}/${r.code}</abbr> ${r.meaning}</li>`)}
                </ul>`
          }
          ${h.note === undefined ? "" : html`<blockquote>${h.note}</blockquote>`}
        </li>`,
    )}
  </ol>`;
}

function Check({ t }: { t: TicketDetail }) {
  if (t.check === undefined) return "";
  return html`<section aria-labelledby="check-h">
    <h2 id="check-h">Check against my instruction: proposes ${t.check.proposal}</h2>
    <table>
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">Ticket</th>
          <th scope="col">My instruction</th>
          <th scope="col">Result</th>
        </tr>
      </thead>
      <tbody>
        ${t.check.rows.map(
          (r) =>
            html`<tr class=${r.result}>
              <th scope="row">${r.field}</th>
              <td>${r.ticket ?? ""}</td>
              <td>${r.instruction ?? ""}</td>
              <td>
                ${r.result}${r.reason === undefined ? "" : ` (${r.reason.qualifier}/${r.reason.code})`}
              </td>
            </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}

function Actions({ t, session, done }: { t: TicketDetail; session: Session; done: () => void }) {
  const [busy, setBusy] = useState(false);
  // A message belongs to the state it reports: once the ticket moves on, it is no longer shown.
  const [message, setMessage] = useState<
    { ok: boolean; text: string; version: number; status: string } | undefined
  >(undefined);
  const [reasons, setReasons] = useState<string[]>([]);
  const [note, setNote] = useState("");
  const [fieldErrors, setFieldErrors] = useState<Record<string, string[]>>({});
  const act = async (what: string, body: Record<string, unknown>) => {
    setBusy(true);
    setMessage(undefined);
    setFieldErrors({});
    try {
      const r = await post<ActionOutcome>(`/api/tickets/${t.id}/${what}`, {
        version: t.version,
        ...body,
      });
      setMessage({
        ok: true,
        version: r.version,
        status: r.status,
        text: `${what === "approve" ? "Approved (OK)" : what === "reject" ? "Returned (NG)" : "Cancelled"}: ticket ${r.id} version ${r.version} is ${r.status}${r.next === undefined ? "" : `; next: ${r.next.name}`}`,
      });
      done();
    } catch (e) {
      const error = e as ApiError;
      setFieldErrors(error.fields);
      setMessage({
        ok: false,
        version: t.version,
        status: t.status,
        text: error.hint === undefined ? error.message : `${error.message} — ${error.hint}`,
      });
    } finally {
      setBusy(false);
    }
  };
  const a = t.allowed;
  const result =
    message === undefined || message.version !== t.version || message.status !== t.status
      ? ""
      : html`<p role="status" data-testid="action-result" class=${message.ok ? "success" : "error"}>
          ${message.text}
        </p>`;
  if (!a.approve && !a.reject && !a.amend && !a.cancel && !a.reroute) {
    return html`<p data-testid="no-actions">Nothing for you to do on this ticket now.</p>
      ${result}`;
  }
  const several = session.capabilities.maxReasons > 1;
  const byQualifier = new Map<string, typeof session.reasons>();
  for (const r of session.reasons)
    byQualifier.set(r.qualifier, [...(byQualifier.get(r.qualifier) ?? []), r]);
  const reasonError = fieldErrors.reasons?.join("; ");
  return html`<section aria-labelledby="actions-h" class="actions">
    <h2 id="actions-h">Your decision on version ${t.version}</h2>
    ${a.approve ? html`<button type="button" class="ok" disabled=${busy} onClick=${() => act("approve", {})}>OK — approve version ${t.version}</button>` : ""}
    ${
      a.reject
        ? html`<form
            class="reject"
            onSubmit=${(e: Event) => {
              e.preventDefault();
              void act("reject", { reasons, note });
            }}
          >
            <fieldset>
              <legend>NG — return with a reason</legend>
              <p>
                <label for="reason">Reason (ISO code and meaning)</label><br />
                <select
                  id="reason"
                  multiple=${several}
                  size=${several ? 8 : 1}
                  aria-invalid=${reasonError !== undefined}
                  aria-describedby=${reasonError === undefined ? undefined : "reason-error"}
                  onChange=${(e: Event) => setReasons([...(e.target as HTMLSelectElement).selectedOptions].map((o) => o.value).filter(Boolean))}
                >
                  ${several ? "" : html`<option value="">— choose a reason —</option>`}
                  ${[...byQualifier].map(([q, list]) => html`<optgroup label=${q}>${list.map((r) => html`<option value=${`${r.qualifier}/${r.code}`}>${r.qualifier}/${r.code} — ${r.meaning}</option>`)}</optgroup>`)}
                </select>
              </p>
              ${reasonError === undefined ? "" : html`<p class="field-error" id="reason-error">${reasonError}</p>`}
              <p>
                <label for="note">Note for the originator and the route (encrypted)</label><br />
                <textarea
                  id="note"
                  rows="3"
                  maxlength="2000"
                  value=${note}
                  onInput=${(e: Event) => setNote((e.target as HTMLTextAreaElement).value)}
                ></textarea>
              </p>
              <button type="submit" class="ng" disabled=${busy}>
                NG — return version ${t.version}
              </button>
            </fieldset>
          </form>`
        : ""
    }
    ${a.amend ? html`<a class="button" href=${`#/ticket/${t.id}/amend`}>Amend and resubmit</a>` : ""}
    ${
      a.reroute && !a.amend
        ? html`<a class="button" href=${`#/ticket/${t.id}/amend`}>Change the route</a>`
        : ""
    }
    ${a.cancel ? html`<button type="button" disabled=${busy} onClick=${() => confirm(`Cancel ticket ${t.id}?`) && act("cancel", {})}>Cancel ticket</button>` : ""}
    ${result}
  </section>`;
}

export function TicketPage({ session, id, tick }: { session: Session; id: string; tick: number }) {
  const {
    data: t,
    failure,
    error,
    reload,
  } = useLoad<TicketDetail>(`/api/tickets/${encodeURIComponent(id)}`, tick);
  if (failure?.kind === "not-a-party") {
    // An outsider learns this and nothing else: no route, no status, no trade.
    return html`<h1>Ticket ${id}</h1>
      <p class="error" role="alert" data-testid="not-a-party">not a party to this ticket</p>`;
  }
  if (t === undefined)
    return html`<h1>Ticket ${id}</h1>
      ${error ?? html`<p>Loading…</p>`}`;
  return html`<h1>
      Ticket ${t.id} <small>version ${t.version}</small>${" "}
      <span class=${`badge ${t.status}`} data-testid="status">${t.status}</span>
    </h1>
    ${error}
    <p class="verified">
      ✔ Decrypted with your key and verified against the commitment on your node.
    </p>
    <section aria-labelledby="route-h">
      <h2 id="route-h">Route</h2>
      <${Progress} t=${t} />
    </section>
    <${Actions} t=${t} session=${session} done=${reload} />
    <${Check} t=${t} />
    <section aria-labelledby="trade-h">
      <h2 id="trade-h">Trade</h2>
      <${Trade} trade=${t.trade} />
    </section>
    <section aria-labelledby="history-h">
      <h2 id="history-h">History</h2>
      <${History} items=${t.history} />
    </section>`;
}
