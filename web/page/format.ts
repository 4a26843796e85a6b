/** Display helpers: amounts with grouping, dates with days to go, table heads. */
import { html } from "htm/preact";

export function amount(value: string | undefined): string {
  if (value === undefined) return "";
  const [whole, fraction] = value.split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
}

export function today(): string {
  return new Date().toISOString().slice(0, 10);
}

/** Whole days from today (UTC) to an ISO date. */
export function daysTo(date: string): number {
  return Math.round((Date.parse(date) - Date.parse(today())) / 86_400_000);
}

export function daysLabel(date: string): string {
  const d = daysTo(date);
  if (d === 0) return "today";
  if (d === 1) return "tomorrow";
  if (d > 0) return `in ${d} days`;
  return d === -1 ? "yesterday" : `${-d} days ago`;
}

export const DIRECTION: Record<string, string> = { DELI: "deliver", RECE: "receive" };

export const STATUS: Record<string, string> = {
  open: "open",
  returned: "returned",
  completed: "completed",
  cancelled: "cancelled",
};

/** A table's column heads. */
export const TableHead = ({ cols }: { cols: string[] }) =>
  html`<thead>
    <tr>
      ${cols.map((c) => html`<th scope="col" key=${c}>${c}</th>`)}
    </tr>
  </thead>`;
