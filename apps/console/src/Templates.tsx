/** Scan templates: built-in and the organization's own, with their modules, configuration and warnings. */
import type { TemplateListJson } from "./Api.js"
import { call } from "./Api.js"
import { useLoad } from "./Hooks.js"

export const Templates = () => {
  const templates = useLoad(() => call<TemplateListJson>("/templates"), [])
  return (
    <section>
      <h1>Templates</h1>
      {templates.error && <p role="alert" class="error">{templates.error}</p>}
      <div class="cards">
        {templates.data?.items.map((template) => (
          <article class="card">
            <h2>
              {template.name} {template.builtin ? <span class="tag">built-in</span> : <span class="tag ok">yours</span>}
            </h2>
            <p class="muted">{template.description}</p>
            <p class="small-text">
              <span class="muted">Targets:</span> {template.target_types.join(", ") || "any"} ·{" "}
              <span class="muted">Depth:</span> {template.configuration.recursion_depth ?? 2} ·{" "}
              <span class="muted">Max results:</span> {template.configuration.max_results ?? 10000}
            </p>
            <details>
              <summary>{template.modules.length} modules</summary>
              <p class="mono small-text">{template.modules.map((m) => m.id).join(", ")}</p>
            </details>
            {template.warnings.map((warning) => <p class="warn small-text">{warning}</p>)}
          </article>
        ))}
      </div>
    </section>
  )
}
