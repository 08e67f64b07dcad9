/**
 * A scan's results: a virtualized table (only the rows in view are in the DOM, so 100,000 rows scroll smoothly),
 * filters by type, module and confidence, text search, sort by column; a row opens its source data and metadata.
 */
import { useMemo, useRef, useState } from "preact/hooks"
import type { ResultJson } from "./Api.js"
import * as Format from "./Format.js"

const rowHeight = 34
const overscan = 8

type SortKey = "data" | "data_type" | "module_id" | "confidence" | "collected_at"
const columns: ReadonlyArray<{ readonly key: SortKey; readonly label: string }> = [
  { key: "data", label: "Value" },
  { key: "data_type", label: "Type" },
  { key: "module_id", label: "Module" },
  { key: "confidence", label: "Confidence" },
  { key: "collected_at", label: "Collected" }
]

const compare = (key: SortKey) => (a: ResultJson, b: ResultJson) =>
  key === "confidence" ? a.confidence - b.confidence : a[key] < b[key] ? -1 : a[key] > b[key] ? 1 : 0

export const ResultsTable = (props: {
  readonly results: ReadonlyArray<ResultJson>
  readonly loading: boolean
  /** How many results the scan counts: the table may hold fewer while pages are still being read. */
  readonly expected?: number
}) => {
  const [type, setType] = useState("")
  const [module, setModule] = useState("")
  const [minConfidence, setMinConfidence] = useState(0)
  const [text, setText] = useState("")
  const [sort, setSort] = useState<{ key: SortKey; descending: boolean }>({ key: "collected_at", descending: false })
  const [scrollTop, setScrollTop] = useState(0)
  const [open, setOpen] = useState<ResultJson | null>(null)
  const viewport = useRef<HTMLDivElement>(null)
  const types = useMemo(() => [...new Set(props.results.map((r) => r.data_type))].sort(), [props.results])
  const modules = useMemo(() => [...new Set(props.results.map((r) => r.module_id))].sort(), [props.results])
  const rows = useMemo(() => {
    const needle = text.trim().toLowerCase()
    const kept = props.results.filter((r) =>
      (type === "" || r.data_type === type) && (module === "" || r.module_id === module) &&
      r.confidence >= minConfidence &&
      (needle === "" || r.data.toLowerCase().includes(needle) || r.module_id.includes(needle))
    )
    kept.sort(compare(sort.key))
    if (sort.descending) kept.reverse()
    return kept
  }, [props.results, type, module, minConfidence, text, sort])
  const height = viewport.current?.clientHeight ?? 480
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan)
  const last = Math.min(rows.length, Math.ceil((scrollTop + height) / rowHeight) + overscan)
  // The filters do not change while the table scrolls: the same element is kept, and the renderer skips it.
  const filters = useMemo(() => (
    <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter results">
      <label>
        Type
        <select name="data_type" value={type} onChange={(e) => setType(e.currentTarget.value)}>
          <option value="">Any</option>
          {types.map((t) => <option value={t}>{t}</option>)}
        </select>
      </label>
      <label>
        Module
        <select name="module" value={module} onChange={(e) => setModule(e.currentTarget.value)}>
          <option value="">Any</option>
          {modules.map((m) => <option value={m}>{m}</option>)}
        </select>
      </label>
      <label>
        Min confidence
        <input
          type="number"
          name="min_confidence"
          min={0}
          max={1}
          step={0.1}
          value={minConfidence}
          onInput={(e) => setMinConfidence(Number(e.currentTarget.value) || 0)}
        />
      </label>
      <label class="grow">
        Search
        <input type="search" name="search" value={text} onInput={(e) => setText(e.currentTarget.value)} />
      </label>
      <span class="muted count" aria-live="polite" data-testid="result-count">
        {Format.count(rows.length)} of {Format.count(props.results.length)}
        {props.loading
          ? (props.expected !== undefined && props.expected > props.results.length
            ? ` (reading ${Format.percent(props.results.length / props.expected)}…)`
            : " (loading…)")
          : ""}
      </span>
    </form>
  ), [
    type,
    module,
    minConfidence,
    text,
    types,
    modules,
    rows.length,
    props.results.length,
    props.loading,
    props.expected
  ])
  const sortBy = (key: SortKey) => setSort({ key, descending: sort.key === key ? !sort.descending : false })
  return (
    <div class="results">
      {filters}
      <div class="grid" role="table" aria-label="Results" aria-rowcount={rows.length + 1}>
        <div class="grid-head" role="rowgroup">
          <div class="grid-row" role="row">
            {columns.map((column) => (
              <div
                role="columnheader"
                class={`cell col-${column.key}`}
                aria-sort={sort.key === column.key ? (sort.descending ? "descending" : "ascending") : "none"}
              >
                <button type="button" class="sort" onClick={() => sortBy(column.key)}>
                  {column.label} {sort.key === column.key ? (sort.descending ? "▼" : "▲") : ""}
                </button>
              </div>
            ))}
          </div>
        </div>
        <div
          class="grid-body"
          role="rowgroup"
          ref={viewport}
          onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
        >
          {rows.length === 0 && (
            <div role="row" class="grid-empty">
              <div role="cell" class="muted">
                {props.loading
                  ? "Loading results…"
                  : props.results.length === 0
                  ? "No results yet."
                  : "No result matches."}
              </div>
            </div>
          )}
          <div style={{ height: `${rows.length * rowHeight}px`, position: "relative" }}>
            {/* Rows keyed by their slot in the window: scrolling reuses the same elements with new text. */}
            {rows.slice(first, last).map((result, i) => (
              <div
                key={i}
                class="grid-row"
                role="row"
                aria-rowindex={first + i + 2}
                style={{ transform: `translateY(${(first + i) * rowHeight}px)` }}
              >
                <div role="cell" class="cell col-data">
                  <button type="button" class="link" onClick={() => setOpen(result)} title={result.data}>
                    {result.data}
                  </button>
                </div>
                <div role="cell" class="cell col-data_type">
                  <span class={`tag type-${result.data_type}`}>{result.data_type}</span>
                </div>
                <div role="cell" class="cell col-module_id mono">{result.module_id}</div>
                <div role="cell" class="cell col-confidence num">{result.confidence.toFixed(2)}</div>
                <div role="cell" class="cell col-collected_at">{Format.time(result.collected_at)}</div>
              </div>
            ))}
          </div>
        </div>
      </div>
      {open && <ResultDetail result={open} onClose={() => setOpen(null)} />}
    </div>
  )
}

const ResultDetail = (props: { readonly result: ResultJson; readonly onClose: () => void }) => (
  <aside
    class="detail card"
    aria-label="Result detail"
    onKeyDown={(e) => e.key === "Escape" && props.onClose()}
  >
    <div class="title-row">
      <h2 class="mono">{props.result.data}</h2>
      <button type="button" class="ghost" onClick={props.onClose} ref={(el) => el?.focus()}>Close</button>
    </div>
    <dl class="facts">
      <dt>Type</dt>
      <dd>{props.result.data_type}</dd>
      <dt>Module</dt>
      <dd>{props.result.module_id}</dd>
      <dt>Confidence</dt>
      <dd>{props.result.confidence}</dd>
      <dt>Found from</dt>
      <dd>{props.result.parent ?? "the scan's target"}</dd>
      <dt>Hash</dt>
      <dd class="mono">{props.result.hash}</dd>
    </dl>
    <h3>Source data</h3>
    <pre tabIndex={0}>{JSON.stringify(props.result.source_data, null, 2)}</pre>
    <h3>Metadata</h3>
    <pre tabIndex={0}>{JSON.stringify(props.result.metadata, null, 2)}</pre>
  </aside>
)
