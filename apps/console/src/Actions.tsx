/** A scan's lifecycle buttons: what its status allows, and re-run (a new scan with the same definition). */
import { useState } from "preact/hooks"
import type { ScanJson } from "./Api.js"
import { call, messageOf } from "./Api.js"
import { navigate } from "./Router.js"

type Action = "start" | "pause" | "resume" | "stop" | "delete" | "re-run"

const allowed = (scan: ScanJson): ReadonlyArray<Action> => {
  switch (scan.status) {
    case "CREATED":
      return ["start", "delete"]
    case "RUNNING":
      return ["pause", "stop"]
    case "PAUSED":
      return ["resume", "stop"]
    default:
      return ["re-run", "delete"]
  }
}

const labels: Record<Action, string> = {
  start: "Start",
  pause: "Pause",
  resume: "Resume",
  stop: "Stop",
  delete: "Delete",
  "re-run": "Re-run"
}

export const rerun = async (scan: ScanJson) => {
  const created = await call<ScanJson>("/scans", {
    method: "POST",
    body: {
      name: scan.name,
      description: scan.description,
      target: scan.target,
      modules: scan.modules,
      configuration: scan.configuration,
      ...(scan.template_id === null ? {} : { template_id: scan.template_id })
    }
  })
  await call(`/scans/${created.id}/start`, { method: "POST", action: "start" })
  return created
}

export const ScanActions = (
  props: { readonly scan: ScanJson; readonly onDone: () => void; readonly onError: (message: string) => void }
) => {
  const [busy, setBusy] = useState<Action | null>(null)
  const run = async (action: Action) => {
    const { scan } = props
    if (action === "delete" && !confirm(`Delete the scan "${scan.name}"? Its results go with it.`)) return
    setBusy(action)
    try {
      if (action === "re-run") {
        const created = await rerun(scan)
        navigate(`#/scans/${created.id}`)
      } else if (action === "delete") {
        await call(`/scans/${scan.id}`, { method: "DELETE", action })
        if (location.hash.startsWith(`#/scans/${scan.id}`)) navigate("#/scans")
      } else {
        await call(`/scans/${scan.id}/${action}`, { method: "POST", action })
      }
      props.onDone()
    } catch (cause) {
      props.onError(messageOf(cause))
    } finally {
      setBusy(null)
    }
  }
  return (
    <span class="actions">
      {allowed(props.scan).map((action) => (
        <button
          type="button"
          class={action === "delete" || action === "stop" ? "small danger" : "small"}
          disabled={busy !== null}
          aria-label={`${labels[action]} ${props.scan.name}`}
          onClick={() => run(action)}
        >
          {labels[action]}
        </button>
      ))}
    </span>
  )
}
