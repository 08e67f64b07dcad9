/**
 * The new-scan form: a target checked like the API checks it, a template or modules picked by category (with
 * their flags and whether their source's key is configured), and the configuration within the API's bounds.
 */
import { useMemo, useState } from "preact/hooks"
import type { CreateScanJson, EntityType, ModuleJson, ModuleListJson, ScanJson, TemplateListJson } from "./Api.js"
import { call, entityTypes, messageOf } from "./Api.js"
import { useLoad } from "./Hooks.js"
import { navigate } from "./Router.js"

const label = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/i
const patterns: Partial<Record<EntityType, (value: string) => string | undefined>> = {
  DOMAIN: (v) => {
    const labels = v.replace(/\.$/, "").split(".")
    return labels.length >= 2 && labels.every((l) => label.test(l)) && !/^[0-9]+$/.test(labels[labels.length - 1]!)
      ? undefined
      : "a domain name, like example.com"
  },
  IP: (v) =>
    /^(\d{1,3}\.){3}\d{1,3}$/.test(v) || (v.includes(":") && /^[0-9a-f:.]+$/i.test(v))
      ? undefined
      : "an IPv4 or IPv6 address",
  EMAIL: (v) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v) ? undefined : "an email address",
  URL: (v) => /^https?:\/\/\S+$/i.test(v) ? undefined : "an http(s) URL",
  ASN: (v) => /^(AS)?\d+$/i.test(v) ? undefined : "an AS number, like AS64500",
  NETBLOCK: (v) => /^[0-9a-f:.]+\/\d{1,3}$/i.test(v) ? undefined : "a CIDR block, like 192.0.2.0/24"
}

/** Why a target value is not valid for its type, or undefined; the API checks again and has the last word. */
export const targetProblem = (type: EntityType, value: string): string | undefined => {
  const trimmed = value.trim()
  if (trimmed === "") return "a target value is required"
  if (trimmed.length > 2048) return "at most 2048 characters"
  const problem = patterns[type]?.(trimmed)
  return problem === undefined ? undefined : `expected ${problem}`
}

const bounds = {
  recursion_depth: { min: 0, max: 10, value: 2, label: "Recursion depth" },
  max_results: { min: 1, max: 1_000_000, value: 10_000, label: "Max results" },
  max_duration: { min: 1, max: 604_800, value: 3600, label: "Max duration (s)" },
  task_timeout: { min: 1, max: 3600, value: 60, label: "Task timeout (s)" }
} as const
type Bound = keyof typeof bounds

const category = (module: ModuleJson) => module.flags.includes("active") ? "Active (touches the target)" : "Passive"

export const ModulePicker = (props: {
  readonly modules: ReadonlyArray<ModuleJson>
  readonly selected: ReadonlySet<string>
  readonly toggle: (id: string) => void
}) => {
  const [filter, setFilter] = useState("")
  const groups = useMemo(() => {
    const byCategory = new Map<string, Array<ModuleJson>>()
    for (const module of props.modules) {
      if (filter && !`${module.id} ${module.name} ${module.flags.join(" ")}`.toLowerCase().includes(filter)) continue
      const list = byCategory.get(category(module)) ?? []
      list.push(module)
      byCategory.set(category(module), list)
    }
    return [...byCategory.entries()]
  }, [props.modules, filter])
  return (
    <div class="module-picker">
      <label>
        Find modules
        <input type="search" value={filter} onInput={(e) => setFilter(e.currentTarget.value.toLowerCase())} />
      </label>
      {groups.map(([name, modules]) => (
        <fieldset>
          <legend>{name} ({modules.length})</legend>
          <ul class="module-list">
            {modules.map((module) => (
              <li>
                <label class="check">
                  <input
                    type="checkbox"
                    checked={props.selected.has(module.id)}
                    onChange={() => props.toggle(module.id)}
                  />
                  <span class="mono">{module.id}</span>
                  <span class="muted small-text">
                    {module.input_types.join(", ")} → {module.output_types.join(", ")}
                  </span>
                  {module.flags.filter((f) => f !== "passive" && f !== "active").map((flag) => (
                    <span class={`tag flag-${flag}`}>{flag}</span>
                  ))}
                  {module.requires_key &&
                    (module.key_configured
                      ? <span class="tag ok">key configured</span>
                      : <span class="tag warn">key missing</span>)}
                </label>
              </li>
            ))}
          </ul>
        </fieldset>
      ))}
    </div>
  )
}

