/**
 * New ticket (and amend): the trade's fields, a file upload that fills them, and the route
 * picked from the directory. The server validates with the same rules and words as the CLI;
 * each problem is shown on its field before anything is registered.
 */
import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";

import type { ActionOutcome, DirectoryEntry, TicketDetail } from "../server/port.js";
import { ApiError, get, post } from "./api.js";
import type { Session } from "./main.js";

interface Field {
  path: string;
  label: string;
  options?: string[];
  type?: "date";
  optional?: boolean;
  hint?: string;
}

const FIELDS: Field[] = [
  { path: "senderReference", label: "Sender reference (SEME)" },
  { path: "function", label: "Function", options: ["NEWM", "CANC", "PREA"] },
  { path: "direction", label: "Direction", options: ["RECE", "DELI"] },
  { path: "payment", label: "Payment", options: ["APMT", "FREE"] },
  { path: "tradeDate", label: "Trade date", type: "date" },
  { path: "settlementDate", label: "Settlement date", type: "date" },
  { path: "isin", label: "ISIN", hint: "e.g. JP3633400001" },
  { path: "instrumentDescription", label: "Instrument description", optional: true },
  { path: "quantity.type", label: "Quantity type", options: ["UNIT", "FAMT"] },
  { path: "quantity.amount", label: "Quantity" },
  {
    path: "dealPrice.type",
    label: "Deal price type",
    options: ["", "ACTU", "PRCT"],
    optional: true,
  },
  { path: "dealPrice.amount", label: "Deal price", optional: true },
  { path: "dealPrice.currency", label: "Deal price currency", optional: true },
  { path: "settlementAmount.amount", label: "Settlement amount", optional: true },
  { path: "settlementAmount.currency", label: "Settlement currency", optional: true },
  { path: "deliveringAgent", label: "Delivering agent (BIC)" },
  { path: "receivingAgent", label: "Receiving agent (BIC)" },
  { path: "seller", label: "Seller (BIC)", optional: true },
  { path: "buyer", label: "Buyer (BIC)", optional: true },
  { path: "placeOfSettlement", label: "Place of settlement (BIC)" },
  { path: "safekeepingAccount", label: "Safekeeping account" },
  { path: "placeOfTrade", label: "Place of trade (MIC)", optional: true },
  { path: "commonReference", label: "Common reference (COMM)", optional: true },
];

type Values = Record<string, string>;

/** Flat form values from a trade document (other fields are kept as they are). */
function flatten(trade: Record<string, unknown>, prefix = ""): Values {
  const out: Values = {};
  for (const [k, v] of Object.entries(trade)) {
    const path = prefix + k;
    if (typeof v === "object" && v !== null && !Array.isArray(v))
      Object.assign(out, flatten(v as Record<string, unknown>, `${path}.`));
    else out[path] = String(v);
  }
  return out;
}

/** The trade document from the form: empty fields are left out. */
function document_(values: Values, extra: Record<string, unknown>): Record<string, unknown> {
  const trade: Record<string, unknown> = { ...extra };
  for (const [path, value] of Object.entries(values)) {
    if (value.trim() === "") continue;
    const parts = path.split(".");
    let node = trade;
    for (const p of parts.slice(0, -1)) node = (node[p] ??= {}) as Record<string, unknown>;
    node[parts[parts.length - 1]] = value.trim();
  }
  return trade;
}

const idOf = (path: string) => `f-${path.replace(/\./g, "-")}`;

