/** Small shared pieces: a status badge and a progress bar of fixed size (live updates never move the layout). */
import type { ScanStatus } from "./Api.js"
import { percent } from "./Format.js"

export const StatusBadge = ({ status }: { readonly status: ScanStatus | string }) => (
  <span class={`badge status-${status.toLowerCase()}`}>{status}</span>
)

export const Progress = ({ value, label }: { readonly value: number; readonly label: string }) => (
  <span class="progress">
    <span
      class="bar"
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.round(value * 100)}
    >
      <span class="fill" style={{ width: percent(value) }} />
    </span>
    <span class="pct">{percent(value)}</span>
  </span>
)
