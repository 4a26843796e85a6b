/**
 * One ticket: the verified trade, the route as a progress line, the history with reasons and
 * notes, the check result when there is one, and the actions my role allows now. Every decision
 * names the version on screen; the server refuses it if the chain holds another one.
 */
import { html } from "htm/preact";
import { useState } from "preact/hooks";

import type {
  ActionOutcome,
  CheckResult,
  CheckRow,
  HistoryItem,
  RouteStep,
  TicketDetail,
} from "../server/port.js";
import { ApiError, post } from "./api.js";
import { TableHead } from "./format.js";
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

const RESULT_WORD: Record<CheckRow["result"], string> = {
  match: "match",
  "within-tolerance": "within tolerance",
  mismatch: "mismatch",
  "not-compared": "not compared",
};

/** Reads a chosen file for the API: its name and text. */
const readFile = async (input: HTMLInputElement) => {
  const f = input.files?.[0];
  return f === undefined ? undefined : { name: f.name, text: await f.text() };
};

function CheckResultView({ c }: { c: CheckResult }) {
  return html`<p data-testid="check-proposal" class=${c.proposal === "OK" ? "success" : "error"}>
      ${`Version ${c.version} against ${c.side === "same-side" ? "our record" : "our instruction"} ${c.senderReference}: proposes `}<strong>${c.proposal}</strong>${
        c.reasons.length === 0
          ? ""
          : ` — ${c.reasons.map((r) => `${r.qualifier}/${r.code} ${r.meaning}`).join("; ")}`
      }
    </p>
    <table data-testid="check-table">
      <caption>
        Field by field
      </caption>
      <${TableHead} cols=${["Field", "Ticket", "My instruction", "Result"]} />
      <tbody>
        ${c.rows.map(
          (r) =>
            html`<tr key=${r.field} class=${r.result} data-field=${r.field}>
              <th scope="row"><abbr title=${r.tag}>${r.field}</abbr></th>
              <td>${r.ticket ?? ""}</td>
              <td>${r.instruction ?? ""}</td>
              <td>
                ${RESULT_WORD[r.result]}${r.result === "mismatch" ? ` (NMAT/${r.code})` : ""}${r.note === undefined ? "" : html`<br /><small>${r.note}</small>`}
              </td>
            </tr>`,
        )}
      </tbody>
    </table>
    ${
      c.balances === undefined
        ? html`<p>Balances: no positions given, not checked.</p>`
        : html`<table data-testid="check-balances">
            <caption>
              Balances from ${c.balances.source}, as of ${c.balances.asOf}
            </caption>
            <${TableHead} cols=${["Position", "Needed", "Held", "Result"]} />
            <tbody>
              ${c.balances.rows.map(
                (b) =>
                  html`<tr key=${b.kind + b.what} class=${b.sufficient ? "match" : "mismatch"}>
                    <th scope="row">${b.kind} ${b.what}</th>
                    <td>${b.required}</td>
                    <td>${b.available}</td>
                    <td>
                      ${b.sufficient ? "sufficient" : `short (${b.reason?.qualifier}/${b.reason?.code})`}
                    </td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }`;
}

/** A route party checks the ticket while it is open. */
const canCheck = (t: TicketDetail) => t.status === "open" && t.myRole === "route";

/** The check: the party uploads its own instruction (and positions); the server matches. */
function Check({ t, done }: { t: TicketDetail; done: () => void }) {
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [failure, setFailure] = useState<string | undefined>(undefined);
  const run = async (e: Event) => {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const instruction = await readFile(form.querySelector<HTMLInputElement>("#check-instruction")!);
    const positions = await readFile(form.querySelector<HTMLInputElement>("#check-positions")!);
    setErrors({});
    setFailure(undefined);
    if (instruction === undefined) {
      setErrors({ instruction: ["choose your instruction file"] });
      return;
    }
    setBusy(true);
    try {
      await post<CheckResult>(`/api/tickets/${t.id}/check`, { instruction, positions });
      done();
    } catch (err) {
      const error = err as ApiError;
      setErrors(error.fields);
      if (Object.keys(error.fields).length === 0) setFailure(error.message);
    } finally {
      setBusy(false);
    }
  };
  const fileField = (field: string, label: string) =>
    html`<p>
      <label for=${`check-${field}`}>${label}</label><br />
      <input
        id=${`check-${field}`}
        type="file"
        accept=".json,.xml"
        aria-invalid=${errors[field] !== undefined}
        aria-describedby=${errors[field] === undefined ? undefined : `check-${field}-error`}
      />
      ${
        errors[field] === undefined
          ? ""
          : html`<span class="field-error" id=${`check-${field}-error`}
              >${errors[field].join("; ")}</span
            >`
      }
    </p>`;
  return html`<section aria-labelledby="check-h" class="check">
    <h2 id="check-h">Check against my instruction</h2>
    ${t.check === undefined ? "" : html`<${CheckResultView} c=${t.check} />`}
    ${
      canCheck(t)
        ? html`<form onSubmit=${run} novalidate data-testid="check-form">
            ${fileField("instruction", "My instruction (ticket JSON or sese.023 XML)")}
            ${fileField("positions", "My positions (sr-positions/1 JSON, optional)")}
            <button type="submit" disabled=${busy}>
              ${t.check === undefined ? "Run the check" : "Run the check again"}
            </button>
            ${failure === undefined ? "" : html`<p class="error" role="alert">${failure}</p>`}
          </form>`
        : ""
    }
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
  const noteError = fieldErrors.note?.join("; ");
  const proposed = t.check?.proposal === "NG" ? t.check.reasons : [];
  const useCheck = () => {
    const chosen = proposed.slice(0, session.capabilities.maxReasons);
    setReasons(chosen.map((r) => `${r.qualifier}/${r.code}`));
    setNote(chosen.map((r) => r.narrative).join("; "));
  };
  return html`<section aria-labelledby="actions-h" class="actions">
    <h2 id="actions-h">
      ${a.approve || a.reject ? `Your decision on version ${t.version}` : `What you can do with version ${t.version}`}
    </h2>
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
              ${
                proposed.length === 0
                  ? ""
                  : html`<p>
                      <button type="button" onClick=${useCheck}>
                        Use the check's reason${proposed.length > 1 ? "s" : ""}
                      </button>
                    </p>`
              }
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
                  ${several ? "" : html`<option value="" selected=${reasons.length === 0}>— choose a reason —</option>`}
                  ${[...byQualifier].map(([q, list]) => html`<optgroup label=${q}>${list.map((r) => html`<option value=${`${r.qualifier}/${r.code}`} selected=${reasons.includes(`${r.qualifier}/${r.code}`)}>${r.qualifier}/${r.code} — ${r.meaning}</option>`)}</optgroup>`)}
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
                  aria-invalid=${noteError !== undefined}
                  aria-describedby=${noteError === undefined ? undefined : "note-error"}
                  onInput=${(e: Event) => setNote((e.target as HTMLTextAreaElement).value)}
                ></textarea>
              </p>
              ${noteError === undefined ? "" : html`<p class="field-error" id="note-error">${noteError}</p>`}
              <button type="submit" class="ng" disabled=${busy}>
                NG — return version ${t.version}
              </button>
            </fieldset>
          </form>`
        : ""
    }
    ${
      a.amend || a.reroute
        ? html`<a class="button" href=${`#/ticket/${t.id}/amend`}
            >${a.amend && a.reroute ? "Amend or re-route" : a.amend ? "Amend and resubmit" : "Change the route"}</a
          >`
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
    ${
      session.capabilities.check && (t.check !== undefined || canCheck(t))
        ? html`<${Check} t=${t} done=${reload} />`
        : ""
    }
    <section aria-labelledby="trade-h">
      <h2 id="trade-h">Trade</h2>
      <${Trade} trade=${t.trade} />
    </section>
    <section aria-labelledby="history-h">
      <h2 id="history-h">History</h2>
      <${History} items=${t.history} />
    </section>`;
}
