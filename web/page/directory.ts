/** The consortium's parties: name, account, key version, suspended or active. */
import { html } from "htm/preact";

import type { DirectoryEntry } from "../server/port.js";
import { useLoad } from "./load.js";

export function Directory({ tick }: { tick: number }) {
  const { data, error } = useLoad<DirectoryEntry[]>("/api/directory", tick);
  return html`<h1>Directory</h1>
    ${error}
    ${
      data === undefined
        ? html`<p>Loading…</p>`
        : html`<table>
            <caption>
              Parties of the consortium
            </caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Account</th>
                <th scope="col">Key version</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              ${data.map(
                (p) =>
                  html`<tr key=${p.address}>
                    <td>${p.name}</td>
                    <td class="mono">${p.address}</td>
                    <td>${p.keyVersion === 0 ? "none" : p.keyVersion}</td>
                    <td>
                      ${p.suspended ? html`<span class="badge bad">suspended</span>` : "active"}
                    </td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }`;
}
