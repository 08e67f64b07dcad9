/**
 * Data sources: their rate limit and state (rate-limited until when, last error), key and modules' flags, and a pool's
 * keys by label and fingerprint (parked or rate limited until when).
 */
import type { ModuleListJson, SourceListJson } from "./Api.js"
import { call } from "./Api.js"
import * as Format from "./Format.js"
import { useLoad } from "./Hooks.js"

export const Sources = () => {
  const sources = useLoad(() => call<SourceListJson>("/sources"), [], { everyMs: 5000 })
  const modules = useLoad(() => call<ModuleListJson>("/modules"), [])
  const flagsOf = (
    sourceId: string
  ) => [...new Set((modules.data?.items ?? []).filter((m) => m.source.id === sourceId).flatMap((m) => m.flags))]
  return (
    <section>
      <h1>Sources</h1>
      {sources.error && <p role="alert" class="error">{sources.error}</p>}
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Source</th>
              <th scope="col">State</th>
              <th scope="col">Rate limit</th>
              <th scope="col">Rate-limited until</th>
              <th scope="col">Key</th>
              <th scope="col">Flags</th>
              <th scope="col">Last error</th>
            </tr>
          </thead>
          <tbody>
            {sources.data?.items.map((source) => (
              <tr data-source={source.id}>
                <td>
                  <b>{source.name}</b>
                  <div class="muted small-text mono">{source.id}</div>
                </td>
                <td>
                  <span class={`badge state-${source.state}`}>{source.state.replace("_", " ")}</span>
                </td>
                <td class="nowrap">
                  {source.rate_limit.requests} per {source.rate_limit.per_seconds}s (burst {source.rate_limit.burst})
                </td>
                <td data-testid="rate-limited-until">{Format.time(source.rate_limited_until)}</td>
                <td>
                  {source.requires_key
                    ? (source.key_configured
                      ? <span class="tag ok">configured</span>
                      : <span class="tag warn">missing</span>)
                    : <span class="muted">not needed</span>}
                  {source.keys.length > 1 || source.keys.some((k) => k.state !== "ok")
                    ? (
                      <ul class="small-text plain" data-testid="source-keys">
                        {source.keys.map((key) => (
                          <li data-key={key.label} title={key.parked_reason ?? undefined}>
                            <span class="mono">{key.label} {key.fingerprint}</span>{" "}
                            <span class={`badge state-${key.state}`}>{key.state.replace("_", " ")}</span>
                            {key.state === "parked" && ` until ${Format.time(key.parked_until)}`}
                            {key.state === "rate_limited" && ` until ${Format.time(key.rate_limited_until)}`}
                          </li>
                        ))}
                      </ul>
                    )
                    : null}
                </td>
                <td>{flagsOf(source.id).map((flag) => <span class="tag">{flag}</span>)}</td>
                <td class="small-text">
                  {source.last_error ?? "—"}
                  {source.last_error_at && <div class="muted">{Format.time(source.last_error_at)}</div>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  )
}
