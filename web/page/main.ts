/**
 * The dashboard page: a small Preact app (htm templates, no build-time JSX), hash-routed so that
 * the server serves one document. Pages: Inbox, Ticket, New ticket, Directory.
 */
import { html, render } from "htm/preact";
import { useEffect, useState } from "preact/hooks";

import type { Capabilities, Health, LiveEvent, PartyRef, ReasonView } from "../server/port.js";
import { get } from "./api.js";
import { Directory } from "./directory.js";
import { Inbox } from "./inbox.js";
import { TicketForm } from "./form.js";
import { TicketPage } from "./ticket.js";

export interface Session {
  me: PartyRef;
  capabilities: Capabilities;
  reasons: ReasonView[];
  health: Health;
}

function useRoute(): string[] {
  const read = () =>
    location.hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  const [route, setRoute] = useState(read());
  useEffect(() => {
    const onChange = () => setRoute(read());
    addEventListener("hashchange", onChange);
    return () => removeEventListener("hashchange", onChange);
  }, []);
  return route;
}

/**
 * Notices from the server's live stream. `tick` counts what should make views reload: each
 * notice, each change of the node's health, and each (re)connection, since a restarted server
 * has lost what it buffered for the page.
 */
function useLive(): { notices: LiveEvent[]; tick: number; health: Health; connected: boolean } {
  const [notices, setNotices] = useState<LiveEvent[]>([]);
  const [health, setHealth] = useState<Health>({ ok: true });
  const [connected, setConnected] = useState(true);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const bump = () => setTick((n) => n + 1);
    const source = new EventSource("/api/events");
    source.addEventListener("notice", (e) => {
      const notice = JSON.parse((e as MessageEvent).data) as LiveEvent;
      setNotices((list) => [notice, ...list].slice(0, 50));
      bump();
    });
    source.addEventListener("health", (e) => {
      const next = JSON.parse((e as MessageEvent).data) as Health;
      setHealth((previous) => {
        if (previous.ok !== next.ok) bump();
        return next;
      });
    });
    source.onopen = () => {
      setConnected(true);
      bump();
    };
    source.onerror = () => setConnected(false);
    return () => source.close();
  }, []);
  return { notices, tick, health, connected };
}

function Nav({ route }: { route: string[] }) {
  const link = (href: string, label: string, active: boolean) =>
    html`<a href=${href} aria-current=${active ? "page" : undefined}>${label}</a>`;
  return html`<nav aria-label="Main">
    ${link("#/", "Inbox", route.length === 0)} ${link("#/new", "New ticket", route[0] === "new")}
    ${link("#/directory", "Directory", route[0] === "directory")}
  </nav>`;
}

function Shell({ session }: { session: Session }) {
  const route = useRoute();
  const live = useLive();
  const problem = !live.connected
    ? "The connection to this dashboard's server is lost; reconnecting…"
    : !live.health.ok
      ? `The chain or the store cannot be reached: ${live.health.message ?? ""}. Retrying; the page recovers by itself.`
      : undefined;
  let page;
  if (route[0] === "ticket" && route[1] !== undefined && route[2] === "amend")
    page = html`<${TicketForm} session=${session} amend=${route[1]} />`;
  else if (route[0] === "ticket" && route[1] !== undefined)
    page = html`<${TicketPage} session=${session} id=${route[1]} tick=${live.tick} />`;
  else if (route[0] === "new") page = html`<${TicketForm} session=${session} />`;
  else if (route[0] === "directory") page = html`<${Directory} tick=${live.tick} />`;
  else page = html`<${Inbox} session=${session} tick=${live.tick} />`;
  return html` <header>
      <p class="brand">Settlement registry</p>
      <p class="me">Signed in as <strong data-testid="me">${session.me.name}</strong></p>
      <${Nav} route=${route} />
    </header>
    <div class="banner" role="alert" data-testid="banner" hidden=${problem === undefined}>
      ${problem}
    </div>
    <main id="main">${page}</main>
    <aside aria-labelledby="live-heading">
      <h2 id="live-heading">Live</h2>
      <ol class="live" aria-live="polite" data-testid="live">
        ${live.notices.map((n) => html`<li key=${n.cursor}>${n.text}</li>`)}
      </ol>
    </aside>`;
}

async function start(): Promise<void> {
  const root = document.getElementById("root")!;
  try {
    const session = await get<Session>("/api/session");
    root.textContent = "";
    render(html`<${Shell} session=${session} />`, root);
  } catch (error) {
    root.textContent = `This dashboard cannot start: ${(error as Error).message}`;
  }
}

void start();