export function TicketForm({ session, amend }: { session: Session; amend?: string }) {
  const [values, setValues] = useState<Values>({
    function: "NEWM",
    direction: "RECE",
    payment: "APMT",
    "quantity.type": "UNIT",
  });
  const [extra, setExtra] = useState<Record<string, unknown>>({});
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [parties, setParties] = useState<DirectoryEntry[]>([]);
  const [route, setRoute] = useState<string[]>(["", "", ""]);
  const [version, setVersion] = useState<number | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<string | undefined>(undefined);
  const [failure, setFailure] = useState<string | undefined>(undefined);

  useEffect(() => {
    void get<DirectoryEntry[]>("/api/directory").then(setParties, () => undefined);
    if (amend !== undefined) {
      void get<TicketDetail>(`/api/tickets/${encodeURIComponent(amend)}`).then(
        (t) => {
          const { settlementParameters, ...rest } = t.trade;
          setValues(flatten(rest));
          setExtra(settlementParameters === undefined ? {} : { settlementParameters });
          setVersion(t.version);
          setRoute(t.route.map((s) => s.party.name));
        },
        (e: ApiError) => setFailure(e.message),
      );
    }
  }, [amend]);

  const set = (path: string, value: string) => setValues((v) => ({ ...v, [path]: value }));

  const upload = async (file: File) => {
    setFailure(undefined);
    try {
      const r = await post<{ trade: Record<string, unknown> }>("/api/upload", {
        name: file.name,
        text: await file.text(),
      });
      const { settlementParameters, ...rest } = r.trade;
      setValues(flatten(rest));
      setExtra(settlementParameters === undefined ? {} : { settlementParameters });
      setErrors({});
    } catch (e) {
      setErrors((e as ApiError).fields);
      setFailure((e as ApiError).message);
    }
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setResult(undefined);
    setFailure(undefined);
    const trade = document_(values, extra);
    try {
      const { fields } = await post<{ fields: Record<string, string[]> }>("/api/validate", {
        trade,
      });
      const chosen = route.filter((r) => r !== "");
      if (amend === undefined && chosen.length === 0) fields.route = ["--route is empty"];
      setErrors(fields);
      if (Object.keys(fields).length > 0) {
        const first = Object.keys(fields)[0];
        document.getElementById(first === "route" ? "route-0" : idOf(first))?.focus();
        setFailure(`${Object.values(fields).flat().length} field(s) to correct; nothing was sent`);
        return;
      }
      const r =
        amend === undefined
          ? await post<ActionOutcome>("/api/tickets", { trade, route: chosen })
          : await post<ActionOutcome>(`/api/tickets/${amend}/amend`, {
              trade,
              version,
              ...(session.capabilities.reroute ? { route: chosen } : {}),
            });
      setResult(r.id);
      location.hash = `#/ticket/${r.id}`;
    } catch (err) {
      const error = err as ApiError;
      setErrors(error.fields);
      setFailure(error.hint === undefined ? error.message : `${error.message} — ${error.hint}`);
    } finally {
      setBusy(false);
    }
  };

  const candidates = parties.filter(
    (p) => p.address !== session.me.address && !p.suspended && p.keyVersion > 0,
  );
  const fieldError = (path: string) =>
    errors[path] === undefined
      ? ""
      : html`<span class="field-error" id=${`${idOf(path)}-error`}
          >${errors[path].join("; ")}</span
        >`;
  const known = new Set(FIELDS.map((f) => f.path));
  const elsewhere = Object.entries(errors).filter(
    ([p]) => !known.has(p) && p !== "route" && p !== "file",
  );

  return html`<h1>
      ${
        amend === undefined
          ? "New ticket"
          : `${session.capabilities.reroute ? "Amend or re-route" : "Amend"} ticket ${amend} (version ${version ?? "…"})`
      }
    </h1>
    <form onSubmit=${submit} novalidate data-testid="ticket-form">
      <p>
        <label for="f-file"
          >Fill from a file (ticket
          JSON${session.capabilities.uploads.includes("sese.023") ? " or sese.023 XML" : ""})</label
        ><br />
        <input
          id="f-file"
          type="file"
          accept=${session.capabilities.uploads.includes("sese.023") ? ".json,.xml" : ".json"}
          aria-describedby=${errors.file === undefined ? undefined : "f-file-error"}
          onChange=${(e: Event) => {
            const f = (e.target as HTMLInputElement).files?.[0];
            if (f) void upload(f);
          }}
        />
        ${errors.file === undefined ? "" : html`<span class="field-error" id="f-file-error">${errors.file.join("; ")}</span>`}
      </p>
      <div class="grid">
        ${FIELDS.map(
          (f) =>
            html`<p key=${f.path}>
              <label for=${idOf(f.path)}
                >${f.label}${f.optional ? html` <small>(optional)</small>` : ""}</label
              >
              ${
                f.options === undefined
                  ? html`<input
                      id=${idOf(f.path)}
                      name=${f.path}
                      type=${f.type ?? "text"}
                      value=${values[f.path] ?? ""}
                      placeholder=${f.hint ?? ""}
                      aria-invalid=${errors[f.path] !== undefined}
                      aria-describedby=${errors[f.path] === undefined ? undefined : `${idOf(f.path)}-error`}
                      onInput=${(e: Event) => set(f.path, (e.target as HTMLInputElement).value)}
                    />`
                  : html`<select
                      id=${idOf(f.path)}
                      name=${f.path}
                      value=${values[f.path] ?? ""}
                      aria-invalid=${errors[f.path] !== undefined}
                      aria-describedby=${errors[f.path] === undefined ? undefined : `${idOf(f.path)}-error`}
                      onChange=${(e: Event) => set(f.path, (e.target as HTMLSelectElement).value)}
                    >
                      ${f.options.map((o) => html`<option value=${o}>${o === "" ? "—" : o}</option>`)}
                    </select>`
              }
              ${fieldError(f.path)}
            </p>`,
        )}
      </div>
      ${
        elsewhere.length === 0
          ? ""
          : html`<ul class="field-error">
              ${elsewhere.map(([p, m]) => html`<li>${p}: ${m.join("; ")}</li>`)}
            </ul>`
      }
      <fieldset class="route" disabled=${amend !== undefined && !session.capabilities.reroute}>
        <legend>
          Approval route, in
          order${amend !== undefined && !session.capabilities.reroute ? " (unchanged by an amendment)" : ""}
        </legend>
        ${route.map(
          (r, i) =>
            html`<p key=${i}>
              <label for=${`route-${i}`}>Step ${i + 1}</label>
              <select
                id=${`route-${i}`}
                value=${r}
                aria-describedby=${errors.route === undefined ? undefined : "route-error"}
                onChange=${(e: Event) => setRoute(route.map((x, j) => (j === i ? (e.target as HTMLSelectElement).value : x)))}
              >
                <option value="">—</option>
                ${[...candidates.map((p) => p.name), ...(r !== "" && !candidates.some((p) => p.name === r) ? [r] : [])].map((n) => html`<option value=${n}>${n}</option>`)}
              </select>
            </p>`,
        )}
        ${route.length < 8 ? html`<button type="button" onClick=${() => setRoute([...route, ""])}>Add a step</button>` : ""}
        ${errors.route === undefined ? "" : html`<span class="field-error" id="route-error">${errors.route.join("; ")}</span>`}
      </fieldset>
      <button type="submit" class="ok" disabled=${busy}>
        ${amend === undefined ? "Register the ticket" : "Resubmit as a new version"}
      </button>
      ${failure === undefined ? "" : html`<p class="error" role="alert" data-testid="form-error">${failure}</p>`}
      ${result === undefined ? "" : html`<p role="status">Registered ${result}</p>`}
    </form>`;
}
