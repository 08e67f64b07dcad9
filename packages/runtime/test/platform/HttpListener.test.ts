import { describe, expect, it } from "@effect/vitest"
import type { AddressInfo } from "node:net"
import { createStartingServer } from "../../src/platform/HttpListener.js"

const listen = (server: ReturnType<typeof createStartingServer>) =>
  new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)))

describe("HttpListener", () => {
  it("answers 503 until the app's handler is attached, then only the app answers", async () => {
    const server = createStartingServer()
    const port = await listen(server)
    try {
      const early = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) })
      expect(early.status).toBe(503)
      expect(early.headers.get("retry-after")).toBe("1")
      expect(((await early.json()) as { status: number }).status).toBe(503)

      server.on("request", (_request, response) => response.writeHead(200).end("ok"))
      const served = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) })
      expect(served.status).toBe(200)
      expect(await served.text()).toBe("ok")
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })

  it("with holdMs, holds what arrives early for the app's handler, and answers 503 only past holdMs", async () => {
    const server = createStartingServer({ holdMs: 300 })
    const port = await listen(server)
    try {
      const early = fetch(`http://127.0.0.1:${port}/early`, { signal: AbortSignal.timeout(5000) })
      // Past holdMs with no app: "starting".
      const late = await fetch(`http://127.0.0.1:${port}/late`, { signal: AbortSignal.timeout(5000) })
      expect(late.status).toBe(503)
      expect((await early).status).toBe(503)

      const held = fetch(`http://127.0.0.1:${port}/held`, { signal: AbortSignal.timeout(5000) })
      await new Promise((resolve) => setTimeout(resolve, 100))
      server.on("request", (request, response) => response.writeHead(200).end(`app saw ${request.url}`))
      const answer = await held
      expect(answer.status).toBe(200)
      expect(await answer.text()).toBe("app saw /held")
      const after = await fetch(`http://127.0.0.1:${port}/after`, { signal: AbortSignal.timeout(5000) })
      expect(await after.text()).toBe("app saw /after")
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })
})