export const NewScan = () => {
  const [type, setType] = useState<EntityType>("DOMAIN")
  const [value, setValue] = useState("")
  const [name, setName] = useState("")
  const [mode, setMode] = useState<"template" | "modules">("template")
  const [templateId, setTemplateId] = useState("")
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set())
  const [config, setConfig] = useState<Record<Bound, number>>({
    recursion_depth: 2,
    max_results: 10_000,
    max_duration: 3600,
    task_timeout: 60
  })
  const [startNow, setStartNow] = useState(true)
  const [touched, setTouched] = useState(false)
  const [error, setError] = useState<string | undefined>(undefined)
  const [warnings, setWarnings] = useState<ReadonlyArray<string>>([])
  const [busy, setBusy] = useState(false)
  const templates = useLoad(() => call<TemplateListJson>("/templates"), [])
  const modules = useLoad(() => call<ModuleListJson>(`/modules?input_type=${type}`), [type])
  const fitting = (templates.data?.items ?? []).filter((t) =>
    t.target_types.length === 0 || t.target_types.includes(type)
  )
  const problem = targetProblem(type, value)
  // A template's configuration is the starting point; the fields stay editable.
  const pickTemplate = (id: string) => {
    setTemplateId(id)
    const chosen = templates.data?.items.find((t) => t.id === id)?.configuration
    if (chosen === undefined) return
    setConfig({
      recursion_depth: chosen.recursion_depth ?? bounds.recursion_depth.value,
      max_results: chosen.max_results ?? bounds.max_results.value,
      max_duration: chosen.max_duration ?? bounds.max_duration.value,
      task_timeout: chosen.task_timeout ?? bounds.task_timeout.value
    })
  }
  const toggle = (id: string) => {
    const next = new Set(selected)
    if (next.has(id)) next.delete(id)
    else next.add(id)
    setSelected(next)
  }
  const body = (): CreateScanJson => ({
    name: name.trim() || value.trim(),
    target: { type, value: value.trim() },
    configuration: config,
    ...(mode === "template" && templateId !== "" ? { template_id: templateId } : {}),
    ...(mode === "modules" ? { modules: [...selected].map((id) => ({ id })) } : {})
  })
  const submit = async (event: Event) => {
    event.preventDefault()
    setTouched(true)
    if (problem !== undefined) return
    setBusy(true)
    setError(undefined)
    try {
      const created = await call<ScanJson & { warnings: ReadonlyArray<string> }>("/scans", {
        method: "POST",
        body: body()
      })
      if (startNow) await call(`/scans/${created.id}/start`, { method: "POST", action: "start" })
      navigate(`#/scans/${created.id}`)
    } catch (cause) {
      setError(messageOf(cause))
    } finally {
      setBusy(false)
    }
  }
  const plan = async () => {
    setTouched(true)
    if (problem !== undefined) return
    try {
      const answer = await call<{ warnings: ReadonlyArray<string>; modules: ReadonlyArray<unknown> }>(
        "/scans?dry_run=true",
        { method: "POST", body: body() }
      )
      setError(undefined)
      setWarnings([`The plan runs ${answer.modules.length} modules.`, ...answer.warnings])
    } catch (cause) {
      setError(messageOf(cause))
    }
  }
  return (
    <section>
      <h1>New scan</h1>
      <form class="card form" onSubmit={submit} noValidate>
        <div class="row">
          <label>
            Target type
            <select value={type} onChange={(e) => setType(e.currentTarget.value as EntityType)}>
              {entityTypes.map((t) => <option value={t}>{t}</option>)}
            </select>
          </label>
          <label class="grow">
            Target
            <input
              name="target"
              required
              value={value}
              aria-invalid={touched && problem !== undefined}
              aria-describedby="target-problem"
              onInput={(e) => setValue(e.currentTarget.value)}
              onBlur={() => setTouched(true)}
            />
          </label>
          <label class="grow">
            Name
            <input
              name="name"
              value={name}
              placeholder={value || "defaults to the target"}
              onInput={(e) => setName(e.currentTarget.value)}
            />
          </label>
        </div>
        <p id="target-problem" class="error small-text" aria-live="polite">{touched && problem ? problem : "\u00a0"}</p>
        <fieldset class="row">
          <legend>What to run</legend>
          <label class="check">
            <input type="radio" name="mode" checked={mode === "template"} onChange={() => setMode("template")} />
            A template
          </label>
          <label class="check">
            <input type="radio" name="mode" checked={mode === "modules"} onChange={() => setMode("modules")} />
            Modules I pick
          </label>
        </fieldset>
        {mode === "template"
          ? (
            <label>
              Template
              <select name="template" value={templateId} onChange={(e) => pickTemplate(e.currentTarget.value)}>
                <option value="">Every module that can run on the target</option>
                {fitting.map((t) => (
                  <option value={t.id}>{t.name}{t.builtin ? "" : " (yours)"} — {t.modules.length} modules</option>
                ))}
              </select>
            </label>
          )
          : <ModulePicker modules={modules.data?.items ?? []} selected={selected} toggle={toggle} />}
        <fieldset class="row">
          <legend>Configuration</legend>
          {(Object.keys(bounds) as Array<Bound>).map((field) => (
            <label>
              {bounds[field].label}
              <input
                type="number"
                name={field}
                min={bounds[field].min}
                max={bounds[field].max}
                value={config[field]}
                onInput={(e) => {
                  const n = Math.round(Number(e.currentTarget.value))
                  const { min, max } = bounds[field]
                  setConfig({ ...config, [field]: Math.min(max, Math.max(min, Number.isFinite(n) ? n : min)) })
                }}
              />
              <span class="muted small-text">{bounds[field].min}–{bounds[field].max.toLocaleString()}</span>
            </label>
          ))}
        </fieldset>
        <label class="check">
          <input type="checkbox" checked={startNow} onChange={() => setStartNow(!startNow)} /> Start it now
        </label>
        {error && <p role="alert" class="error">{error}</p>}
        {warnings.length > 0 && <ul class="warnings">{warnings.map((w) => <li>{w}</li>)}</ul>}
        <div class="row">
          <button type="submit" disabled={busy}>{startNow ? "Create and start" : "Create"}</button>
          <button type="button" class="ghost" onClick={plan}>Check the plan</button>
        </div>
      </form>
    </section>
  )
}
