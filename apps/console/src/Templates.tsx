/**
 * Scan templates: built-in and the organization's own, with their modules, configuration and warnings; an editor
 * for the organization's own (new, from a copy of any template, edit, delete).
 */
import { useState } from "preact/hooks"
import type { EntityType, ModuleListJson, TemplateJson, TemplateListJson } from "./Api.js"
import { call, entityTypes, messageOf } from "./Api.js"
import { useLoad } from "./Hooks.js"
import { ModulePicker } from "./NewScan.js"

interface Draft {
  readonly id: string | null
  readonly name: string
  readonly description: string
  readonly target_types: ReadonlySet<EntityType>
  readonly modules: ReadonlySet<string>
  readonly recursion_depth: number
}

const draftOf = (template: TemplateJson | null, copy: boolean): Draft => ({
  id: template === null || copy ? null : template.id,
  name: template === null ? "" : copy ? `${template.name} (copy)` : template.name,
  description: template?.description ?? "",
  target_types: new Set(template?.target_types ?? ["DOMAIN"]),
  modules: new Set(template?.modules.map((m) => m.id) ?? []),
  recursion_depth: template?.configuration.recursion_depth ?? 2
})

function toggled<A>(set: ReadonlySet<A>, value: A): ReadonlySet<A> {
  const next = new Set(set)
  if (next.has(value)) next.delete(value)
  else next.add(value)
  return next
}

const Editor = (props: { readonly draft: Draft; readonly onDone: () => void; readonly onCancel: () => void }) => {
  const [draft, setDraft] = useState(props.draft)
  const [error, setError] = useState<string | undefined>(undefined)
  const modules = useLoad(() => call<ModuleListJson>("/modules"), [])
  const save = async (event: Event) => {
    event.preventDefault()
    const body = {
      name: draft.name.trim(),
      description: draft.description,
      target_types: [...draft.target_types],
      modules: [...draft.modules].map((id) => ({ id })),
      configuration: { recursion_depth: draft.recursion_depth }
    }
    try {
      if (draft.id === null) await call("/templates", { method: "POST", body })
      else await call(`/templates/${draft.id}`, { method: "PUT", body })
      props.onDone()
    } catch (cause) {
      setError(messageOf(cause))
    }
  }
  return (
    <form class="card form" onSubmit={save} aria-label="Template editor">
      <h2>{draft.id === null ? "New template" : `Edit ${props.draft.name}`}</h2>
      <div class="row">
        <label class="grow">
          Name
          <input required value={draft.name} onInput={(e) => setDraft({ ...draft, name: e.currentTarget.value })} />
        </label>
        <label>
          Recursion depth
          <input
            type="number"
            min={0}
            max={10}
            value={draft.recursion_depth}
            onInput={(e) =>
              setDraft({
                ...draft,
                recursion_depth: Math.min(10, Math.max(0, Math.round(Number(e.currentTarget.value)) || 0))
              })}
          />
        </label>
      </div>
      <label>
        Description
        <input value={draft.description} onInput={(e) => setDraft({ ...draft, description: e.currentTarget.value })} />
      </label>
      <fieldset class="row">
        <legend>Target types</legend>
        {entityTypes.map((type) => (
          <label class="check">
            <input
              type="checkbox"
              checked={draft.target_types.has(type)}
              onChange={() => setDraft({ ...draft, target_types: toggled(draft.target_types, type) })}
            />
            {type}
          </label>
        ))}
      </fieldset>
      <ModulePicker
        modules={modules.data?.items ?? []}
        selected={draft.modules}
        toggle={(id) => setDraft({ ...draft, modules: toggled(draft.modules, id) })}
      />
      {error && <p role="alert" class="error">{error}</p>}
      <div class="row">
        <button
          type="submit"
          disabled={draft.name.trim() === "" || draft.modules.size === 0 || draft.target_types.size === 0}
        >
          Save ({draft.modules.size} modules)
        </button>
        <button type="button" class="ghost" onClick={props.onCancel}>Cancel</button>
      </div>
    </form>
  )
}

export const Templates = () => {
  const templates = useLoad(() => call<TemplateListJson>("/templates"), [])
  const [editing, setEditing] = useState<Draft | null>(null)
  const [error, setError] = useState<string | undefined>(undefined)
  const remove = async (template: TemplateJson) => {
    if (!confirm(`Delete the template "${template.name}"?`)) return
    try {
      await call(`/templates/${template.id}`, { method: "DELETE" })
      templates.reload()
    } catch (cause) {
      setError(messageOf(cause))
    }
  }
  return (
    <section>
      <div class="title-row">
        <h1>Templates</h1>
        <button type="button" onClick={() => setEditing(draftOf(null, false))}>New template</button>
      </div>
      {editing && (
        <Editor
          key={editing.id ?? editing.name}
          draft={editing}
          onDone={() => (setEditing(null), templates.reload())}
          onCancel={() => setEditing(null)}
        />
      )}
      {(error ?? templates.error) && <p role="alert" class="error">{error ?? templates.error}</p>}
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
            <div class="row">
              <button type="button" class="small ghost" onClick={() => setEditing(draftOf(template, true))}>
                Copy into a new template
              </button>
              {!template.builtin && (
                <>
                  <button type="button" class="small" onClick={() => setEditing(draftOf(template, false))}>Edit</button>
                  <button type="button" class="small danger" onClick={() => remove(template)}>Delete</button>
                </>
              )}
            </div>
          </article>
        ))}
      </div>
    </section>
  )
}
