/**
 * A scan's modules: tasks by state, results, and what each is doing now — running, queued, rate-limited until a
 * time (its source's limiter paused it), failed (with its source's last error), done.
 */
import type { ModuleListJson, ProgressJson, SourceListJson } from "./Api.js"
import { call } from "./Api.js"
import { useLoad } from "./Hooks.js"
import { stateOf } from "./ModuleState.js"
import { Progress } from "./Widgets.js"

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
