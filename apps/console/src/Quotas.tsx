/** Quotas (admins): how many scans and tasks the organization runs at once; each overrides a default or uses it. */
import { useEffect, useState } from "preact/hooks"
import type { QuotasJson, UpdateQuotasJson } from "./Api.js"
import { call, messageOf } from "./Api.js"
import * as Format from "./Format.js"
import { useLoad } from "./Hooks.js"

type Name = keyof QuotasJson["defaults"]

const fields: ReadonlyArray<
  { readonly name: Name; readonly label: string; readonly max: number; readonly help: string }
> = [
  {
    name: "max_running_scans",
    label: "Running scans",
    max: 10_000,
    help: "Scans running (or paused) at once; a start beyond it waits in line."
  },
  {
    name: "max_concurrent_tasks",
    label: "Concurrent tasks",
    max: 1_000_000,
    help: "Tasks running at once over all nodes."
  }
]

export const Quotas = () => {
  const quotas = useLoad(() => call<QuotasJson>("/quotas"), [])
  const [draft, setDraft] = useState<Record<Name, string>>({ max_running_scans: "", max_concurrent_tasks: "" })
  const [error, setError] = useState<string | undefined>(undefined)
  const [saved, setSaved] = useState<string | undefined>(undefined)
  const data = quotas.data
  useEffect(() => {
    if (data === undefined) return
    setDraft({
      max_running_scans: data.overridden.includes("max_running_scans") ? String(data.max_running_scans) : "",
      max_concurrent_tasks: data.overridden.includes("max_concurrent_tasks") ? String(data.max_concurrent_tasks) : ""
    })
  }, [data])
  const send = async (body: UpdateQuotasJson, what: string) => {
    try {
      await call<QuotasJson>("/quotas", { method: "PUT", body })
      setError(undefined)
      setSaved(what)
      quotas.reload()
    } catch (cause) {
      setSaved(undefined)
      setError(messageOf(cause))
    }
  }
  const save = (event: Event) => {
    event.preventDefault()
    // An empty field is the default; a number overrides it.
    const value = (name: Name) => draft[name].trim() === "" ? null : Number(draft[name])
    void send(
      { max_running_scans: value("max_running_scans"), max_concurrent_tasks: value("max_concurrent_tasks") },
      "Quotas saved."
    )
  }
  return (
    <section>
      <h1>Quotas</h1>
      <p class="muted">
        What this organization may run at once. Leave a field empty to use the default.
      </p>
      {(error ?? quotas.error) && <p role="alert" class="error">{error ?? quotas.error}</p>}
      {data && (
        <>
          <div class="table-wrap">
            <table aria-label="Quotas in force">
              <thead>
                <tr>
                  <th scope="col">Quota</th>
                  <th scope="col" class="num">In force</th>
                  <th scope="col" class="num">Default</th>
                  <th scope="col">From</th>
                </tr>
              </thead>
              <tbody>
                {fields.map((field) => (
                  <tr data-quota={field.name}>
                    <td>
                      {field.label}
                      <div class="muted small-text">{field.help}</div>
                    </td>
                    <td class="num" data-testid={`quota-${field.name}`}>{Format.count(data[field.name])}</td>
                    <td class="num">{Format.count(data.defaults[field.name])}</td>
                    <td>
                      {data.overridden.includes(field.name)
                        ? <span class="tag warn">override</span>
                        : <span class="tag">default</span>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <form class="card row" onSubmit={save} aria-label="Change quotas">
            {fields.map((field) => (
              <label>
                {field.label}
                <input
                  type="number"
                  name={field.name}
                  min={1}
                  max={field.max}
                  step={1}
                  placeholder={`default ${data.defaults[field.name]}`}
                  value={draft[field.name]}
                  onInput={(e) => setDraft({ ...draft, [field.name]: e.currentTarget.value })}
                />
              </label>
            ))}
            <button type="submit">Save quotas</button>
            <button
              type="button"
              class="ghost"
              disabled={data.overridden.length === 0}
              onClick={() =>
                void send({ max_running_scans: null, max_concurrent_tasks: null }, "Back to the defaults.")}
            >
              Use the defaults
            </button>
          </form>
          <p role="status" class="muted">{saved ?? "\u00a0"}</p>
        </>
      )}
    </section>
  )
}
