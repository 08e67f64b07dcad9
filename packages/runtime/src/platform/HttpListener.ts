/**
 * An HTTP server that never leaves a request unanswered. An Effect server listens first and
 * attaches its handler once the app is built; a request arriving in between would otherwise wait
 * for ever (a health probe without a timeout hangs). Until the app's handler is attached, this
 * server answers 503 with `retry-after`, so probes see "not yet" and try again.
 *
 * With `holdMs`, such a request is held instead and handed to the app's handler once it is there (503 only after
 * `holdMs`): a gateway worker shares its port with workers already serving, and the connections node:cluster hands
 * it while it starts are clients', not probes'.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"

export interface StartingOptions {
  readonly holdMs?: number
}

const answerStarting = (response: ServerResponse) => {
  if (response.headersSent || response.destroyed) return
  response.writeHead(503, { "content-type": "application/problem+json", "retry-after": "1" })
  response.end(
    JSON.stringify({ type: "about:blank", title: "Starting", status: 503, detail: "the server is starting" })
  )
}

export const createStartingServer = (options: StartingOptions = {}): Server => {
  const server = createServer()
  const held = new Map<ServerResponse, { readonly request: IncomingMessage; readonly timer: NodeJS.Timeout }>()
  server.on("request", (request, response) => {
    // The app's own handler comes second: once it is there, it answers.
    if (server.listenerCount("request") > 1) return
    if (options.holdMs === undefined) return answerStarting(response)
    const timer = setTimeout(() => {
      held.delete(response)
      answerStarting(response)
    }, options.holdMs)
    held.set(response, { request, timer })
  })
  // The app's handler is being attached: what waited goes to it, once it is attached.
  server.on("newListener", (event: string | symbol, listener: (...args: ReadonlyArray<unknown>) => void) => {
    if (event !== "request" || held.size === 0) return
    const waiting = [...held]
    held.clear()
    setImmediate(() => {
      for (const [response, { request, timer }] of waiting) {
        clearTimeout(timer)
        listener(request, response)
      }
    })
  })
  return server
}
