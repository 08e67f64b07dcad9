/**
 * A scan's modules: tasks by state, results, and what each is doing now — running, queued, rate-limited until a
 * time (its source's limiter paused it), failed (with its source's last error), done.
 */
import type { ModuleListJson, ProgressJson, SourceJson, SourceListJson } from "./Api.js"
import { call } from "./Api.js"
import * as Format from "./Format.js"
import { useLoad } from "./Hooks.js"
import { Progress } from "./Widgets.js"

type ModuleRow = ProgressJson["modules"][number]

interface ModuleState {
  readonly state: "rate_limited" | "running" | "queued" | "failed" | "done" | "waiting"
  readonly text: string
  readonly detail?: string
}

/** What a module is doing, from its task counts and its source's state. */
export const stateOf = (m: ModuleRow, source: SourceJson | undefined, now: number): ModuleState => {
  const pending = m.queued + m.running
  const until = source?.rate_limited_until ? Date.parse(source.rate_limited_until) : Number.NaN
  if (pending > 0 && source?.state === "rate_limited" && until > now) {
    return { state: "rate_limited", text: `rate-limited until ${Format.time(source.rate_limited_until)}` }
  }
  if (m.running > 0) return { state: "running", text: "running" }
  if (m.queued > 0) return { state: "queued", text: "queued" }
  if (m.failed > 0) {
    const reason = source?.last_error ?? undefined
    return { state: "failed", text: `failed (${m.failed})`, ...(reason === undefined ? {} : { detail: reason }) }
  }
  if (m.completed + m.cancelled > 0) return { state: "done", text: "done" }
  return { state: "waiting", text: "waiting" }
}

export const ModuleTable = (props: { readonly modules: ProgressJson["modules"]; readonly live: boolean }) => {
  const catalog = useLoad(() => call<ModuleListJson>("/modules"), [])
  const sources = useLoad(() => call<SourceListJson>("/sources"), [], { everyMs: 3000, poll: () => props.live })
  const sourceOf = (moduleId: string) => {
    const sourceId = catalog.data?.items.find((m) => m.id === moduleId)?.source.id
    return sources.data?.items.find((s) => s.id === sourceId)
  }
  const now = Date.now()
  return (
    <details class="card" open>
      <summary>Modules ({props.modules.length})</summary>
      <div class="table-wrap">
        <table class="modules">
          <thead>
            <tr>
              <th scope="col">Module</th>
              <th scope="col" class="state-col">State</th>
              <th scope="col" class="progress-col">Progress</th>
              <th scope="col" class="num">Queued</th>
              <th scope="col" class="num">Running</th>
              <th scope="col" class="num">Done</th>
              <th scope="col" class="num">Failed</th>
              <th scope="col" class="num">Results</th>
            </tr>
          </thead>
          <tbody>
            {props.modules.map((m) => {
              const total = m.queued + m.running + m.completed + m.failed + m.cancelled
              const state = stateOf(m, sourceOf(m.module_id), now)
              return (
                <tr data-module={m.module_id}>
                  <td class="mono">{m.module_id}</td>
                  <td class="state-col">
                    <span class={`module-state module-${state.state}`} data-testid={`module-state-${m.module_id}`}>
                      {state.text}
                    </span>
                    {state.detail && <div class="muted small-text clip" title={state.detail}>{state.detail}</div>}
                  </td>
                  <td>
                    <Progress
                      value={total === 0 ? 0 : (m.completed + m.failed + m.cancelled) / total}
                      label={`Progress of ${m.module_id}`}
                    />
                  </td>
                  <td class="num">{m.queued}</td>
                  <td class="num">{m.running}</td>
                  <td class="num">{m.completed}</td>
                  <td class="num">{m.failed}</td>
                  <td class="num">{m.result_count}</td>
                </tr>
              )
            })}
          </tbody>
        </table>
      </div>
    </details>
  )
}
