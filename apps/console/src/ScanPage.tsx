/**
 * One scan: its status and ETA, per-module progress, the live event feed (SSE), its history, the results table,
 * the entity graph and the exports.
 */
import { lazy, Suspense } from "preact/compat"
import { useEffect, useState } from "preact/hooks"
import { ScanActions } from "./Actions.js"
import type { HistoryJson, HistoryPageJson, ProgressJson, ScanJson, StatusJson } from "./Api.js"
import { call, download, isTerminal, messageOf } from "./Api.js"
import * as Format from "./Format.js"
import { useLoad } from "./Hooks.js"
import { followScan } from "./Live.js"
import { ModuleTable } from "./ModuleTable.js"
import { ResultsTable } from "./Results.js"
import { useResults } from "./ResultsFeed.js"
import { Progress, StatusBadge } from "./Widgets.js"

const EntityGraph = lazy(() => import("./Graph.js").then((m) => ({ default: m.EntityGraph })))

const tabs = [
  { id: "results", label: "Results" },
  { id: "graph", label: "Graph" },
  { id: "events", label: "Live events" },
  { id: "history", label: "History" }
] as const

export const ScanPage = (props: { readonly id: string; readonly tab: string }) => {
  const { id, tab } = props
  const [notice, setNotice] = useState<string | undefined>(undefined)
  const [events, setEvents] = useState<ReadonlyArray<ProgressJson>>([])
  const [modules, setModules] = useState<ProgressJson["modules"]>([])
  const scan = useLoad(() => call<ScanJson>(`/scans/${id}`), [id], {
    everyMs: 5000,
    poll: (data) => data === undefined || !isTerminal(data.status)
  })
  const status = useLoad(() => call<StatusJson>(`/scans/${id}/status`), [id], {
    everyMs: 2000,
    poll: (data) => data === undefined || !isTerminal(data.status)
  })
  const live = events[0]
  const current = live ?? status.data
  useEffect(() => {
    const controller = new AbortController()
    setEvents([])
    void followScan(id, (event) => {
      setEvents((previous) => [event, ...previous].slice(0, 300))
      if (event.modules.length > 0) setModules(event.modules)
      if (event.type === "status") {
        scan.reload()
        status.reload()
      }
    }, controller.signal)
    return () => controller.abort()
  }, [id])
  // The highest count known: a live snapshot may lag the read model. Correlation findings are results too, counted
  // apart (the live feed does not carry them).
  const counts = [live?.result_count, status.data?.result_count, scan.data?.result_count]
    .filter((n): n is number => n !== undefined)
  const correlations = status.data?.correlation_count ?? scan.data?.correlation_count ?? 0
  const feed = useResults(id, counts.length === 0 ? undefined : Math.max(...counts) + correlations)
  const results = feed.results
  if (scan.error) return <p role="alert" class="error">{scan.error}</p>
  if (scan.data === undefined) return <p class="muted">Loading…</p>
  const s = scan.data
  const shownStatus = current?.status ?? s.status
  const exportAs = (format: "json" | "ndjson" | "csv") =>
    download(`/scans/${id}/results?format=${format}`, `${s.name.replace(/[^\w.-]+/g, "_")}-${id}.${format}`).catch(
      (cause: unknown) => setNotice(messageOf(cause))
    )
  return (
    <section>
      <p>
        <a href="#/scans">← Scans</a>
      </p>
      <div class="title-row">
        <h1>{s.name}</h1>
        <StatusBadge status={shownStatus} />
        <span class="grow" />
        <ScanActions
          scan={{ ...s, status: shownStatus }}
          onDone={() => (scan.reload(), status.reload())}
          onError={setNotice}
        />
      </div>
      {notice && (
        <p role="alert" class="error">
          {notice} <button type="button" class="small ghost" onClick={() => setNotice(undefined)}>Dismiss</button>
        </p>
      )}
      <div class="summary card">
        <div class="wide">
          <span class="muted">Target</span> <span class="mono">{s.target.type} {s.target.value}</span>
        </div>
        <div class="wide">
          <Progress value={current?.progress ?? s.progress} label="Scan progress" />
        </div>
        <div>
          <span class="muted">Results</span>{" "}
          <b data-testid="scan-results">{Format.count(current?.result_count ?? s.result_count)}</b>
        </div>
        <div>
          <span class="muted">Correlation findings</span>{" "}
          <b data-testid="scan-correlations">{Format.count(correlations)}</b>
        </div>
        <div>
          <span class="muted">Tasks done</span> {current ? taskLine(current.tasks) : "—"}
        </div>
        <div>
          <span class="muted">ETA</span> {isTerminal(shownStatus) ? "—" : Format.duration(status.data?.eta_seconds)}
        </div>
        <div>
          <span class="muted">Rate</span> {status.data ? `${status.data.rate_per_second.toFixed(1)}/s` : "—"}
        </div>
        <div>
          <span class="muted">Started</span> {Format.time(s.started_at)}
        </div>
        <div>
          <span class="muted">Ended</span> {Format.time(s.completed_at)}
        </div>
        <div class="wide muted">
          {reasonLine(status.data?.status_reason ?? s.status_reason, status.data ?? null)}
        </div>
      </div>
      {modules.length > 0 && <ModuleTable modules={modules} live={!isTerminal(shownStatus)} />}
      <div class="row exports">
        <span class="muted">Export all results:</span>
        <button type="button" class="small" onClick={() => exportAs("json")}>JSON</button>
        <button type="button" class="small" onClick={() => exportAs("ndjson")}>NDJSON</button>
        <button type="button" class="small" onClick={() => exportAs("csv")}>CSV</button>
      </div>
      <nav class="tabs" aria-label="Scan views">
        {tabs.map((t) => (
          <a href={`#/scans/${id}/${t.id}`} aria-current={tab === t.id ? "page" : undefined}>{t.label}</a>
        ))}
      </nav>
      {tab === "results" && (
        <ResultsTable
          results={results}
          loading={feed.loading}
          expected={(current?.result_count ?? s.result_count) + correlations}
        />
      )}
      {feed.error && <p role="alert" class="error">{feed.error}</p>}
      {tab === "graph" && (
        <Suspense fallback={<p class="muted">Loading the graph…</p>}>
          <EntityGraph scan={s} results={results} />
        </Suspense>
      )}
      {tab === "events" && <EventFeed events={events} />}
      {tab === "history" && <History id={id} />}
    </section>
  )
}

