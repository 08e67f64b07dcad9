/** The scans list: status, progress, target, template, results, times; filters, cursor paging, live refresh. */
import { useState } from "preact/hooks"
import { ScanActions } from "./Actions.js"
import type { ScanPageJson, TemplateListJson } from "./Api.js"
import { call, entityTypes, isTerminal, query, scanStatuses } from "./Api.js"
import * as Format from "./Format.js"
import { useLoad } from "./Hooks.js"
import { Progress, StatusBadge } from "./Widgets.js"

export const Scans = () => {
  const [status, setStatus] = useState("")
  const [targetType, setTargetType] = useState("")
  const [name, setName] = useState("")
  // Cursors of the pages before the current one (the first page has none).
  const [cursors, setCursors] = useState<ReadonlyArray<string | undefined>>([undefined])
  const [notice, setNotice] = useState<string | undefined>(undefined)
  const cursor = cursors[cursors.length - 1]
  const page = useLoad(
    () =>
      call<ScanPageJson>(
        `/scans${query({ limit: 25, cursor, status, target_type: targetType, name: name.trim() || undefined })}`
      ),
    [cursor, status, targetType, name],
    { everyMs: 2000, poll: (data) => data === undefined || data.items.some((scan) => !isTerminal(scan.status)) }
  )
  const templates = useLoad(() => call<TemplateListJson>("/templates"), [])
  const templateName = (id: string | null) =>
    id === null ? "—" : templates.data?.items.find((t) => t.id === id)?.name ?? id
  const resetPaging = () => setCursors([undefined])
  return (
    <section>
      <div class="title-row">
        <h1>Scans</h1>
        <a class="button" href="#/new">New scan</a>
      </div>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter scans">
        <label>
          Status
          <select value={status} onChange={(e) => (setStatus(e.currentTarget.value), resetPaging())}>
            <option value="">Any</option>
            {scanStatuses.map((s) => <option value={s}>{s}</option>)}
          </select>
        </label>
        <label>
          Target type
          <select value={targetType} onChange={(e) => (setTargetType(e.currentTarget.value), resetPaging())}>
            <option value="">Any</option>
            {entityTypes.map((t) => <option value={t}>{t}</option>)}
          </select>
        </label>
        <label>
          Name contains
          <input type="search" value={name} onInput={(e) => (setName(e.currentTarget.value), resetPaging())} />
        </label>
      </form>
      {notice && (
        <p role="alert" class="error">
          {notice} <button type="button" class="small ghost" onClick={() => setNotice(undefined)}>Dismiss</button>
        </p>
      )}
      {page.error && <p role="alert" class="error">{page.error}</p>}
      <div class="table-wrap">
        <table class="scans">
          <thead>
            <tr>
              <th scope="col">Name / target</th>
              <th scope="col">Status</th>
              <th scope="col" class="progress-col">Progress</th>
              <th scope="col">Template</th>
              <th scope="col" class="num">Results</th>
              <th scope="col">Started</th>
              <th scope="col">Ended</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {page.data?.items.map((scan) => (
              <tr key={scan.id} data-scan-id={scan.id}>
                <td>
                  <a href={`#/scans/${scan.id}`}>{scan.name}</a>
                  <div class="muted small-text">{scan.target.type} {scan.target.value}</div>
                </td>
                <td>
                  <StatusBadge status={scan.status} />
                </td>
                <td>
                  <Progress value={scan.progress} label={`Progress of ${scan.name}`} />
                </td>
                <td>{templateName(scan.template_id)}</td>
                <td class="num">
                  {Format.count(scan.result_count)}
                  {scan.correlation_count > 0 && (
                    <div class="muted small-text">+{Format.count(scan.correlation_count)} correlations</div>
                  )}
                </td>
                <td>{Format.time(scan.started_at)}</td>
                <td>{Format.time(scan.completed_at)}</td>
                <td>
                  <ScanActions scan={scan} onDone={page.reload} onError={setNotice} />
                </td>
              </tr>
            ))}
            {page.data?.items.length === 0 && (
              <tr>
                <td colSpan={8} class="muted">
                  No scans match. <a href="#/new">Create one.</a>
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <div class="pager">
        <button type="button" disabled={cursors.length <= 1} onClick={() => setCursors(cursors.slice(0, -1))}>
          Previous
        </button>
        <span class="muted">Page {cursors.length}</span>
        <button
          type="button"
          disabled={!page.data?.next_cursor}
          onClick={() => page.data?.next_cursor && setCursors([...cursors, page.data.next_cursor])}
        >
          Next
        </button>
      </div>
    </section>
  )
}
