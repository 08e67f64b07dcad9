/**
 * An HTTP server that never leaves a request unanswered. An Effect server listens first and
 * attaches its handler once the app is built; a request arriving in between would otherwise wait
 * for ever (a health probe without a timeout hangs). Until the app's handler is attached, this
 * server answers 503 with `retry-after`, so probes see "not yet" and try again.
 */
import { createServer, type Server } from "node:http"

export const createStartingServer = (): Server => {
  const server = createServer()
  server.on("request", (_request, response) => {
    // The app's own handler comes second: once it is there, it answers.
    if (server.listenerCount("request") > 1) return
    response.writeHead(503, { "content-type": "application/problem+json", "retry-after": "1" })
    response.end(
      JSON.stringify({ type: "about:blank", title: "Starting", status: 503, detail: "the server is starting" })
    )
  })
  return server
}