const reasonLine = (reason: string | null, status: StatusJson | null) => {
  if (reason !== null) return `Why: ${reason}`
  if (status?.waiting_for === "quota") {
    return `Waiting for the organization's quota of running scans${
      status.queue_position === null ? "" : ` (number ${status.queue_position} in line)`
    }`
  }
  if (status?.waiting_for === "dependencies") return "Waiting for the scans it depends on to end"
  return "\u00a0"
}

const taskLine = (tasks: StatusJson["tasks"]) => {
  const ended = tasks.completed + tasks.failed + tasks.cancelled
  const failed = tasks.failed > 0 ? ` (${tasks.failed} failed)` : ""
  return `${ended}/${ended + tasks.queued + tasks.running}${failed}`
}

const EventFeed = ({ events }: { readonly events: ReadonlyArray<ProgressJson> }) => (
  <ol class="feed card" aria-live="polite" aria-label="Live events" tabIndex={0}>
    {events.length === 0 && <li class="muted">Waiting for events…</li>}
    {events.map((event) => (
      <li>
        <span class="mono muted">{Format.time(event.at)}</span> <b>{event.type}</b>{" "}
        <StatusBadge status={event.status} /> {Format.percent(event.progress)}, {event.result_count} results,{" "}
        {event.tasks.running} running, {event.tasks.queued} queued{event.reason ? ` — ${event.reason}` : ""}
      </li>
    ))}
  </ol>
)

const History = ({ id }: { readonly id: string }) => {
  const [items, setItems] = useState<ReadonlyArray<HistoryJson>>([])
  const [cursor, setCursor] = useState<string | null | undefined>(undefined)
  const [error, setError] = useState<string | undefined>(undefined)
  const more = async (from: string | undefined) => {
    try {
      const page = await call<HistoryPageJson>(`/scans/${id}/history?limit=200${from ? `&cursor=${from}` : ""}`)
      setItems((previous) => from === undefined ? page.items : [...previous, ...page.items])
      setCursor(page.next_cursor)
    } catch (cause) {
      setError(messageOf(cause))
    }
  }
  useEffect(() => void more(undefined), [id])
  return (
    <div class="card">
      {error && <p role="alert" class="error">{error}</p>}
      <ol class="timeline" aria-label="History" tabIndex={0}>
        {items.map((entry) => (
          <li>
            <span class="mono muted">#{entry.seq} {Format.time(entry.at)}</span> <b>{entry.type}</b>
          </li>
        ))}
      </ol>
      {cursor && <button type="button" class="small" onClick={() => more(cursor)}>Load more</button>}
    </div>
  )
}
