/**
 * Reading the API's streams with the key in a header (EventSource cannot send one): a scan's Server-Sent Events,
 * read as they arrive.
 */
import type { ProgressJson } from "./Api.js"
import { ApiError, session } from "./Api.js"

const open = async (path: string, accept: string, signal: AbortSignal) => {
  const key = session.key()
  const response = await fetch(path, {
    headers: { accept, ...(key === null ? {} : { authorization: `Bearer ${key}` }) },
    signal
  })
  if (response.status === 401) session.signOut()
  if (!response.ok || response.body === null) {
    throw new ApiError(response.status, `The stream failed (${response.status}).`)
  }
  return response.body.pipeThrough(new TextDecoderStream()).getReader()
}

/** Follows `GET /scans/{id}/events` until a final event or `signal`; reconnects after a dropped connection. */
export const followScan = async (id: string, onEvent: (event: ProgressJson) => void, signal: AbortSignal) => {
  let final = false
  while (!final && !signal.aborted) {
    try {
      const reader = await open(`/scans/${id}/events`, "text/event-stream", signal)
      let buffer = ""
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        buffer += value
        let end: number
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const frame = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const data = frame.split("\n").filter((line) => line.startsWith("data:")).map((line) => line.slice(5).trim())
          if (data.length === 0) continue
          const event = JSON.parse(data.join("\n")) as ProgressJson
          onEvent(event)
          if (event.type === "deleted" || ["COMPLETED", "FAILED", "CANCELLED"].includes(event.status)) final = true
        }
      }
    } catch (error) {
      if (signal.aborted || (error instanceof ApiError && error.status !== 503)) return
    }
    if (!final && !signal.aborted) await new Promise((resume) => setTimeout(resume, 2000))
  }
}
