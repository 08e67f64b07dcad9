/** How the console writes times, durations and numbers. */

// One formatter for every time shown: `toLocaleString` with options builds a new one per call, which a table
// scrolled through thousands of rows pays on every frame.
const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "short", timeStyle: "medium" })

export const time = (iso: string | null | undefined): string => {
  if (!iso) return "—"
  const date = new Date(iso)
  return Number.isNaN(date.getTime()) ? iso : timeFormat.format(date)
}

export const duration = (seconds: number | null | undefined): string => {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—"
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`
}

export const count = (n: number): string => n.toLocaleString()

export const percent = (progress: number): string => `${Math.round(progress * 100)}%`
